import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
} from '@aws-sdk/client-cloudformation';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeleteRoleCommand, DetachRolePolicyCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListAccountsForParentCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { organizationPorts } from '../../functions/adapters/member-access.js';
import { parseConfig } from '../../functions/core/config.js';
import { DEFAULT_MEMBER_ROLE_NAME, MEMBER_STACK_SET_NAME } from '../../functions/core/guard-roles.js';
import type { OrganizationResult } from '../../functions/core/handle-org-event.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { EMULATED_MEMBER_TEMPLATE } from '../../functions/local/drill-enrolment.js';
import {
  createPerAccountPrincipal,
  refuseAssumeRoleOfMissingRole,
} from '../../functions/local/emulated-accounts.js';
import {
  emulatorEndpoint,
  isolatedAccount,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { captureEmf, enabledMetrics } from '../support/emf.js';
import { fixture } from '../support/events.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext } from '../support/lambda.js';

const HOUR = 3_600_000;
const CENTRAL_TEAM = 'arn:aws:iam::123456789012:role/CentralSupportTeam';

/**
 * An organization on the emulator: root → Workloads → Prod (nested). A in Workloads and B in Prod
 * are enrolled (a StackSet instance created their remediation role); C in Prod is not yet; D sits
 * in the root, outside the target OU. The central guard targets Workloads.
 */
async function organizationWithOus() {
  const mgmt = await isolatedAccount();
  const scoped = { ...settings(), credentials: mgmt.clients.sts.config.credentials };
  const organizations = new OrganizationsClient(scoped);
  const cloudformation = new CloudFormationClient(scoped);
  await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const rootId = (await organizations.send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? '';
  const ou = async (parent: string, name: string) =>
    (await organizations.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name })))
      .OrganizationalUnit?.Id ?? '';
  const workloads = await ou(rootId, 'Workloads');
  const prod = await ou(workloads, 'Prod');
  const account = async (name: string, parent: string) => {
    const created = await organizations.send(
      new CreateAccountCommand({ AccountName: name, Email: `${uniqueName(name)}@example.com` }),
    );
    const id = created.CreateAccountStatus?.AccountId ?? '';
    if (parent !== rootId)
      await organizations.send(
        new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: parent }),
      );
    return id;
  };
  const ids = {
    a: await account('a', workloads),
    b: await account('b', prod),
    c: await account('c', prod),
    d: await account('d', rootId),
  };
  // The management account sits inside the target OUs (nested), as it may in AWS: the sweep must
  // leave it out by its id (a StackSet never deploys there), not by where it is.
  await organizations.send(
    new MoveAccountCommand({ AccountId: mgmt.account, SourceParentId: rootId, DestinationParentId: prod }),
  );
  const inProd = await organizations.send(new ListAccountsForParentCommand({ ParentId: prod }));
  if (!inProd.Accounts?.some((a) => a.Id === mgmt.account))
    throw new Error('the management account did not move into the target OU');
  await cloudformation.send(
    new CreateStackSetCommand({
      StackSetName: MEMBER_STACK_SET_NAME,
      TemplateBody: EMULATED_MEMBER_TEMPLATE,
      PermissionModel: 'SELF_MANAGED',
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    }),
  );
  await cloudformation.send(
    new CreateStackInstancesCommand({
      StackSetName: MEMBER_STACK_SET_NAME,
      Accounts: [ids.a, ids.b],
      Regions: ['us-east-1'],
    }),
  );

  const central = testClients();
  const topic = await topicWithInbox(central, uniqueName('org-topic'));
  const roleName = uniqueName('AWSSupportRole');
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: roleName,
      // One desired state for every account: each account's own OpsSupport role, plus a central one.
      TRUSTED_PRINCIPAL_ARNS: `${CENTRAL_TEAM},arn:\${Partition}:iam::\${AccountId}:role/OpsSupport`,
      NOTIFY_TOPIC_ARN: topic.topicArn,
      MEMBER_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
      TARGET_OU_IDS: workloads,
      SWEEP_CONCURRENCY: '2',
    }),
    { requireTopic: true },
  );
  const sts = new STSClient(settings());
  const memberIam: Record<string, IAMClient> = {};
  for (const id of Object.values(ids)) {
    const credentials = (await isolatedAccountFor(sts, id)).credentials;
    memberIam[id] = new IAMClient({ ...settings(), credentials });
    // The per-account principal exists, as IAM requires of a trust policy naming it.
    await createPerAccountPrincipal(memberIam[id] as IAMClient, id);
    // Before the guard: the role trusts only the central team.
    await reconcile({
      desired: parseConfig(guardEnv({ SUPPORT_ROLE_NAME: roleName, TRUSTED_PRINCIPAL_ARNS: CENTRAL_TEAM }))
        .desired,
      mode: 'enforce',
      store: new IamRoleStore(memberIam[id] as IAMClient),
      partition: 'aws',
    });
  }
  let now = new Date();
  const handlerWith = (over: { cloudformation?: CloudFormationClient; metrics?: Metrics } = {}) =>
    createHandler({
      config,
      ...(over.metrics ? { metrics: over.metrics } : {}),
      clients: {
        iam: new IAMClient(settings()),
        sns: new SNSClient(settings()),
        eventBridge: new EventBridgeClient(settings()),
        // As in AWS, AssumeRole fails where the remediation role does not exist (moto would allow it).
        sts: refuseAssumeRoleOfMissingRole(new STSClient(settings()), settings()),
        organizations,
        cloudformation: over.cloudformation ?? cloudformation,
      },
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
      clock: () => now,
      memberClientSettings: { endpoint: emulatorEndpoint() },
      organizationPorts: (c, clients, memberSettings, instrument) =>
        organizationPorts(c, clients, memberSettings, instrument, { pageSize: 1 }),
    });
  const handler = handlerWith();
  const sweepWith = async (h: ReturnType<typeof createHandler>) =>
    (await h(
      { ...fixture('scheduled-sweep'), id: uniqueName('sweep'), time: uniqueName('t') },
      lambdaContext(),
    )) as OrganizationResult;
  const sweep = () => sweepWith(handler);
  return {
    ids,
    mgmtCredentials: scoped.credentials,
    handlerWith,
    sweepWith,
    roleName,
    topic,
    memberIam,
    sweep,
    later: (hours: number) => {
      now = new Date(Date.now() + hours * HOUR);
    },
  };
}

