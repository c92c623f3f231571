import { Logger } from '@aws-lambda-powertools/logger';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { detectDrift } from '../../functions/core/drift.js';
import type { GuardResult } from '../../functions/core/guard-result.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent, GUARD_ROLE_ARN } from '../../functions/local/cloudtrail.js';
import { recordIamCalls } from '../../functions/local/wire-log.js';
import {
  guardClients,
  idempotencyTable,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { lambdaContext } from '../support/lambda.js';

const T0 = Date.parse('2026-11-28T04:00:00.000Z');
const sweep = (time: number) => ({
  version: '0',
  id: `sweep-${time}`,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date(time).toISOString().replace(/\.\d+Z$/, 'Z'),
  region: 'us-east-1',
  resources: [],
  detail: {},
});

interface FollowUp {
  readonly kind: string;
  readonly count: number;
  readonly actorArn: string;
  readonly eventNames: Record<string, number>;
  readonly firstTime: string;
  readonly lastTime: string;
}

describe('an alert storm: one actor detaches the policy 200 times in a minute', () => {
  it('remediates every act, notifies the first at once and folds the other 199 into an exact follow-up', async () => {
    // Prepare: the role, the table, the guard with a clock the test moves.
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('storm-topic'));
    const table = uniqueName('storm-idempotency');
    const dynamodb = await idempotencyTable(table);
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        GUARD_ROLE_ARN,
        IDEMPOTENCY_TABLE_NAME: table,
      }),
      { requireTopic: true },
    );
    const store = new IamRoleStore(aws.iam);
    await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
    const wire = new WireLog();
    const published = new WireLog();
    let now = T0;
    const handler = createHandler({
      config,
      clients: {
        ...guardClients(wire),
        sns: recordIamCalls(new SNSClient(settings()), published),
        dynamodb,
      },
      clock: () => new Date(now),
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    });
    // The script's first detach is real; its 200 events arrive within the minute, a third of
    // them delivered twice (EventBridge and Lambda deliver at least once).
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    const acts = Array.from({ length: 200 }, () =>
      cloudTrailEvent({
        eventName: 'DetachRolePolicy',
        input: { RoleName: roleName, PolicyArn: SUPPORT_ACCESS },
        actor: ACTORS.alice,
        // CloudTrail's time of the calls, on the guard's (test) clock: the script starts at T0.
        time: new Date(T0),
      }),
    );
    const deliveries = acts.flatMap((e, i) => (i % 3 === 0 ? [e, structuredClone(e)] : [e]));

    // Act: the first act alone (it is the one that finds the role drifted), then 8 concurrent
    // workers take the rest off the burst; then the window closes and the hourly sweep runs.
    now = T0 + 1_000;
    const results: GuardResult[] = [await handler(deliveries[0], lambdaContext())];
    const queue = deliveries.slice(1);
    const errors: unknown[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let event = queue.shift(); event; event = queue.shift()) {
          now += 200; // 267 deliveries, about a minute
          try {
            results.push(await handler(event, lambdaContext()));
          } catch (error) {
            errors.push(error);
          }
        }
      }),
    );
    const duringBurst = published.requests.filter((r) => r.action === 'Publish').length;
    now = T0 + 60 * 60_000;
    await handler(sweep(now), lambdaContext());
    await handler(sweep(now + 1), lambdaContext()); // a second sweep has nothing left to send

    // Assess
    expect(errors).toEqual([]);
    expect(detectDrift(config.desired, await store.read(roleName))).toEqual([]);
    expect(results).toHaveLength(deliveries.length);
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    // On the wire: one message for the first act while the burst ran, one follow-up after it.
    expect(duringBurst).toBe(1);
    expect(published.requests.filter((r) => r.action === 'Publish')).toHaveLength(2);
    const messages = await topic.notifications();
    expect(messages).toHaveLength(2);
    expect(messages[0]?.document).toMatchObject({
      outcome: 'remediated',
      trigger: { eventId: (acts[0] as { detail: { eventID: string } }).detail.eventID },
    });
    const followUp = messages[1]?.document as unknown as FollowUp;
    expect(followUp).toMatchObject({
      kind: 'repeated-tampering',
      count: 199,
      actorArn: ACTORS.alice.userIdentity.arn,
      eventNames: { DetachRolePolicy: 199 },
    });
    expect(Date.parse(followUp.firstTime)).toBeLessThanOrEqual(Date.parse(followUp.lastTime));
    expect(messages[1]?.subject).toContain('REPEATED TAMPERING');
    // Every act was still handled (and logged): folded acts say so in their result.
    expect(results.filter((r) => r.folded === true && !r.duplicate)).toHaveLength(199);
  }, 180_000);
});
