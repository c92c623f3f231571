import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateRoleDescriptionCommand,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { organizationPorts } from '../../functions/adapters/member-access.js';
import { parseConfig } from '../../functions/core/config.js';
import type { OrganizationResult } from '../../functions/core/handle-org-event.js';
import { SNS_MAX_BYTES } from '../../functions/core/message-budget.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { recordIamCalls } from '../../functions/local/wire-log.js';
import {
  emulatorEndpoint,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv } from '../support/config.js';
import { fixture } from '../support/events.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext } from '../support/lambda.js';
import { utf8, worstCaseRole } from '../support/worst-case.js';

/** A logger that keeps what it writes (JSON lines), so a test can read the full detail back. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({
    serviceName: 'support-role-guard',
    logLevel: 'INFO',
    logRecordOrder: ['message'],
  });
  // Powertools writes each record with console methods; keep them instead of printing.
  const keep = (line: unknown) => lines.push(JSON.parse(String(line)) as Record<string, unknown>);
  Object.assign(logger, {
    console: { info: keep, warn: keep, error: keep, debug: keep, log: keep, trace: keep },
  });
  return { logger, lines };
}

/** What the guard's SNS client sent: each Publish's Message, with its UTF-8 size as SNS counts it. */
function publishes(wire: WireLog) {
  return wire.requests
    .filter((r) => r.action === 'Publish')
    .map((r) => ({
      message: r.params.Message ?? '',
      structure: r.params.MessageStructure,
      bytes: utf8(r.params.Message ?? ''),
    }));
}

const SWEEP = () => ({ ...fixture('scheduled-sweep'), id: uniqueName('sweep'), time: uniqueName('t') });

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

