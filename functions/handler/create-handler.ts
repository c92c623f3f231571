import { AsyncLocalStorage } from 'node:async_hooks';
import { defaultMaxListeners, setMaxListeners } from 'node:events';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { IAMClient } from '@aws-sdk/client-iam';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { type AwsClients, createClients } from '../adapters/aws-clients.js';
import { CloudFormationStacks } from '../adapters/cloudformation-stacks.js';
import { DynamoDbDeliveryLog, prefetchDeliveries } from '../adapters/delivery-log.js';
import { IamRoleStore } from '../adapters/iam-role-store.js';
import { type ClosingWrites, idempotency } from '../adapters/idempotency.js';
import { AwsNotifier, channelsOf } from '../adapters/notifier.js';
import { AwsSecurityHub } from '../adapters/security-hub.js';
import { DynamoDbStormLedger } from '../adapters/storm-ledger.js';
import { accountOfArn } from '../core/arn.js';
import { classifyEvent, isScheduledSweep } from '../core/classify-event.js';
import { type GuardConfig, parseConfig } from '../core/config.js';
import { type Deadline, deadlineIn, NOTIFICATION_RESERVE_MS } from '../core/deadline.js';
import { pinnedPolicyArns } from '../core/desired-state.js';
import { describeError } from '../core/errors.js';
import { GuardFailure, type GuardResult } from '../core/guard-result.js';
import { deliveryIdOf, eventIdOf, handleEvent } from '../core/handle-event.js';
import { handleOrganizationEvent } from '../core/handle-org-event.js';
import { hasPlaceholders, resolveDesired } from '../core/placeholders.js';
import { MAX_POLICY_VERSIONS } from '../core/plan.js';
import type {
  AccountAccess,
  AccountDirectory,
  CallOptions,
  Clock,
  EnrolmentDirectory,
  RoleStore,
} from '../core/ports.js';
import type { RoleSnapshot } from '../core/role-snapshot.js';
import { REVOCATION_POLICY_NAME } from '../core/session-revocation.js';
import {
  DUPLICATE_METRIC,
  METRICS_NAMESPACE,
  OUTCOME_METRICS,
  SERVICE_NAME,
  SWEEP_METRIC,
} from '../core/telemetry.js';

export interface HandlerOptions {
  /** Defaults to the environment (parsed once, here). */
  readonly config?: GuardConfig;
  readonly clients?: AwsClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  /** Organization mode: extra settings for the member accounts' IAM clients (the endpoint, in tests). */
  readonly memberClientSettings?: Record<string, unknown>;
  /** Organization mode's ports (given by the central entry point, functions/handler/central.ts). */
  readonly organizationPorts?: (
    config: GuardConfig,
    clients: AwsClients,
    memberClientSettings?: Record<string, unknown>,
    instrument?: (iam: IAMClient) => IAMClient,
  ) => { access: AccountAccess; directory: AccountDirectory; enrolment?: EnrolmentDirectory };
  /** Organization mode: wraps each member IAM client (the local drill counts calls with it). */
  readonly instrumentMemberIam?: (iam: IAMClient) => IAMClient;
  /**
   * Time kept before the Lambda timeout for the message (default NOTIFICATION_RESERVE_MS, 8 s):
   * the work stops, and its IAM calls are aborted, that long before the timeout.
   */
  readonly notificationReserveMs?: number;
}

/**
 * The most listeners one account's work adds to the deadline's signal at a time: the role's read
 * sends four calls at once, and each SDK call listens once (its request's, or between attempts its
 * retry wait's); one wait of the core (`untilDeadline`, `pause`), and one to spare. One account (no
 * organization) may also have pinned customer-managed policies, read alongside: every version of
 * each at once.
 */
const LISTENERS_PER_ACCOUNT = 4 + 2;

export type GuardHandler = (event: unknown, context: Context) => Promise<GuardResult>;

/** The CloudTrail event id (or the EventBridge id of a sweep) becomes the logs' correlation id. */
function correlationId(logger: Logger): MiddlewareObj<unknown> {
  const correlationIdBefore = (request: { event: unknown }) => {
    const event = request.event as { id?: unknown; detail?: { eventID?: unknown } } | null;
    const id = event?.detail?.eventID ?? event?.id;
    if (typeof id === 'string' && id.length <= 256) logger.setCorrelationId(id);
  };
  return { before: correlationIdBefore };
}

