import { Logger } from '@aws-lambda-powertools/logger';
import {
  AttachRolePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  UpdateRoleDescriptionCommand,
} from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { DEFAULT_DESCRIPTION } from '../../functions/core/desired-state.js';
import { detectDrift } from '../../functions/core/drift.js';
import { GuardFailure } from '../../functions/core/guard-result.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import {
  busWithInbox,
  guardClients,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { captureEmf, enabledMetrics } from '../support/emf.js';
import { fixture } from '../support/events.js';
import { lambdaContext } from '../support/lambda.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const DENY_ALL = 'arn:aws:iam::aws:policy/AWSDenyAll';
const FOREIGN_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' },
  ],
});
const GUARD_ROLE = 'arn:aws:iam::123456789012:role/SupportRoleGuardFunctionRole';
const silent = () => new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });

let aws: ReturnType<typeof testClients>;
beforeAll(() => {
  aws = testClients();
});

/** A guarded role in desired state, its topic with an on-call inbox, and the handler wired to them. */
async function setUp(env: Record<string, string> = {}) {
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('guard-topic'));
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: roleName,
      NOTIFY_TOPIC_ARN: topic.topicArn,
      GUARD_ROLE_ARN: GUARD_ROLE,
      ...env,
    }),
    { requireTopic: true },
  );
  const wire = new WireLog();
  const handler = createHandler({ config, clients: guardClients(wire), logger: silent() });
  const invoke = (event: unknown) => handler(event, lambdaContext());
  // Start each test from the role in desired state (created by the guard's own reconcile).
  const store = new IamRoleStore(aws.iam);
  const created = await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
  if (created.error || created.remaining.length > 0)
    throw new Error(`setup failed: ${created.error?.message}`);
  const event = (name: string, requestParameters?: Record<string, unknown>) =>
    fixture(name, { roleName, ...(requestParameters ? { requestParameters } : {}) });
  const driftNow = async () => detectDrift(config.desired, await store.read(roleName));
  return { roleName, topic, config, wire, invoke, event, driftNow };
}