describe('every message fits SNS (256 KB), measured at the wire on the emulator', () => {
  it('an organization sweep with 150 failed accounts is one bounded summary; the full list is in the log', async () => {
    // Prepare: 150 member accounts, AssumeRole into every one refused.
    const aws = testClients();
    const topic = await topicWithInbox(aws, uniqueName('size-topic'));
    const ids = Array.from({ length: 150 }, (_, i) => String(200_000_000_000 + i * 7919));
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: uniqueName('AWSSupportRole'),
        NOTIFY_TOPIC_ARN: topic.topicArn,
        MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
        MEMBER_ACCOUNT_IDS: ids.join(','),
        SWEEP_CONCURRENCY: '10',
      }),
      { requireTopic: true },
    );
    const wire = new WireLog();
    const { logger, lines } = capturingLogger();
    const direct = settings();
    const handler = createHandler({
      config,
      clients: {
        iam: new IAMClient(direct),
        sns: recordIamCalls(new SNSClient(direct), wire),
        eventBridge: new EventBridgeClient(direct),
        sts: new STSClient({ ...direct, endpoint: proxy.endpoint }),
        cloudformation: new CloudFormationClient(direct),
      },
      logger,
      memberClientSettings: { endpoint: emulatorEndpoint() },
      organizationPorts,
    });
    proxy.setPlan({ kind: 'accessDenied', rate: 1, services: ['sts'] });

    // Act
    const event = SWEEP();
    let result: OrganizationResult;
    try {
      result = (await handler(event, lambdaContext())) as OrganizationResult;
    } finally {
      proxy.setPlan(undefined);
    }

    // Assess: what went over the wire fits, and says what matters.
    expect(result.outcome).toBe('failed');
    // The result counts all 150 and names the first 100 (the whole list is in the log).
    expect(result.sweep).toMatchObject({ total: 150, counts: { failed: 150 }, omitted: 50 });
    expect(result.accounts).toHaveLength(100);
    const sent = publishes(wire);
    expect(sent).toHaveLength(1);
    for (const p of sent) expect(p.bytes).toBeLessThanOrEqual(SNS_MAX_BYTES);
    const [received] = await topic.notifications();
    expect(received?.subject).toBe('[support-role-guard] SWEEP: 0 remediated, 150 failed of 150 accounts');
    const document = received?.document as unknown as {
      outcome: string;
      counts: { failed: number };
      accounts: { account: string }[];
      truncated?: { note: string; omitted: Record<string, number> };
    };
    expect(document.outcome).toBe('failed');
    expect(document.counts.failed).toBe(150);
    const listed = document.accounts.length;
    expect(listed).toBeGreaterThan(0);
    expect(listed + (document.truncated?.omitted.accounts ?? 0)).toBe(150);
    expect(document.truncated?.note).toContain(`${150 - listed} more accounts not listed`);
    const email = JSON.parse(sent[0]?.message ?? '{}').email as string;
    expect(email).toContain('Cut to fit the 256 KB message limit of SNS');
    expect(email).toContain(`correlation id ${event.id}`);

    // The log has every account, under the sweep's correlation id.
    const detail = lines.filter((l) => l.message === 'full message detail');
    expect(detail.length).toBeGreaterThan(0);
    for (const l of detail) expect(l.correlation_id).toBe(event.id);
    const full = JSON.parse(
      detail
        .sort((a, b) => Number(a.part) - Number(b.part))
        .map((l) => String(l.detail))
        .join(''),
    ) as { document: { accounts: { account: string }[] } };
    expect(full.document.accounts.map((a) => a.account).sort()).toEqual([...ids].sort());
  });

  it('the worst-case role (50 long tags, 10 inline policies, 20 long attached policies) is remediated and reported within 256 KB', async () => {
    // Prepare: the role in desired state, then everything an attacker can add within IAM's quotas.
    const aws = testClients();
    const topic = await topicWithInbox(aws, uniqueName('size-topic'));
    const roleName = uniqueName('AWSSupportRole');
    const config = parseConfig(guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn }), {
      requireTopic: true,
    });
    const store = new IamRoleStore(aws.iam);
    await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
    const worst = worstCaseRole(3);
    await aws.iam.send(new TagRoleCommand({ RoleName: roleName, Tags: worst.tags }));
    await aws.iam.send(
      new UpdateRoleDescriptionCommand({ RoleName: roleName, Description: worst.description }),
    );
    for (const p of worst.inlinePolicies)
      await aws.iam.send(
        new PutRolePolicyCommand({ RoleName: roleName, PolicyName: p.name, PolicyDocument: p.document }),
      );
    const suffix = uniqueName('p');
    for (const m of worst.managedPolicies) {
      const created = await aws.iam.send(
        new CreatePolicyCommand({
          PolicyName: `${m.name.slice(0, 128 - suffix.length)}${suffix}`,
          Path: m.path,
          PolicyDocument:
            '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}',
        }),
      );
      await aws.iam.send(
        new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: created.Policy?.Arn ?? '' }),
      );
    }
    const wire = new WireLog();
    const { logger } = capturingLogger();
    const handler = createHandler({
      config,
      clients: {
        iam: new IAMClient(settings()),
        sns: recordIamCalls(new SNSClient(settings()), wire),
        eventBridge: new EventBridgeClient(settings()),
      },
      logger,
    });

    // Act
    const result = await handler(SWEEP(), lambdaContext());

    // Assess
    expect(result.outcome).toBe('remediated');
    expect(result.drift.length).toBeGreaterThanOrEqual(50 + 10 + 20 + 1);
    const sent = publishes(wire);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.bytes).toBeLessThanOrEqual(SNS_MAX_BYTES);
    const [received] = await topic.notifications();
    expect(received?.document).toMatchObject({ outcome: 'remediated', roleName, account: '123456789012' });
    // The result is the idempotency record (one DynamoDB item, at most 400 KB with its key and
    // attributes): the worst-case role's drift keeps it far below.
    expect(utf8(JSON.stringify(result))).toBeLessThan(200 * 1024);
  });
});
