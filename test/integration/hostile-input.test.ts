import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AttachRolePolicyCommand, DetachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { canonicalPolicy, parsePolicyDocument } from '../../functions/core/policy-document.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent, GUARD_ROLE_ARN } from '../../functions/local/cloudtrail.js';
import { recordIamCalls } from '../../functions/local/wire-log.js';
import { settings, testClients, topicWithInbox, uniqueName, WireLog } from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { FIXTURE_NAMES, fixture } from '../support/events.js';
import { lambdaContext } from '../support/lambda.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const MUTATION_FIXTURES = FIXTURE_NAMES.filter((n) => !['scheduled-sweep'].includes(n));

let g: Awaited<ReturnType<typeof setUp>>;
beforeAll(async () => {
  g = await setUp();
});

async function setUp() {
  const aws = testClients();
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('hostile-topic'));
  const config = parseConfig(
    guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn, GUARD_ROLE_ARN }),
    { requireTopic: true },
  );
  const store = new IamRoleStore(aws.iam);
  await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
  const wire = new WireLog();
  const direct = settings();
  const handler = createHandler({
    config,
    clients: {
      iam: recordIamCalls(new IAMClient(direct), wire),
      sns: recordIamCalls(new SNSClient(direct), wire),
      eventBridge: new EventBridgeClient(direct),
    },
    logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
  });
  const desiredTrust = canonicalPolicy(config.desired.trustPolicy);
  /** The guard-safety properties, on what went over the wire for one invocation. */
  const assertSafe = () => {
    for (const { action, params } of wire.requests) {
      if (action === 'Publish' || action === 'ListAccountAliases') continue;
      expect(params.RoleName, `${action} names another role`).toBe(roleName);
      if (action === 'AttachRolePolicy')
        expect(config.desired.requiredPolicyArns).toContain(params.PolicyArn);
      const trust = params.PolicyDocument ?? params.AssumeRolePolicyDocument;
      if (action === 'UpdateAssumeRolePolicy' || action === 'CreateRole')
        expect(canonicalPolicy(parsePolicyDocument(trust ?? ''))).toBe(desiredTrust);
    }
    expect(wire.requests.filter((r) => r.action === 'Publish').length).toBeLessThanOrEqual(1);
  };
  /** Sometimes start from a drifted role, so that the guard has writes to make. */
  const maybeDrift = async (drift: boolean) => {
    if (!drift) return;
    await aws.iam
      .send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }))
      .catch(() => {});
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: ADMIN }));
  };
  const run = async (event: unknown) => {
    wire.clear();
    try {
      return await handler(event, lambdaContext());
    } finally {
      assertSafe();
    }
  };
  return { aws, roleName, config, wire, run, maybeDrift, topic };
}

/** Mutations of a real event: fields removed or retyped, huge and unicode strings, role-name games. */
const roleNameVariant = (roleName: string) =>
  fc.oneof(
    fc.constant(roleName.toUpperCase()),
    fc.constant(roleName.toLowerCase()),
    fc.constant(` ${roleName} `),
    fc.constant(`/support/${roleName}`),
    fc.constant(`arn:aws:iam::123456789012:role/${roleName}`),
    fc.constant([roleName]),
    fc.constant({ name: roleName }),
    fc.constant(`${roleName}\u0000`),
    fc.constant(`${roleName}\u200b`),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.constant('A'.repeat(100_000)),
  );
const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.constant('\u202e'.repeat(5000)),
);
const PATHS = [
  ['detail'],
  ['detail', 'eventName'],
  ['detail', 'eventID'],
  ['detail', 'eventSource'],
  ['detail', 'errorCode'],
  ['detail', 'requestParameters'],
  ['detail', 'requestParameters', 'policyArn'],
  ['detail', 'requestParameters', 'policyDocument'],
  ['detail', 'requestParameters', 'tags'],
  ['detail', 'userIdentity'],
  ['detail', 'userIdentity', 'arn'],
  ['detail', 'userIdentity', 'sessionContext'],
  ['detail', 'userAgent'],
  ['detail', 'sourceIPAddress'],
  ['source'],
  ['detail-type'],
];

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) return;
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] ?? '';
  if (value === undefined) delete node[last];
  else node[last] = value;
}

describe('hostile input (property-based, against the emulator, asserted at the wire)', () => {
  it('arbitrary JSON never throws, never touches another role, never notifies twice', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), async (input, drift) => {
        await g.maybeDrift(drift);
        const result = await g.run(input);
        expect(result.outcome).toBe('ignored');
        expect(g.wire.requests).toEqual([]);
      }),
      { numRuns: 60, seed: 20261127 },
    );
  });

  it('mutated real events never turn the guard against the account', async () => {
    const outcomes: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...MUTATION_FIXTURES),
        fc.array(fc.tuple(fc.constantFrom(...PATHS), anyValue), { maxLength: 3 }),
        roleNameVariant(g.roleName),
        fc.boolean(),
        async (name, mutations, roleName, drift) => {
          const event = fixture(name, {
            roleName: g.roleName,
            eventId: uniqueName('evt'),
          }) as unknown as Record<string, unknown>;
          setPath(event, ['detail', 'requestParameters', 'roleName'], roleName);
          for (const [path, value] of mutations) setPath(event, path, value);
          await g.maybeDrift(drift);
          const result = await g.run(event);
          expect(['ignored', 'compliant', 'remediated', 'drift-detected']).toContain(result.outcome);
          outcomes.push(result.outcome);
        },
      ),
      { numRuns: 120, seed: 42 },
    );
    // Not vacuous: many mutated events still reached the reconcile and made the guard write.
    expect(outcomes.filter((o) => o === 'remediated').length).toBeGreaterThan(10);
    expect(outcomes.filter((o) => o === 'ignored').length).toBeGreaterThan(10);
  });

  it("the guard's own calls, fed back as CloudTrail events with its role as the actor, change and say nothing", async () => {
    // Prepare: one remediation of every kind the guard makes, recorded at the wire.
    const { aws, roleName, run, wire, topic } = g;
    await reconcile({
      desired: g.config.desired,
      mode: 'enforce',
      store: new IamRoleStore(aws.iam),
      partition: 'aws',
    });
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: ADMIN }));
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    await run({ ...fixture('scheduled-sweep'), id: uniqueName('sweep') });
    const guardWrites = wire.requests.filter((r) => r.action !== 'Publish' && !/^(Get|List)/.test(r.action));
    expect(guardWrites.map((w) => w.action).sort()).toEqual([
      'AttachRolePolicy',
      'DetachRolePolicy',
      'PutRolePolicy', // the session revocation
    ]);
    await topic.notifications();

    // Act / Assess
    for (const write of guardWrites) {
      const { Action: _action, Version: _version, ...input } = write.params;
      const result = await run(cloudTrailEvent({ eventName: write.action, input, actor: ACTORS.guard }));
      expect(result).toMatchObject({ outcome: 'ignored', reason: 'the guard made this call itself' });
      expect(wire.requests).toEqual([]);
    }
    expect(await topic.notifications()).toEqual([]);
  });
});