describe('the guard against the emulator', () => {
  it('creates a missing role on the sweep with everything in one CreateRole', async () => {
    // Prepare
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('guard-topic'));
    const config = parseConfig(guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn }), {
      requireTopic: true,
    });
    const wire = new WireLog();
    const handler = createHandler({ config, clients: guardClients(wire), logger: silent() });

    // Act
    const result = await handler(fixture('scheduled-sweep'), lambdaContext());

    // Assess
    expect(result).toMatchObject({
      outcome: 'remediated',
      drift: [{ property: 'role', before: null, after: roleName }],
    });
    expect(wire.writes).toEqual(['CreateRole', 'AttachRolePolicy']);
    const { Role } = await aws.iam.send(new GetRoleCommand({ RoleName: roleName }));
    expect(Role?.Description).toBe(config.desired.description);
    expect(Role?.Tags).toEqual([{ Key: 'managed-by', Value: 'support-role-guard' }]);
    const [message, ...rest] = await topic.notifications();
    expect(rest).toEqual([]);
    expect(message?.subject).toBe(`[support-role-guard] REMEDIATED: ${roleName} in 123456789012`);
    expect(message?.document).toMatchObject({ outcome: 'remediated', roleName, account: '123456789012' });
    expect(message?.document.trigger).toBeUndefined();
  });

  type Scenario = {
    name: string;
    env?: Record<string, string>;
    tamper: (iam: ReturnType<typeof testClients>['iam'], roleName: string) => Promise<unknown>;
    event: string;
    params?: Record<string, unknown>;
    drift: string[];
    writes: string[];
  };
  const scenarios: Scenario[] = [
    {
      name: 'AWSSupportAccess detached',
      tamper: (iam, RoleName) =>
        iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: SUPPORT_ACCESS })),
      event: 'detach-role-policy',
      drift: [`managedPolicy:${SUPPORT_ACCESS}`],
      writes: ['AttachRolePolicy'],
    },
    {
      name: 'trust policy re-pointed at a foreign account',
      tamper: (iam, RoleName) =>
        iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: FOREIGN_TRUST })),
      event: 'update-assume-role-policy',
      drift: ['trustPolicy'],
      writes: ['UpdateAssumeRolePolicy', 'PutRolePolicy'],
    },
    {
      name: 'AdministratorAccess attached',
      tamper: (iam, RoleName) => iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: ADMIN })),
      event: 'attach-role-policy',
      drift: [`managedPolicy:${ADMIN}`],
      writes: ['PutRolePolicy', 'DetachRolePolicy'],
    },
    {
      name: 'inline policy added',
      tamper: (iam, RoleName) =>
        iam.send(
          new PutRolePolicyCommand({
            RoleName,
            PolicyName: 'break-glass',
            PolicyDocument:
              '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
          }),
        ),
      event: 'put-role-policy',
      drift: ['inlinePolicy:break-glass'],
      writes: ['DeleteRolePolicy', 'PutRolePolicy'],
    },
    {
      name: 'permissions boundary set',
      tamper: (iam, RoleName) =>
        iam.send(new PutRolePermissionsBoundaryCommand({ RoleName, PermissionsBoundary: DENY_ALL })),
      event: 'put-role-permissions-boundary',
      drift: ['permissionsBoundary'],
      // (a boundary on a role that should have none narrows it: nothing to revoke)
      writes: ['DeleteRolePermissionsBoundary'],
    },
    {
      name: 'description changed',
      tamper: (iam, RoleName) =>
        iam.send(new UpdateRoleDescriptionCommand({ RoleName, Description: 'temporary' })),
      event: 'update-role-description',
      drift: ['description'],
      writes: ['UpdateRole'],
    },
    {
      name: 'max session duration raised',
      tamper: (iam, RoleName) =>
        // moto clears the description when UpdateRole omits it (IAM keeps it): send it unchanged.
        iam.send(
          new UpdateRoleCommand({ RoleName, MaxSessionDuration: 43200, Description: DEFAULT_DESCRIPTION }),
        ),
      event: 'update-role',
      drift: ['maxSessionDuration'],
      writes: ['PutRolePolicy', 'UpdateRole'],
    },
    {
      name: 'stray tag added',
      tamper: (iam, RoleName) =>
        iam.send(new TagRoleCommand({ RoleName, Tags: [{ Key: 'access-level', Value: 'admin' }] })),
      event: 'tag-role',
      drift: ['tag:access-level'],
      writes: ['UntagRole'],
    },
    {
      name: 'desired tag removed',
      tamper: (iam, RoleName) => iam.send(new UntagRoleCommand({ RoleName, TagKeys: ['managed-by'] })),
      event: 'untag-role',
      drift: ['tag:managed-by'],
      writes: ['TagRole'],
    },
    {
      name: 'desired permissions boundary removed',
      env: { PERMISSIONS_BOUNDARY_ARN: DENY_ALL },
      tamper: (iam, RoleName) => iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName })),
      event: 'delete-role-permissions-boundary',
      drift: ['permissionsBoundary'],
      writes: ['PutRolePolicy', 'PutRolePermissionsBoundary'],
    },
  ];

  it.each(scenarios)('restores the role when: $name', async (scenario) => {
    // Prepare
    const guard = await setUp(scenario.env);
    await scenario.tamper(aws.iam, guard.roleName);

    // Act
    const result = await guard.invoke(guard.event(scenario.event, scenario.params));

    // Assess: outcome, exact writes on the wire, the role read back from IAM, one notification.
    expect(result.outcome).toBe('remediated');
    expect(result.drift.map((d) => d.property)).toEqual(scenario.drift);
    expect(result.actions.map((a) => [a.api, a.status])).toEqual(
      scenario.writes.map((w) => [w, 'succeeded']),
    );
    expect(guard.wire.writes).toEqual(scenario.writes);
    expect(await guard.driftNow()).toEqual([]);
    const messages = await guard.topic.notifications();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.document).toMatchObject({
      schemaVersion: '1.0',
      outcome: 'remediated',
      roleName: guard.roleName,
      trigger: {
        eventName: fixture(scenario.event).detail.eventName,
        eventId: fixture(scenario.event).detail.eventID,
        actorArn: expect.stringMatching(/^arn:aws:(sts|iam)::123456789012:/),
      },
      drift: result.drift,
      actions: result.actions,
    });
  });

  it('recreates a deleted role from the real sequence (detach, then DeleteRole) and reports both calls', async () => {
    // Prepare: the attacker detaches the policy, then deletes the role, before the first event arrives.
    const guard = await setUp();
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: guard.roleName, PolicyArn: SUPPORT_ACCESS }));
    await aws.iam.send(new DeleteRoleCommand({ RoleName: guard.roleName }));

    // Act
    const first = await guard.invoke(guard.event('detach-role-policy'));
    const second = await guard.invoke(guard.event('delete-role'));

    // Assess
    expect(first).toMatchObject({ outcome: 'remediated', drift: [{ property: 'role', before: null }] });
    expect(second).toMatchObject({ outcome: 'compliant', notified: true, drift: [], actions: [] });
    expect(second.reason).toMatch(/already back in desired state/);
    expect(guard.wire.writes).toEqual(['CreateRole', 'AttachRolePolicy']);
    expect(await guard.driftNow()).toEqual([]);
    const messages = await guard.topic.notifications();
    expect(messages.map((m) => [m.document.outcome, m.document.trigger?.eventName])).toEqual([
      ['remediated', 'DetachRolePolicy'],
      ['compliant', 'DeleteRole'],
    ]);
    expect(messages[1]?.subject).toContain('TAMPERING REVERTED');
    expect(messages[1]?.document.trigger?.actorArn).toBe('arn:aws:iam::123456789012:user/bob');
  });

  it.each([
    ['a failed (AccessDenied) call', 'failed-detach-role-policy', /the call failed/],
    ['a change to another role', 'other-role-detach', /event is for role "DataPipelineRole"/],
    ["the guard's own call", 'guard-own-attach', /the guard made this call itself/],
    ['malformed input', 'not-an-event', /malformed event/],
  ])('ignores %s: no IAM call at all, no notification', async (_label, name, reason) => {
    // Prepare: the role is drifted, so any wrongly-handled event would show as a write.
    const guard = await setUp();
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: guard.roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = name === 'not-an-event' ? 'garbage' : guard.event(name);

    // Act
    const result = await guard.invoke(event);

    // Assess
    expect(result).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringMatching(reason),
      notified: false,
    });
    expect(guard.wire.calls).toEqual([]);
    expect(await guard.topic.notifications()).toEqual([]);
  });

  it('in detect mode reports the drift, writes nothing and notifies drift-detected', async () => {
    // Prepare
    const guard = await setUp({ GUARD_MODE: 'detect' });
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName: guard.roleName, PolicyArn: ADMIN }));

    // Act
    const result = await guard.invoke(guard.event('attach-role-policy'));

    // Assess
    expect(result).toMatchObject({
      outcome: 'drift-detected',
      drift: [{ property: `managedPolicy:${ADMIN}`, before: 'attached', after: null }],
      // What enforce mode would do, sessions revoked included.
      actions: [
        { api: 'PutRolePolicy', status: 'planned' },
        { api: 'DetachRolePolicy', status: 'planned' },
      ],
    });
    expect(guard.wire.writes).toEqual([]);
    const { AttachedPolicies } = await aws.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: guard.roleName }),
    );
    expect(AttachedPolicies?.map((p) => p.PolicyArn).sort()).toEqual([ADMIN, SUPPORT_ACCESS].sort());
    const messages = await guard.topic.notifications();
    expect(messages.map((m) => m.document.outcome)).toEqual(['drift-detected']);
    expect(messages[0]?.subject).toContain('DRIFT DETECTED');
  });

  it('a sweep of a compliant role reads only, writes nothing and sends nothing', async () => {
    // Prepare
    const guard = await setUp();

    // Act
    const result = await guard.invoke(fixture('scheduled-sweep'));

    // Assess
    expect(result).toMatchObject({ outcome: 'compliant', drift: [], actions: [], notified: false });
    expect(guard.wire.writes).toEqual([]);
    expect(guard.wire.reads).toEqual([
      'GetRole',
      'ListAttachedRolePolicies',
      'ListRolePolicies',
      'GetRolePolicy',
    ]);
    expect(await guard.topic.notifications()).toEqual([]);
  });

  it('a benign event on a compliant role sends nothing', async () => {
    const guard = await setUp();
    const result = await guard.invoke(guard.event('delete-role-policy'));
    expect(result).toMatchObject({ outcome: 'compliant', notified: false });
    expect(guard.wire.writes).toEqual([]);
    expect(await guard.topic.notifications()).toEqual([]);
  });

  it('fixes several kinds of drift found by one sweep and removes every extra', async () => {
    // Prepare
    const guard = await setUp();
    const RoleName = guard.roleName;
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: ADMIN }));
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: SUPPORT_ACCESS }));
    await aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: FOREIGN_TRUST }));
    await aws.iam.send(
      new PutRolePolicyCommand({
        RoleName,
        PolicyName: 'x',
        PolicyDocument:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
      }),
    );

    // Act
    const result = await guard.invoke(fixture('scheduled-sweep'));

    // Assess
    expect(result.outcome).toBe('remediated');
    // The removals and the revocation together (one round trip), then the restore.
    expect(guard.wire.writes.slice(0, 4).sort()).toEqual([
      'DeleteRolePolicy',
      'DetachRolePolicy',
      'PutRolePolicy',
      'UpdateAssumeRolePolicy',
    ]);
    expect(guard.wire.writes.slice(4)).toEqual(['AttachRolePolicy']);
    expect(await guard.driftNow()).toEqual([]);
    // The extra inline policy is gone; the session revocation took its place.
    const { PolicyNames } = await aws.iam.send(new ListRolePoliciesCommand({ RoleName }));
    expect(PolicyNames).toEqual(['AWSRevokeOlderSessions']);
  });

  it('never calls a trust policy with duplicate JSON keys compliant, and rewrites it', async () => {
    // Prepare: the desired trust, with a foreign principal written first under the same key. JSON.parse
    // keeps the last; whichever IAM honours, the document is not the one the guard would write.
    const guard = await setUp();
    const RoleName = guard.roleName;
    const desiredText = JSON.stringify(guard.config.desired.trustPolicy);
    const doubled = desiredText.replace(
      '"Principal":',
      '"Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Principal":',
    );
    await aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: doubled }));
    const stored =
      (await aws.iam.send(new GetRoleCommand({ RoleName }))).Role?.AssumeRolePolicyDocument ?? '';
    expect(decodeURIComponent(stored).match(/"Principal"/g)).toHaveLength(2);

    // Act
    const result = await guard.invoke(fixture('scheduled-sweep'));

    // Assess
    expect(result.outcome).toBe('remediated');
    // Trust drift: sessions issued while the ambiguous trust policy was in place are revoked too.
    expect(guard.wire.writes).toEqual(['UpdateAssumeRolePolicy', 'PutRolePolicy']);
    const after = (await aws.iam.send(new GetRoleCommand({ RoleName }))).Role?.AssumeRolePolicyDocument ?? '';
    expect(decodeURIComponent(after).match(/"Principal"/g)).toHaveLength(1);
    expect(await guard.driftNow()).toEqual([]);
  });

  it('reports a role whose path differs once per change: the first sweep after it was created, not every hour', async () => {
    // Prepare: the role created (in every other respect as desired) under another path.
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('guard-topic'));
    const env = { SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn, GUARD_ROLE_ARN: GUARD_ROLE };
    const elsewhere = parseConfig(guardEnv({ ...env, SUPPORT_ROLE_PATH: '/elsewhere/' }));
    const store = new IamRoleStore(aws.iam);
    await reconcile({ desired: elsewhere.desired, mode: 'enforce', store, partition: 'aws' });
    const config = parseConfig(guardEnv(env), { requireTopic: true });
    const sweepAt = (at: Date) =>
      createHandler({ config, clients: guardClients(new WireLog()), logger: silent(), clock: () => at })(
        fixture('scheduled-sweep'),
        lambdaContext(),
      );

    // Act: the first sweep after the change, then one two hours later.
    const first = await sweepAt(new Date());
    const later = await sweepAt(new Date(Date.now() + 2 * 3600_000));

    // Assess
    expect(first).toMatchObject({ outcome: 'drift-detected', notified: true });
    expect(first.drift).toEqual([{ property: 'path', before: '/elsewhere/', after: '/' }]);
    expect(later).toMatchObject({ outcome: 'drift-detected', notified: false });
    expect(later.reason).toMatch(/already reported/);
    expect(await topic.notifications()).toHaveLength(1);
  });

  it('also puts the outcome on the configured event bus', async () => {
    // Prepare
    const bus = await busWithInbox(aws, uniqueName('guard-bus'));
    const guard = await setUp({ EVENT_BUS_NAME: bus.busName });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: guard.roleName, PolicyArn: SUPPORT_ACCESS }));

    // Act
    await guard.invoke(guard.event('detach-role-policy'));

    // Assess
    const events = (await bus.inbox.drain()).map((b) => JSON.parse(b));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      source: 'support-role-guard',
      'detail-type': 'Support Role Remediated',
      detail: { outcome: 'remediated', roleName: guard.roleName, trigger: { eventName: 'DetachRolePolicy' } },
    });
  });

  it('notifies failed and throws (so Lambda retries) when a write fails', async () => {
    // Prepare: a required policy that does not exist makes AttachRolePolicy fail for real (an AWS
    // managed ARN: a customer-managed one would have to be pinned, and the guard would create it).
    const missing = 'arn:aws:iam::aws:policy/does-not-exist';
    const guard = await setUp();
    const topic = guard.topic;
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: guard.roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${missing}`,
      }),
      { requireTopic: true },
    );
    const wire = new WireLog();
    const handler = createHandler({ config, clients: guardClients(wire), logger: silent() });

    // Act
    const error = await handler(fixture('scheduled-sweep'), lambdaContext()).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(GuardFailure);
    const result = (error as GuardFailure).result;
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/does-not-exist/);
    expect(result.actions).toEqual([
      { api: 'AttachRolePolicy', status: 'failed', detail: expect.stringMatching(/NoSuchEntity/) },
    ]);
    expect(wire.writes).toEqual(['AttachRolePolicy']);
    const messages = await topic.notifications();
    expect(messages.map((m) => m.document.outcome)).toEqual(['failed']);
    expect(messages[0]?.subject).toContain('REMEDIATION FAILED');
    expect(messages[0]?.document.error).toMatch(/does-not-exist/);
  });

  it('remediates, then throws when the notification cannot be published (a retry is safe)', async () => {
    // Prepare: a topic ARN that does not exist.
    const guard = await setUp();
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: guard.roleName,
        NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:no-such-topic',
      }),
      { requireTopic: true },
    );
    const handler = createHandler({ config, clients: guardClients(new WireLog()), logger: silent() });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: guard.roleName, PolicyArn: SUPPORT_ACCESS }));

    // Act
    const error = await handler(guard.event('detach-role-policy'), lambdaContext()).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({
      name: 'NotificationError',
      message: expect.stringMatching(/remediated notification failed/),
    });
    expect(await guard.driftNow()).toEqual([]);
  });

  it('emits one EMF metric per outcome, in the SupportRoleGuard namespace', async () => {
    // Prepare
    const guard = await setUp();
    const metrics = enabledMetrics();
    const handler = createHandler({
      config: guard.config,
      clients: guardClients(new WireLog()),
      logger: silent(),
      metrics,
    });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: guard.roleName, PolicyArn: SUPPORT_ACCESS }));

    // Act
    const emf = await captureEmf(async () => {
      await handler(guard.event('detach-role-policy'), lambdaContext());
      await handler(guard.event('other-role-detach'), lambdaContext());
      await handler(fixture('scheduled-sweep'), lambdaContext());
    });

    // Assess
    expect(
      emf.map(
        (m) => (m._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]?.Namespace,
      ),
    ).toEqual(Array(3).fill('SupportRoleGuard'));
    expect(emf[0]).toMatchObject({ Remediated: 1, service: 'support-role-guard' });
    expect(emf[1]).toMatchObject({ EventIgnored: 1 });
    expect(emf[2]).toMatchObject({ Compliant: 1, SweepCompleted: 1 });
  });
});

describe('a role also managed by infrastructure as code (emulator)', () => {
  it('the message names the tool and says the desired state disagrees with the role as found', async () => {
    // Prepare: the role carries the tag Terraform puts on what it manages (and the guard keeps it).
    const guard = await setUp({ SUPPORT_ROLE_TAGS: 'managed-by=terraform' });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: guard.roleName, PolicyArn: SUPPORT_ACCESS }));

    // Act
    const result = await guard.invoke(guard.event('detach-role-policy'));

    // Assess
    expect(result.outcome).toBe('remediated');
    const [message] = await guard.topic.notifications();
    expect(message?.document).toMatchObject({
      managedBy: { tool: 'Terraform', evidence: 'managed-by=terraform', desiredStateDisagrees: true },
    });
  });
});