/** Builds the Lambda handler: wiring only, the decisions live in core/handle-event. */
export function createHandler(options: HandlerOptions = {}): GuardHandler {
  const config = options.config ?? parseConfig(process.env, { requireTopic: true });
  if (!config.notifyTopicArn) throw new Error('NOTIFY_TOPIC_ARN is required for the handler');
  const clients =
    options.clients ??
    createClients(config.region, {
      dynamodb: Boolean(config.idempotencyTableName),
      eventBridge: Boolean(config.eventBusName),
      securityHub: securityHubWanted(config),
    });
  const logger = options.logger ?? new Logger({ serviceName: SERVICE_NAME });
  const metrics =
    options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });
  const store = new IamRoleStore(clients.iam);
  const deliveries =
    config.idempotencyTableName && clients.dynamodb
      ? new DynamoDbDeliveryLog(clients.dynamodb, config.idempotencyTableName, options.clock)
      : undefined;
  const notifierOptions = {
    ...(deliveries ? { deliveries } : {}),
    sns: clients.sns,
    topicArn: config.notifyTopicArn,
    ...(config.chatTopicArn ? { chatTopicArn: config.chatTopicArn } : {}),
    ...(clients.eventBridge ? { eventBridge: clients.eventBridge } : {}),
    ...(config.eventBusName ? { eventBusName: config.eventBusName } : {}),
    // A cut message's full detail, under the event's correlation id (set by the middleware below).
    log: (message: string, fields: Record<string, unknown>) => logger.warn(message, fields),
    correlationId: () => {
      const id = logger.getCorrelationId();
      return typeof id === 'string' ? id : undefined;
    },
  };

  const storm =
    config.idempotencyTableName && clients.dynamodb && config.stormWindowSeconds > 0
      ? new DynamoDbStormLedger(clients.dynamodb, config.idempotencyTableName)
      : undefined;
  const securityHub =
    securityHubWanted(config) && clients.securityHub ? new AwsSecurityHub(clients.securityHub) : undefined;
  const common = {
    config: config.organization ? config : singleAccountConfig(config),
    ...(storm ? { storm } : {}),
    ...(securityHub ? { securityHub } : {}),
    count: (metric: string, value: number) => metrics.addMetric(metric, MetricUnit.Count, value),
    ...(options.clock ? { clock: options.clock } : {}),
    log: (message: string, fields: Record<string, unknown>) => logger.info(message, fields),
  };
  if (config.organization && !options.organizationPorts) {
    throw new Error(
      'MEMBER_ROLE_NAME is set (organization mode), but this is the single-account entry point; use functions/handler/central.ts',
    );
  }
  const organization = config.organization
    ? options.organizationPorts?.(config, clients, options.memberClientSettings, options.instrumentMemberIam)
    : undefined;
  const stacks = clients.cloudformation ? new CloudFormationStacks(clients.cloudformation) : undefined;
  const reserveMs = options.notificationReserveMs ?? NOTIFICATION_RESERVE_MS;
  // Every call in flight listens on the deadline's signal (the SDK's HTTP handler, or its retry
  // wait), and so do the core's waits: up to LISTENERS_PER_ACCOUNT for each account swept at once,
  // and in one account the pinned policies' versions too. Node warns of a leak past 10 listeners,
  // which a sweep of 8 accounts at once passes; the limit is raised to what the work can really
  // hold, so a real leak still warns.
  const deadlineListeners =
    defaultMaxListeners +
    LISTENERS_PER_ACCOUNT * (config.organization?.sweepConcurrency ?? 1) +
    (config.organization ? 0 : (1 + MAX_POLICY_VERSIONS) * pinnedPolicyArns(config.desired).length);
  // What one invocation's outer wrapper (below) starts before the middlewares run, for the
  // handler to use: the deadline, the notifier, and the role's reads begun alongside the claim.
  const invocations = new AsyncLocalStorage<Invocation>();
  const guard = async (event: unknown, context: Context): Promise<GuardResult> => {
    const invocation = invocations.getStore() ?? begin(event, context);
    const { deadline, notifier } = invocation;
    try {
      const result = organization
        ? await handleOrganizationEvent(event, { ...common, ...organization, notifier, deadline })
        : await handleEvent(event, {
            ...common,
            notifier,
            store: invocation.store,
            ...(stacks ? { stacks } : {}),
            deadline,
          });
      metrics.addMetric(OUTCOME_METRICS[result.outcome], MetricUnit.Count, 1);
      if (isScheduledSweep(event)) metrics.addMetric(SWEEP_METRIC, MetricUnit.Count, 1);
      logger.info('done', { outcome: result.outcome, reason: result.reason, notified: result.notified });
      return result;
    } catch (error) {
      metrics.addMetric(OUTCOME_METRICS.failed, MetricUnit.Count, 1);
      const result = error instanceof GuardFailure ? error.result : undefined;
      logger.error('the guard failed; rethrowing so that Lambda retries', {
        error: describeError(error),
        ...(result ? { result } : {}),
      });
      throw error;
    } finally {
      if (!invocations.getStore()) await end(invocation);
    }
  };

  /**
   * Starts an invocation: its deadline (the time it has left, less the time kept to notify), its
   * notifier, and, for an event the guard will act on in one account, the side-effect-free reads
   * of the role and of the message's delivery records, sent now so that they go out alongside the
   * idempotency claim (Powertools' PutItem) instead of after it. The handler consumes them; when
   * the claim says duplicate or in progress the handler never runs and they are dropped.
   */
  const begin = (event: unknown, context: Context): Invocation => {
    const deadline = deadlineIn(context.getRemainingTimeInMillis() - reserveMs, reserveMs);
    setMaxListeners(deadlineListeners, deadline.signal);
    const classification = organization
      ? undefined
      : classifyEvent(event, {
          desired: config.desired,
          guardRoleArn: config.guardRoleArn,
          partition: config.partition,
        });
    const acting = classification !== undefined && classification.kind !== 'ignored';
    const eventId = classification ? eventIdOf(classification) : undefined;
    const call = { signal: deadline.signal };
    // The role's reads first: IAM's answer is the longest wait of the first round trip. An event
    // that names the session revocation policy has it asked for alongside (it may be there now).
    const trigger = classification?.kind === 'role-change' ? classification.trigger : undefined;
    const revocationChanged =
      (trigger?.eventName === 'PutRolePolicy' || trigger?.eventName === 'DeleteRolePolicy') &&
      trigger.requestParameters.policyName === REVOCATION_POLICY_NAME;
    const ownStore = acting
      ? prefetched(store, config.desired.roleName, revocationChanged ? { ...call, revocationChanged } : call)
      : store;
    // The SDK puts a request on the wire only after several turns of the microtask queue, and
    // calls started together take those turns in step: IAM's reads, the longest wait of the first
    // round trip, would leave only once the table's calls (the delivery records' read, then the
    // idempotency claim) had taken theirs. Those wait for the event loop's next turn instead
    // (setImmediate runs once the microtasks and process.nextTick callbacks, and with them the
    // writes of the reads to their kept-alive connections, are done).
    const wireFirst = acting ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined;
    const ownDeliveries =
      acting && eventId && deliveries && clients.dynamodb && config.idempotencyTableName
        ? prefetchDeliveries(
            deliveries,
            clients.dynamodb,
            config.idempotencyTableName,
            [deliveryIdOf(eventId, false), deliveryIdOf(eventId, true)],
            channelsOf(notifierOptions),
            deadline.signal,
            wireFirst,
          )
        : deliveries;
    // The messages work to the Lambda timeout itself: each send gets its share of the time left.
    const notifier = new AwsNotifier({
      ...notifierOptions,
      ...(ownDeliveries ? { deliveries: ownDeliveries } : {}),
      deferRecords: true,
      timeLeftMs: () => context.getRemainingTimeInMillis(),
    });
    return { deadline, notifier, store: ownStore, ...(wireFirst ? { wireFirst } : {}) };
  };
  /** Ends an invocation: its deferred delivery records written, its deadline's timer cleared. */
  const end = async (invocation: Invocation): Promise<void> => {
    try {
      await invocation.notifier.settled();
    } finally {
      invocation.deadline.dispose();
    }
  };

  const handler = middy(guard)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(correlationId(logger))
    .use(logMetrics(metrics));
  if (config.idempotencyTableName) {
    if (!clients.dynamodb) throw new Error('IDEMPOTENCY_TABLE_NAME is set but no DynamoDB client was given');
    // The invocation's delivery records, held after its messages, go out with the completion.
    const closing: ClosingWrites = {
      take: (max) => {
        const held = invocations.getStore()?.notifier.takeHeld(max);
        if (!held || !deliveries) {
          held?.giveBack(held.records.map((_, i) => i));
          return { items: [], giveBack: () => {} };
        }
        return {
          items: held.records.map((r) => deliveries.item(r.id, r.channel)),
          ...(held.signal ? { signal: held.signal } : {}),
          giveBack: (unwritten) => held.giveBack(unwritten),
        };
      },
    };
    handler.use(
      idempotency(
        config.idempotencyTableName,
        clients.dynamodb,
        () => metrics.addMetric(DUPLICATE_METRIC, MetricUnit.Count, 1),
        closing,
        (message, fields) => logger.warn(message, fields),
      ),
    );
  }
  const run = handler as unknown as GuardHandler;
  return async (event, context) => {
    const invocation = begin(event, context);
    await invocation.wireFirst;
    try {
      // The delivery records held after the messages are written by Powertools' completion of
      // the idempotency record (its `after`, inside `run`, in the same request), or else on
      // their own; `end` awaits them before returning.
      return await invocations.run(invocation, () => run(event, context));
    } catch (error) {
      // The same event is being handled by a concurrent invocation right now: that one notifies
      // (and if it fails, Lambda retries it), so this delivery has nothing to add.
      if (error instanceof IdempotencyAlreadyInProgressError) {
        logger.info('duplicate delivery of an event in progress; skipped', { error: error.message });
        metrics.addMetric(DUPLICATE_METRIC, MetricUnit.Count, 1);
        metrics.publishStoredMetrics();
        return {
          outcome: 'ignored',
          reason: 'a duplicate delivery of an event that another invocation is handling right now',
          drift: [],
          actions: [],
          notified: false,
          duplicate: true,
        };
      }
      throw error;
    } finally {
      await end(invocation);
    }
  };
}

