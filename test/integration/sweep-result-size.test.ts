import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { AccountUnreachableError } from '../../functions/core/errors.js';
import {
  type OrganizationResult,
  SWEEP_RESULT_MAX_ACCOUNTS,
  SWEEP_RESULT_MAX_BYTES,
} from '../../functions/core/handle-org-event.js';
import { utf8Bytes } from '../../functions/core/message-budget.js';
import type { RoleStore } from '../../functions/core/ports.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import {
  guardClients,
  idempotencyTable,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv } from '../support/config.js';
import { fixture } from '../support/events.js';
import { lambdaContext } from '../support/lambda.js';

/** Enough accounts that a result naming each one would pass DynamoDB's 400 KB item limit. */
const ACCOUNTS = 3_000;

/** Every call fails as an unreachable member role does, with AWS's long AccessDenied text. */
function unreachableStore(account: string): RoleStore {
  const fail = async () => {
    throw new AccountUnreachableError(
      account,
      `assuming arn:aws:iam::${account}:role/support-role-guard-remediation failed: AccessDenied: User: arn:aws:sts::999999999999:assumed-role/support-role-guard-central/guard is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${account}:role/support-role-guard-remediation`,
    );
  };
  return new Proxy({} as RoleStore, { get: (_, key) => (key === 'then' ? undefined : fail) });
}

describe('the organization sweep result fits the idempotency table (DynamoDB item size, on the emulator)', () => {
  it(`a sweep of ${ACCOUNTS} failing accounts with the idempotency table configured returns, and a repeat gets the stored result`, async () => {
    // Prepare: the emulator enforces DynamoDB's 400 KB item size on the record Powertools writes.
    const aws = testClients();
    const table = uniqueName('idempotency');
    const dynamodb = await idempotencyTable(table);
    const topic = await topicWithInbox(aws, uniqueName('sweep-size'));
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => String(100_000_000_000 + i));
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: uniqueName('AWSSupportRole'),
        NOTIFY_TOPIC_ARN: topic.topicArn,
        MEMBER_ROLE_NAME: 'support-role-guard-remediation',
        IDEMPOTENCY_TABLE_NAME: table,
        SWEEP_CONCURRENCY: '16',
      }),
      { requireTopic: true },
    );
    // The log keeps each account's full detail (the result names only the worst 100).
    const lines: Record<string, unknown>[] = [];
    const logger = new Logger({ serviceName: 'support-role-guard', logLevel: 'INFO' });
    const keep = (line: unknown) => lines.push(JSON.parse(String(line)) as Record<string, unknown>);
    Object.assign(logger, {
      console: { info: keep, warn: keep, error: keep, debug: keep, log: keep, trace: keep },
    });
    const handler = createHandler({
      config,
      clients: { ...guardClients(new WireLog()), dynamodb },
      logger,
      organizationPorts: () => ({
        access: { storeFor: (account) => unreachableStore(account) },
        directory: { listAccounts: async () => ids.map((id) => ({ id })) },
      }),
    });
    const event = { ...fixture('scheduled-sweep'), id: uniqueName('sweep'), time: uniqueName('t') };

    // Act
    const first = (await handler(event, lambdaContext())) as OrganizationResult;
    const second = (await handler(structuredClone(event), lambdaContext())) as OrganizationResult;

    // Assess: the sweep did not fail on saving its result; the counts carry every account.
    expect(first).toMatchObject({ outcome: 'failed', notified: true });
    expect(first.sweep).toMatchObject({ total: ACCOUNTS, counts: { failed: ACCOUNTS } });
    expect(utf8Bytes(JSON.stringify(first))).toBeLessThanOrEqual(SWEEP_RESULT_MAX_BYTES);
    expect(first.accounts).toHaveLength(SWEEP_RESULT_MAX_ACCOUNTS);
    expect(first.sweep?.omitted).toBe(ACCOUNTS - SWEEP_RESULT_MAX_ACCOUNTS);
    expect(second).toMatchObject({
      duplicate: true,
      sweep: { total: ACCOUNTS, counts: { failed: ACCOUNTS } },
    });
    expect(await topic.notifications()).toHaveLength(1);
    const logged = lines.filter((l) => l.message === 'sweep account');
    expect(new Set(logged.map((l) => l.account))).toEqual(new Set(ids));
    expect(logged.every((l) => l.outcome === 'failed' && String(l.reason).includes('AccessDenied'))).toBe(
      true,
    );
    expect(new Set(logged.map((l) => l.correlation_id)).size).toBe(1);
    expect(logged[0]?.correlation_id).toBe(event.id);
  }, 120_000);
});
