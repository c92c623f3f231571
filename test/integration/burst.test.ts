import { Logger } from '@aws-lambda-powertools/logger';
import {
  AttachRolePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { classifyEvent } from '../../functions/core/classify-event.js';
import { parseConfig } from '../../functions/core/config.js';
import { detectDrift } from '../../functions/core/drift.js';
import type { GuardResult } from '../../functions/core/guard-result.js';
import { type NamedChange, planActions, removalsNamedBy } from '../../functions/core/plan.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { isTamperingAct } from '../../functions/core/tampering.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent, GUARD_ROLE_ARN } from '../../functions/local/cloudtrail.js';
import { FOREIGN_TRUST } from '../../functions/local/drill-scenarios.js';
import {
  guardClients,
  idempotencyTable,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { lambdaContext } from '../support/lambda.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const INLINE = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}';

/** A seeded shuffle, so that a failing burst can be replayed. */
function shuffle<T>(items: T[], seed: number): T[] {
  let a = seed;
  const random = () => {
    a = (a * 1103515245 + 12345) % 2 ** 31;
    return a / 2 ** 31;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

describe('a burst of 200 events, 8 concurrent invocations', () => {
  it('ends compliant, notifies once per distinct tampering event and never for the rest', async () => {
    // Prepare: the guarded role, the idempotency table, and the real tampering calls.
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('burst-topic'));
    const table = uniqueName('burst-idempotency');
    const dynamodb = await idempotencyTable(table);
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        GUARD_ROLE_ARN,
        IDEMPOTENCY_TABLE_NAME: table,
        // Exactly one message per distinct event: storm folding (one actor's repeats in one
        // message) is off here and proven by test/integration/storm.test.ts.
        STORM_WINDOW_SECONDS: '0',
      }),
      { requireTopic: true },
    );
    const store = new IamRoleStore(aws.iam);
    await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
    const wire = new WireLog();
    const handler = createHandler({
      config,
      clients: { ...guardClients(wire), dynamodb },
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    });

    const R = roleName;
    const calls: { api: string; input: Record<string, unknown>; run: () => Promise<unknown> }[] = [
      {
        api: 'AttachRolePolicy',
        input: { RoleName: R, PolicyArn: ADMIN },
        run: () => aws.iam.send(new AttachRolePolicyCommand({ RoleName: R, PolicyArn: ADMIN })),
      },
      {
        api: 'PutRolePolicy',
        input: { RoleName: R, PolicyName: 'x', PolicyDocument: INLINE },
        run: () =>
          aws.iam.send(new PutRolePolicyCommand({ RoleName: R, PolicyName: 'x', PolicyDocument: INLINE })),
      },
      {
        api: 'UpdateAssumeRolePolicy',
        input: { RoleName: R, PolicyDocument: FOREIGN_TRUST },
        run: () =>
          aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: R, PolicyDocument: FOREIGN_TRUST })),
      },
      {
        api: 'TagRole',
        input: { RoleName: R, Tags: [{ Key: 'access', Value: 'admin' }] },
        run: () =>
          aws.iam.send(new TagRoleCommand({ RoleName: R, Tags: [{ Key: 'access', Value: 'admin' }] })),
      },
      // The real deletion sequence: policies off, then DeleteRole.
      {
        api: 'DetachRolePolicy',
        input: { RoleName: R, PolicyArn: ADMIN },
        run: () => aws.iam.send(new DetachRolePolicyCommand({ RoleName: R, PolicyArn: ADMIN })),
      },
      {
        api: 'DeleteRolePolicy',
        input: { RoleName: R, PolicyName: 'x' },
        run: () => aws.iam.send(new DeleteRolePolicyCommand({ RoleName: R, PolicyName: 'x' })),
      },
      {
        api: 'DetachRolePolicy',
        input: { RoleName: R, PolicyArn: SUPPORT_ACCESS },
        run: () => aws.iam.send(new DetachRolePolicyCommand({ RoleName: R, PolicyArn: SUPPORT_ACCESS })),
      },
      {
        api: 'DeleteRole',
        input: { RoleName: R },
        run: () => aws.iam.send(new DeleteRoleCommand({ RoleName: R })),
      },
    ];
    const tampering: Record<string, unknown>[] = [];
    for (const call of calls) {
      await call.run();
      tampering.push(cloudTrailEvent({ eventName: call.api, input: call.input, actor: ACTORS.alice }));
    }
    const events: Record<string, unknown>[] = [];
    // Each real event delivered 1 to 4 times (EventBridge and Lambda deliver at least once).
    tampering.forEach((event, i) => {
      for (let n = 0; n <= i % 4; n++) events.push(structuredClone(event));
    });
    // Noise the rule would normally filter, delivered anyway: the guard must still ignore it.
    while (events.length < 200) {
      const k = events.length % 3;
      if (k === 0)
        events.push(
          cloudTrailEvent({
            eventName: 'DetachRolePolicy',
            input: { RoleName: 'OtherRole', PolicyArn: SUPPORT_ACCESS },
            actor: ACTORS.alice,
          }),
        );
      if (k === 1)
        events.push(
          cloudTrailEvent({
            eventName: 'AttachRolePolicy',
            input: { RoleName: R, PolicyArn: SUPPORT_ACCESS },
            actor: ACTORS.guard,
          }),
        );
      if (k === 2)
        events.push(
          cloudTrailEvent({
            eventName: 'DetachRolePolicy',
            input: { RoleName: R, PolicyArn: SUPPORT_ACCESS },
            actor: ACTORS.bob,
            error: { code: 'AccessDenied', message: 'denied' },
          }),
        );
    }
    shuffle(events, 2026);
    // The real drift the burst leaves behind: what a single reconcile would have to write.
    const realDrift = planActions(
      config.desired,
      detectDrift(config.desired, await store.read(roleName)),
    ).length;
    const noise = events.filter(
      (e) =>
        !tampering.some(
          (t) => (t.detail as { eventID: string }).eventID === (e.detail as { eventID: string }).eventID,
        ),
    ).length;
    const roleChangeIds = new Set(tampering.map((e) => (e.detail as { eventID: string }).eventID));
    const tamperingIds = new Set(
      tampering
        .filter((e) => {
          const c = classifyEvent(e, { desired: config.desired, guardRoleArn: GUARD_ROLE_ARN });
          return c.kind === 'role-change' && isTamperingAct(c.trigger, config.desired);
        })
        .map((e) => (e.detail as { eventID: string }).eventID),
    );

    // Act: 8 workers take events off the burst until it is empty.
    const results: GuardResult[] = [];
    const errors: unknown[] = [];
    const queue = [...events];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let event = queue.shift(); event; event = queue.shift()) {
          try {
            results.push(await handler(event, lambdaContext()));
          } catch (error) {
            errors.push(error);
          }
        }
      }),
    );

    // Assess
    expect(events).toHaveLength(200);
    expect(errors).toEqual([]);
    expect(detectDrift(config.desired, await store.read(roleName))).toEqual([]);
    const messages = await topic.notifications();
    const notifiedIds = messages.map((m) => m.document.trigger?.eventId ?? 'sweep');
    expect(new Set(notifiedIds).size).toBe(notifiedIds.length);
    // Every tampering event is notified (exactly once, above); a benign call of the deletion
    // sequence may be too, when it is the one that finds the role drifted; noise never is.
    for (const id of tamperingIds) expect(notifiedIds).toContain(id);
    for (const id of notifiedIds) expect(roleChangeIds.has(id)).toBe(true);
    expect(results.filter((r) => r.outcome === 'ignored' && !r.duplicate)).toHaveLength(noise);
    // The session revocation (PutRolePolicy of AWSRevokeOlderSessions) is owed to the events that
    // opened the role, not to the drift left behind: counted apart, at most once per such event.
    const revocations = wire.writes.filter((c) => c === 'PutRolePolicy').length;
    const writes = wire.writes.length - revocations;
    const superseded = results
      .flatMap((r) => r.actions)
      .filter((a) => a.status === 'superseded' && a.api !== 'PutRolePolicy').length;
    // The removals an event names go out alongside its first read: for an event whose act a
    // concurrent repair had already undone, that is a write more than the drift needed, at most
    // one per such event.
    const ahead = tampering.reduce(
      (n, e) => n + removalsNamedBy(e.detail as NamedChange, config.desired).length,
      0,
    );
    // Concurrent invocations may both try the same repair; the loser's write is "superseded".
    expect(writes).toBeLessThanOrEqual(realDrift + superseded + ahead);
    expect(revocations).toBeLessThanOrEqual(tamperingIds.size);
    // A tampering event whose first read showed the role untouched is read again (IAM may not
    // show the act yet), unless the role proves a repair ran after it: how many were, here.
    const reread = results.filter((r) => /read again/.test(r.reason ?? '')).length;
    console.info(
      `burst: 200 events, ${tamperingIds.size} distinct tampering events, real drift needing ${realDrift} writes, ${writes} IAM writes (${superseded} superseded by a concurrent repair, ${ahead} that could go ahead of a read), ${messages.length} notifications, ${reread} invocations read the role again`,
    );
  }, 120_000);
});