interface Invocation {
  readonly deadline: Deadline & { dispose(): void };
  readonly notifier: AwsNotifier;
  readonly store: RoleStore;
  /** Settles once the role's reads begun with the invocation are on the wire (see `begin`). */
  readonly wireFirst?: Promise<void>;
}

/**
 * The store whose first read of `roleName` is already under way (sent with the invocation's
 * deadline): that read answers it; every other call goes to `store`. A read that was never asked
 * for (a duplicate) has its rejection caught, so nothing is left unhandled.
 */
function prefetched(store: RoleStore, roleName: string, call: CallOptions): RoleStore {
  let first: Promise<RoleSnapshot> | undefined = store.read(roleName, call);
  first.catch(() => undefined);
  return {
    read: (name, options) => {
      const early = name === roleName ? first : undefined;
      first = undefined;
      return early ?? store.read(name, options);
    },
    apply: (action, options) => store.apply(action, options),
    ...(store.readPolicies
      ? { readPolicies: (arns, options) => store.readPolicies?.(arns, options) ?? Promise.resolve({}) }
      : {}),
    ...(store.accountAlias
      ? { accountAlias: (options) => store.accountAlias?.(options) ?? Promise.resolve(undefined) }
      : {}),
    ...(store.knownRevocationCutoff
      ? { knownRevocationCutoff: (name) => store.knownRevocationCutoff?.(name) }
      : {}),
  };
}

/**
 * Security Hub reporting is for the single-account guard: in organization mode the findings
 * belong to the member accounts, and BatchImportFindings accepts a finding only from its own
 * account (docs/runbook.md, "Security Hub").
 */
const securityHubWanted = (config: GuardConfig): boolean =>
  !config.organization &&
  (config.securityHub.annotateControlFindings || config.securityHub.importTamperingFindings);

/**
 * One account: placeholders in the trusted principals resolve with the guard's own account (the
 * account of GUARD_ROLE_ARN, which the stack sets); without it they cannot be resolved.
 */
function singleAccountConfig(config: GuardConfig): GuardConfig {
  if (!config.desired.trustedPrincipalArns.some(hasPlaceholders)) return config;
  const account = accountOfArn(config.guardRoleArn);
  if (!account)
    throw new Error(
      'TRUSTED_PRINCIPAL_ARNS has placeholders (${AccountId}, ${Partition}); one account resolves them with the account of GUARD_ROLE_ARN, which is not set',
    );
  return { ...config, desired: resolveDesired(config.desired, { account, partition: config.partition }) };
}