async function isolatedAccountFor(sts: STSClient, account: string) {
  const { emulatedAccountCredentials } = await import('../../functions/local/emulated-accounts.js');
  return { credentials: await emulatedAccountCredentials(sts, account, 'test') };
}

// One organization for the whole file (setting it up costs a minute on a loaded machine); the
// tests run in order and each one's state follows from the previous.
let org: Awaited<ReturnType<typeof organizationWithOus>>;
beforeAll(async () => {
  org = await organizationWithOus();
}, 180_000);

describe('organization sweeps over the target OUs, with enrolment', () => {
  it('walks the target OUs (nested, paginated): not the root, other OUs or the management account', async () => {
    // Act
    const result = await org.sweep();

    // Assess
    expect(result.accounts?.map((a) => a.account).sort()).toEqual([org.ids.a, org.ids.b, org.ids.c].sort());
  }, 120_000);

  it('resolves ${AccountId} per account: each enrolled account now trusts its own OpsSupport role, and the message shows it resolved', async () => {
    for (const id of [org.ids.a, org.ids.b]) {
      const role = await org.memberIam[id]?.send(new GetRoleCommand({ RoleName: org.roleName }));
      const trust = JSON.parse(decodeURIComponent(role?.Role?.AssumeRolePolicyDocument ?? '{}'));
      expect([...trust.Statement[0].Principal.AWS].sort()).toEqual(
        [CENTRAL_TEAM, `arn:aws:iam::${id}:role/OpsSupport`].sort(),
      );
    }
    const [message] = await org.topic.notifications();
    expect(message?.subject).toBe(
      '[support-role-guard] SWEEP: 2 remediated, 0 failed, 1 not enrolled of 3 accounts',
    );
    const text = JSON.stringify(message?.document);
    expect(text).toContain(`arn:aws:iam::${org.ids.a}:role/OpsSupport`);
    expect(text).toContain(`arn:aws:iam::${org.ids.b}:role/OpsSupport`);
    expect(text).not.toContain('${AccountId}');
  });

  it('an account the StackSet has not reached is not-enrolled, counted, and not failed; no message for it within the grace period', async () => {
    // Prepare: A drifted; C (not enrolled) drifted too, but the guard cannot reach it yet.
    for (const id of [org.ids.a, org.ids.c])
      await org.memberIam[id]?.send(
        new DetachRolePolicyCommand({ RoleName: org.roleName, PolicyArn: SUPPORT_ACCESS }),
      );

    // Act
    const result = await org.sweep();

    // Assess
    const byAccount = Object.fromEntries((result.accounts ?? []).map((a) => [a.account, a]));
    expect(byAccount[org.ids.a]).toMatchObject({ outcome: 'remediated' });
    expect(byAccount[org.ids.b]?.outcome).toBe('compliant');
    expect(byAccount[org.ids.c]).toMatchObject({
      outcome: 'not-enrolled',
      reason: expect.stringMatching(/no instance of the StackSet SupportRoleGuardMembers/),
    });
    const [message, ...more] = await org.topic.notifications();
    expect(more).toEqual([]);
    expect(message?.subject).toBe(
      '[support-role-guard] SWEEP: 1 remediated, 0 failed, 1 not enrolled of 3 accounts',
    );
    expect(message?.document).toMatchObject({ counts: { remediated: 1, failed: 0, 'not-enrolled': 1 } });
    expect(
      (message?.document as unknown as { accounts: { account: string }[] } | undefined)?.accounts.map(
        (a) => a.account,
      ),
    ).toEqual([org.ids.a]);
  }, 120_000);

  it('a not-enrolled account past the grace period is named in the summary', async () => {
    // Prepare
    org.later(25);

    // Act
    const result = await org.sweep();

    // Assess
    expect(result.outcome).toBe('not-enrolled');
    const [message] = await org.topic.notifications();
    expect(message?.subject).toBe(
      '[support-role-guard] SWEEP: 0 remediated, 0 failed, 1 not enrolled of 3 accounts',
    );
    expect(message?.document).toMatchObject({
      outcome: 'not-enrolled',
      accounts: [
        { account: org.ids.c, outcome: 'not-enrolled', reason: expect.stringMatching(/more than 24 hours/) },
      ],
    });
  }, 120_000);

  it('a failure to assume the role in an enrolled account stays failed', async () => {
    // Prepare: back within C's grace period; a member admin deletes B's remediation role.
    org.later(0);
    await org.memberIam[org.ids.b]?.send(new DeleteRoleCommand({ RoleName: DEFAULT_MEMBER_ROLE_NAME }));

    // Act
    const result = await org.sweep();

    // Assess
    const b = result.accounts?.find((a) => a.account === org.ids.b);
    expect(b).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/AccessDenied/) });
    const [message] = await org.topic.notifications();
    expect(message?.subject).toBe(
      '[support-role-guard] SWEEP: 0 remediated, 1 failed, 1 not enrolled of 3 accounts',
    );
  }, 120_000);

  it('a failed read of the StackSet instances is visible: counted, and named in the summary next to each unreachable account', async () => {
    // Prepare: as in AWS when the central role may not call organizations:ListDelegatedAdministrators
    // (ListStackInstances with CallAs=DELEGATED_ADMIN checks it), injected on the wire.
    const proxy = await startFaultProxy(emulatorEndpoint());
    proxy.setPlan({
      kind: 'error',
      error: {
        status: 400,
        code: 'ValidationError',
        message: 'Account used is not a delegated administrator',
      },
      rate: 1,
      services: ['cloudformation'],
      bodyContains: 'Action=ListStackInstances',
    });
    const cloudformation = new CloudFormationClient({
      ...settings(),
      endpoint: proxy.endpoint,
      credentials: org.mgmtCredentials,
    });
    const handler = org.handlerWith({ cloudformation, metrics: enabledMetrics() });

    // Act
    let result: OrganizationResult | undefined;
    const emf = await captureEmf(async () => {
      result = await org.sweepWith(handler);
    });
    await proxy.close();

    // Assess
    expect(proxy.stats.injected).toBeGreaterThan(0);
    expect(emf).toContainEqual(expect.objectContaining({ EnrolmentReadFailed: 1 }));
    const c = result?.accounts?.find((a) => a.account === org.ids.c);
    expect(c).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(
        /enrolment unknown: reading the StackSet instances failed: .*not a delegated administrator/,
      ),
    });
    const [message] = await org.topic.notifications();
    expect(JSON.stringify(message?.document)).toContain('enrolment unknown');
  }, 120_000);
});
