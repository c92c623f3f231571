import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import {
  OrganizationAccounts,
  organizationPorts,
  sessionName,
} from '../../functions/adapters/member-access.js';
import { parseConfig } from '../../functions/core/config.js';
import type { OrganizationResult } from '../../functions/core/handle-org-event.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import {
  CREDENTIALS,
  emulatorEndpoint,
  isolatedAccount,
  REGION,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext } from '../support/lambda.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const MEMBER_ROLE = 'SupportRoleGuardRemediation';

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

/** A central guard in the default account and three member accounts, each with the role in place. */
async function organization() {
  const central = testClients();
  const topic = await topicWithInbox(central, uniqueName('org-topic'));
  const members = await Promise.all([isolatedAccount(), isolatedAccount(), isolatedAccount()]);
  const ids = members.map((m) => m.account);
  const roleName = uniqueName('AWSSupportRole');
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: roleName,
      TRUSTED_PRINCIPAL_ARNS: 'arn:aws:iam::123456789012:role/CentralSupportTeam',
      NOTIFY_TOPIC_ARN: topic.topicArn,
      MEMBER_ROLE_NAME: MEMBER_ROLE,
      MEMBER_ACCOUNT_IDS: ids.join(','),
      SWEEP_CONCURRENCY: '2',
    }),
    { requireTopic: true },
  );
  for (const m of members) {
    await reconcile({
      desired: config.desired,
      mode: 'enforce',
      store: new IamRoleStore(m.clients.iam),
      partition: 'aws',
    });
  }
  const direct = settings();
  const handler = createHandler({
    config,
    clients: {
      iam: new IAMClient(direct),
      sns: new SNSClient(direct),
      eventBridge: new EventBridgeClient(direct),
      // STS goes through the fault proxy, so that one account's AssumeRole can be refused.
      sts: new STSClient({ ...direct, endpoint: proxy.endpoint }),
    },
    logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    memberClientSettings: { endpoint: emulatorEndpoint() },
    organizationPorts,
  });
  const attached = async (i: number) =>
    (
      (await members[i]?.clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName })))
        ?.AttachedPolicies ?? []
    )
      .map((p) => p.PolicyArn)
      .sort();
  const detach = (i: number) =>
    members[i]?.clients.iam.send(
      new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }),
    );
  return { topic, members, ids, roleName, handler, attached, detach };
}

describe('organization mode against the emulator (several accounts)', () => {
  it('an event from account B is remediated in B, and nothing changes in A', async () => {
    // Prepare: both A and B drifted; only B's event arrives.
    const org = await organization();
    await org.detach(0);
    await org.detach(1);
    const event = fixture('detach-role-policy', { roleName: org.roleName, eventId: uniqueName('evt') });
    event.account = org.ids[1] ?? '';
    event.detail.recipientAccountId = org.ids[1];

    // Act
    const result = await org.handler(event, lambdaContext());

    // Assess
    expect(result).toMatchObject({
      outcome: 'remediated',
      actions: [{ api: 'AttachRolePolicy', status: 'succeeded' }],
    });
    expect(await org.attached(1)).toEqual([SUPPORT_ACCESS]);
    expect(await org.attached(0)).toEqual([]);
    const [message] = await org.topic.notifications();
    expect(message?.document).toMatchObject({ outcome: 'remediated', account: org.ids[1] });
    expect(message?.subject).toContain(`in ${org.ids[1]}`);
  });

  it('the sweep over three accounts finds and fixes the drift in each, with one summary message', async () => {
    // Prepare
    const org = await organization();
    await org.detach(0);
    await org.members[1]?.clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: org.roleName, PolicyArn: ADMIN }),
    );
    await org.detach(2);

    // Act
    const result = (await org.handler(
      { ...fixture('scheduled-sweep'), id: uniqueName('sweep'), time: uniqueName('t') },
      lambdaContext(),
    )) as OrganizationResult;

    // Assess
    expect(result.outcome).toBe('remediated');
    expect(result.accounts?.map((a) => [a.account, a.outcome])).toEqual(
      [...org.ids].sort().map((id) => [id, 'remediated']),
    );
    for (const i of [0, 1, 2]) expect(await org.attached(i)).toEqual([SUPPORT_ACCESS]);
    const messages = await org.topic.notifications();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.subject).toBe('[support-role-guard] SWEEP: 3 remediated, 0 failed of 3 accounts');
    expect(messages[0]?.document).toMatchObject({
      kind: 'organization-sweep',
      counts: { remediated: 3, failed: 0 },
    });
  });

  it('an account whose role cannot be assumed is reported failed; the others are remediated', async () => {
    // Prepare: all three drifted; AssumeRole into the third is refused.
    const org = await organization();
    for (const i of [0, 1, 2]) await org.detach(i);
    proxy.setPlan({ kind: 'accessDenied', rate: 1, services: ['sts'], bodyContains: `${org.ids[2]}%3Arole` });

    // Act
    const result = (await org.handler(
      { ...fixture('scheduled-sweep'), id: uniqueName('sweep'), time: uniqueName('t') },
      lambdaContext(),
    )) as OrganizationResult;
    proxy.setPlan(undefined);

    // Assess
    const byAccount = Object.fromEntries((result.accounts ?? []).map((a) => [a.account, a]));
    expect(byAccount[org.ids[2] ?? '']).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/AccessDenied/),
    });
    expect(byAccount[org.ids[0] ?? '']?.outcome).toBe('remediated');
    expect(byAccount[org.ids[1] ?? '']?.outcome).toBe('remediated');
    expect(await org.attached(0)).toEqual([SUPPORT_ACCESS]);
    expect(await org.attached(2)).toEqual([]);
    const [message] = await org.topic.notifications();
    expect(message?.subject).toBe('[support-role-guard] SWEEP: 2 remediated, 1 failed of 3 accounts');
  });

  it('lists the organization’s active accounts, without the management account, when no OU or list is configured', async () => {
    const mgmt = await isolatedAccount();
    const organizations = new OrganizationsClient({
      ...CLIENT_SETTINGS,
      region: REGION,
      endpoint: emulatorEndpoint(),
      credentials: mgmt.env.AWS_ACCESS_KEY_ID
        ? {
            accessKeyId: mgmt.env.AWS_ACCESS_KEY_ID,
            secretAccessKey: mgmt.env.AWS_SECRET_ACCESS_KEY,
            sessionToken: mgmt.env.AWS_SESSION_TOKEN,
          }
        : CREDENTIALS,
    });
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    await organizations.send(new CreateAccountCommand({ AccountName: 'member-1', Email: 'm1@example.com' }));
    const ids = (await new OrganizationAccounts(organizations, { pageSize: 1 }).listAccounts()).map(
      (a) => a.id,
    );
    // StackSets never deploy to the management account: no sweep can reach it there.
    expect(ids).not.toContain(mgmt.account);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    for (const id of ids) expect(id).toMatch(/^\d{12}$/);
  });

  it('names the session after the event', () => {
    expect(sessionName('005a17e0-0000-0040-0080-000000000001')).toBe(
      'srg-005a17e0-0000-0040-0080-000000000001',
    );
    expect(sessionName('x'.repeat(100)).length).toBe(64);
    expect(sessionName('a b/c')).toBe('srg-a-b-c');
  });
});
