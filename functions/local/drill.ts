import { performance } from 'node:perf_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { CLIENT_SETTINGS } from '../adapters/aws-clients.js';
import { IamRoleStore } from '../adapters/iam-role-store.js';
import { organizationPorts } from '../adapters/member-access.js';
import { type GuardConfig, parseConfig } from '../core/config.js';
import { pinnedPolicyArns } from '../core/desired-state.js';
import { detectDrift } from '../core/drift.js';
import { describeError } from '../core/errors.js';
import { roleMutationPattern } from '../core/event-pattern.js';
import { matchesPattern } from '../core/event-pattern-matcher.js';
import { GuardFailure, type GuardResult } from '../core/guard-result.js';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  GUARD_ROLE_PATH,
  MEMBER_RULE_NAMES,
  memberRoleArn,
} from '../core/guard-roles.js';
import { reconcile } from '../core/reconcile.js';
import { revocationCutoff } from '../core/session-revocation.js';
import { createHandler } from '../handler/create-handler.js';
import { cloudTrailEvent, DRILL_ACCOUNT, GUARD_ROLE_ARN } from './cloudtrail.js';
import { type EnrolmentSweepReport, runEnrolmentSweep } from './drill-enrolment.js';
import {
  CONSOLE_DOCUMENT,
  type DrillScenario,
  type DrillStep,
  OTHER_ROLE,
  POLICY,
  ROLE,
  SCENARIOS,
  SUPPORT_ACCESS,
} from './drill-scenarios.js';
import { emulatedAccountCredentials, emulatorSettings } from './emulated-accounts.js';
import { Inbox, topicWithInbox } from './inbox.js';
import { publishedMessages, type ShownMessage } from './published-messages.js';
import { recordIamCalls, WireLog } from './wire-log.js';

export interface DrillEvent {
  readonly eventName: string;
  readonly actor: string;
  readonly eventId: string;
  /** Routed to the handler by the rule's pattern (read back from the emulator's rule). */
  readonly delivered: boolean;
  readonly outcome?: string;
  readonly reason?: string;
  /** The first invocation threw and the event was handled again (see retryFailedInvocations). */
  readonly retried?: boolean;
  readonly firstOutcome?: string;
}

export interface ScenarioResult {
  /** The member account (organization drill only). */
  readonly account?: string;
  readonly name: string;
  readonly title: string;
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly events: readonly DrillEvent[];
  readonly driftSeen: readonly string[];
  /** The role is in desired state at the end (null: not applicable, e.g. detect mode). */
  readonly restored: boolean;
  /** The cut-off of the session revocation read back from IAM at the end, when the role has one. */
  readonly sessionsRevokedBefore?: string;
  readonly notifications: readonly { readonly outcome: string; readonly subject: string }[];
  /** With `showMessages`: each message as its subscribers read it (e-mail text, chat rendering). */
  readonly messages?: readonly ShownMessage[];
  /** From the last tampering call to the role read back in desired state, when the guard acted. */
  readonly timeToRestoreMs: number | null;
  readonly iamCalls: {
    readonly reads: number;
    readonly writes: number;
    /** The longest chain of IAM calls each waiting for the one before (see WireLog.roundTrips). */
    readonly roundTrips: number;
    readonly calls: readonly string[];
  };
}

export interface DrillReport {
  readonly passed: boolean;
  readonly roleName: string;
  readonly endpoint: string;
  readonly scenarios: readonly ScenarioResult[];
  /** Organization drill: one sweep over the accounts plus one that is not enrolled yet. */
  readonly sweep?: EnrolmentSweepReport;
}

export interface DrillReporter {
  setup?(message: string): void;
  start?(scenario: DrillScenario, index: number, total: number): void;
  end?(result: ScenarioResult, index: number, total: number): void;
}

export interface DrillOptions {
  readonly endpoint: string;
  readonly roleName?: string;
  /** Scenario names to run (default: all). */
  readonly scenarios?: readonly string[];
  readonly reporter?: DrillReporter;
  /** Handler logs to stderr (default: silent). */
  readonly verbose?: boolean;
  /**
   * Resilience runs: the guard's own clients (IAM, SNS) go through this endpoint (a
   * fault-injecting proxy), with these client settings; the tampering and the checks go direct.
   */
  readonly guardEndpoint?: string;
  readonly guardClientSettings?: { readonly maxAttempts?: number; readonly requestTimeoutMs?: number };
  /** When the handler throws, invoke it again with the same event once, as Lambda would (after `beforeRetry`). */
  readonly retryFailedInvocations?: boolean;
  readonly beforeRetry?: () => void | Promise<void>;
  /**
   * `exact` (default): outcomes, notifications and IAM writes exactly as in the scenario.
   * `resilient`: under injected faults, retries and repeated writes are expected; what must hold
   * is the routing, the final state of the role, and at least one notification for each tampering.
   */
  readonly expectations?: 'exact' | 'resilient';
  /**
   * Organization mode: run every scenario in each of this many emulated member accounts, with one
   * central guard that reaches them through their remediation role.
   */
  readonly accounts?: number;
  /** Keep each message the guard published, as e-mail and chat subscribers receive it. */
  readonly showMessages?: boolean;
}

/** Unknown scenario names: an error that lists the known ones. */
export class UnknownScenarioError extends Error {
  constructor(names: readonly string[]) {
    super(
      `unknown scenario ${names.map((n) => JSON.stringify(n)).join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    this.name = 'UnknownScenarioError';
  }
}

export function selectScenarios(names?: readonly string[]): readonly DrillScenario[] {
  if (!names || names.length === 0) return SCENARIOS;
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new UnknownScenarioError(unknown);
  return SCENARIOS.filter((s) => names.includes(s.name));
}

const localContext = (): Context =>
  ({
    functionName: 'support-role-guard-drill',
    awsRequestId: `drill-${Date.now()}`,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${DRILL_ACCOUNT}:function:support-role-guard-drill`,
    memoryLimitInMB: '256',
    getRemainingTimeInMillis: () => 60_000,
  }) as Context;

/**
 * The whole guard loop on the emulator: for each scenario a real tampering call against the
 * emulator's IAM, the CloudTrail-shaped event AWS would deliver for it put on the emulator's bus,
 * delivered (or not) by the rule's pattern, the real handler, the role read back, the
 * notification read from the on-call inbox.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const scenarios = selectScenarios(options.scenarios);
  const report = options.reporter ?? {};
  const settings = emulatorSettings(options.endpoint);
  const iam = new IAMClient(settings);
  const wire = new WireLog();
  const guardSettings = {
    ...settings,
    ...(options.guardEndpoint ? { endpoint: options.guardEndpoint } : {}),
    ...(options.guardClientSettings?.maxAttempts
      ? { maxAttempts: options.guardClientSettings.maxAttempts }
      : {}),
    ...(options.guardClientSettings?.requestTimeoutMs
      ? {
          requestHandler: {
            ...CLIENT_SETTINGS.requestHandler,
            requestTimeout: options.guardClientSettings.requestTimeoutMs,
          },
        }
      : {}),
  };
  const guardIam = recordIamCalls(new IAMClient(guardSettings), wire);
  const published = new WireLog();
  const guardSns = options.showMessages
    ? recordIamCalls(new SNSClient(guardSettings), published)
    : new SNSClient(guardSettings);
  const sns = new SNSClient(settings);
  const sqs = new SQSClient(settings);
  const eventBridge = new EventBridgeClient(settings);
  const roleName = options.roleName ?? 'AWSSupportRole';
  const suffix = `${Date.now().toString(36)}`;

  report.setup?.('creating the on-call topic and its SQS inbox');
  const topic = await topicWithInbox({ sns, sqs, eventBridge }, `support-role-guard-drill-${suffix}`);
  // The chat topic (Amazon Q Developer in chat applications subscribes to it in a real account).
  const { TopicArn: chatTopicArn } = await sns.send(
    new CreateTopicCommand({ Name: `support-role-guard-drill-chat-${suffix}` }),
  );
  report.setup?.("creating the rule with the stack's event pattern, and a queue standing in for the Lambda");
  const target = await Inbox.create(sqs, `support-role-guard-target-${suffix}`);
  const ruleName = `SupportRoleGuard-RoleMutations-${suffix}`;
  // The customer-managed policy the pinned scenarios require (the drill's own, one per run).
  const policyArn = `arn:aws:iam::${DRILL_ACCOUNT}:policy/support/SupportConsole-${suffix}`;
  const pinned = !options.accounts && scenarios.some((s) => s.pinnedPolicy);
  if (pinned) {
    report.setup?.(`creating the customer-managed policy ${policyArn} whose content the guard pins`);
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: `SupportConsole-${suffix}`,
        Path: '/support/',
        PolicyDocument: JSON.stringify(CONSOLE_DOCUMENT),
      }),
    );
  }
  await eventBridge.send(
    new PutRuleCommand({
      Name: ruleName,
      EventPattern: JSON.stringify(
        roleMutationPattern({
          roleName,
          guardRoleArn: GUARD_ROLE_ARN,
          ...(pinned ? { pinnedPolicyArns: [policyArn] } : {}),
        }),
      ),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: ruleName, Targets: [{ Id: 'guard', Arn: target.queueArn }] }),
  );
  const { EventPattern } = await eventBridge.send(new DescribeRuleCommand({ Name: ruleName }));
  const pattern = JSON.parse(EventPattern ?? '{}') as Record<string, unknown>;

  const env = {
    AWS_REGION: 'us-east-1',
    SUPPORT_ROLE_NAME: roleName,
    TRUSTED_PRINCIPAL_ARNS: `arn:aws:iam::${DRILL_ACCOUNT}:role/OpsSupport`,
    NOTIFY_TOPIC_ARN: topic.topicArn,
    ...(chatTopicArn ? { CHAT_TOPIC_ARN: chatTopicArn } : {}),
    GUARD_ROLE_ARN,
  };
  const configs: DrillConfigs = {
    enforce: parseConfig(env, { requireTopic: true }),
    detect: parseConfig({ ...env, GUARD_MODE: 'detect' }, { requireTopic: true }),
    ...(pinned
      ? {
          pinned: parseConfig(
            {
              ...env,
              REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${policyArn}`,
              REQUIRED_POLICY_DOCUMENTS: JSON.stringify({ [policyArn]: CONSOLE_DOCUMENT }),
            },
            { requireTopic: true },
          ),
        }
      : {}),
  };
  const logger = new Logger({
    serviceName: 'support-role-guard',
    logLevel: options.verbose ? 'INFO' : 'SILENT',
  });
  const handlers = {
    enforce: createHandler({
      config: configs.enforce,
      clients: { iam: guardIam, sns: guardSns, eventBridge },
      logger,
    }),
    detect: createHandler({
      config: configs.detect,
      clients: { iam: guardIam, sns: guardSns, eventBridge },
      logger,
    }),
    ...(configs.pinned
      ? {
          pinned: createHandler({
            config: configs.pinned,
            clients: { iam: guardIam, sns: guardSns, eventBridge },
            logger,
          }),
        }
      : {}),
  };
  const store = new IamRoleStore(iam);
  if (options.accounts) {
    return runOrganizationDrill({
      options,
      env,
      settings,
      guardSettings,
      wire,
      roleName,
      logger,
      topic,
      target,
      eventBridge,
      sns: guardSns,
      scenarios,
      report,
    });
  }
  report.setup?.(`creating the support role ${roleName} and another role, ${OTHER_ROLE}`);
  await ensureOtherRole(iam);

  const results: ScenarioResult[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    report.start?.(scenario, index, scenarios.length);
    const result = await runScenario(scenario, {
      roleName,
      iam,
      store,
      wire,
      configs,
      handlers,
      pattern,
      topic,
      target,
      eventBridge,
      options,
      published,
      policyArn,
    });
    results.push(result);
    report.end?.(result, index, scenarios.length);
  }
  // Leave the role as the guard wants it.
  await reconcile({ desired: configs.enforce.desired, mode: 'enforce', store, partition: 'aws' });
  return { passed: results.every((r) => r.passed), roleName, endpoint: options.endpoint, scenarios: results };
}

interface ScenarioDeps {
  readonly roleName: string;
  readonly iam: IAMClient;
  readonly store: IamRoleStore;
  readonly wire: WireLog;
  readonly configs: DrillConfigs;
  readonly handlers: Record<'enforce' | 'detect', DrillHandler> & { readonly pinned?: DrillHandler };
  /** The customer-managed policy of the pinned scenarios. */
  readonly policyArn?: string;
  readonly pattern: Record<string, unknown>;
  readonly topic: Awaited<ReturnType<typeof topicWithInbox>>;
  readonly target: Inbox;
  readonly eventBridge: EventBridgeClient;
  readonly options: DrillOptions;
  /** Organization drill: the member account the scenario runs in. */
  readonly account?: string;
  /** The guard's SNS requests (with `showMessages`). */
  readonly published?: WireLog;
}

async function runScenario(scenario: DrillScenario, deps: ScenarioDeps): Promise<ScenarioResult> {
  const { store, wire } = deps;
  const config = (scenario.pinnedPolicy ? deps.configs.pinned : undefined) ?? deps.configs.enforce;
  const desired = config.desired;
  const pinnedArns = pinnedPolicyArns(desired);
  // Every scenario starts from the role in desired state and an empty inbox.
  const before = await reconcile({ desired, mode: 'enforce', store, partition: 'aws' });
  if (before.error) throw before.error;
  await deps.iam.send(new AttachRolePolicyCommand({ RoleName: OTHER_ROLE, PolicyArn: SUPPORT_ACCESS }));
  await deps.topic.notifications();
  await deps.target.drain();
  wire.clear();
  deps.published?.clear();

  // The tampering calls, for real, each with the event CloudTrail would deliver.
  const events: { step: DrillStep; event: Record<string, unknown> }[] = [];
  for (const step of scenario.steps) {
    const input = resolveInput(step.input, deps.roleName, deps.policyArn);
    if (!step.denied) await callIam(deps.iam, step.api, input);
    const event = toAccount(
      deps.account,
      cloudTrailEvent({
        eventName: step.api,
        input,
        actor: step.actor,
        ...(step.denied ? { error: step.denied } : {}),
      }),
    );
    await deps.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: event.source as string,
            DetailType: event['detail-type'] as string,
            Detail: JSON.stringify(event.detail),
          },
        ],
      }),
    );
    events.push({ step, event });
  }
  const tamperedAt = performance.now();
  const tamperingEnded = new Date();

  const handler =
    (scenario.pinnedPolicy ? deps.handlers.pinned : undefined) ?? deps.handlers[scenario.mode ?? 'enforce'];
  const outcomes: DrillEvent[] = [];
  const driftSeen = new Set<string>();
  for (const { step, event } of events) {
    const detail = event.detail as { eventID: string };
    const delivered = matchesPattern(deps.pattern, event);
    let result: GuardResult | undefined;
    let reason: string | undefined;
    let firstOutcome: string | undefined;
    if (delivered) {
      ({ result, reason } = await invoke(handler, event));
      if (reason !== undefined && deps.options.retryFailedInvocations) {
        firstOutcome = result?.outcome ?? 'failed';
        for (const d of result?.drift ?? []) driftSeen.add(d.property);
        await deps.options.beforeRetry?.();
        ({ result, reason } = await invoke(handler, event));
      }
      for (const d of result?.drift ?? []) driftSeen.add(d.property);
    }
    outcomes.push({
      eventName: step.api,
      actor: step.actor.label,
      eventId: detail.eventID,
      delivered,
      ...(delivered ? { outcome: reason === undefined ? (result?.outcome ?? 'failed') : 'failed' } : {}),
      ...((reason ?? result?.reason) ? { reason: reason ?? result?.reason } : {}),
      ...(firstOutcome ? { retried: true, firstOutcome } : {}),
    });
  }

  const readRole = await store.read(deps.roleName);
  // The pinned policies read back too: their content is part of the desired state.
  const finalRole =
    readRole.exists && pinnedArns.length > 0
      ? { ...readRole, policies: await store.readPolicies(pinnedArns) }
      : readRole;
  const finalDrift = detectDrift(desired, finalRole);
  // Read back from IAM: the revocation's cut-off (undefined: none, or not the accepted shape).
  const cutoff = finalRole.exists ? revocationCutoff(finalRole.revocationPolicy) : undefined;
  const restored = finalDrift.length === 0;
  const restoredAt = performance.now();
  const notifications = (await deps.topic.notifications()).map((n) => ({
    outcome: n.document.outcome,
    subject: n.subject,
  }));
  await deps.target.drain();
  const calls = [...wire.calls];
  const roundTrips = wire.roundTrips;
  const writes = calls.filter((c) => !/^(Get|List)/.test(c));
  const acted = outcomes.some((o) => o.delivered) && scenario.expect.writes.length > 0;

  const failures: string[] = [];
  const expect = scenario.expect;
  if (deps.options.expectations === 'resilient') {
    return finish(resilientFailures(scenario, outcomes, restored, finalDrift, notifications));
  }
  const delivered = outcomes.map((o) => o.delivered);
  if (JSON.stringify(delivered) !== JSON.stringify(expect.delivered))
    failures.push(`delivered ${JSON.stringify(delivered)}, expected ${JSON.stringify(expect.delivered)}`);
  const seenOutcomes = outcomes.filter((o) => o.delivered).map((o) => o.outcome);
  if (JSON.stringify(seenOutcomes) !== JSON.stringify(expect.outcomes))
    failures.push(`outcomes ${JSON.stringify(seenOutcomes)}, expected ${JSON.stringify(expect.outcomes)}`);
  if (restored !== expect.restored)
    failures.push(
      restored
        ? 'the role was changed back, expected it left as is'
        : `the role still differs: ${finalDrift.map((d) => d.property).join(', ')}`,
    );
  if (notifications.length !== expect.notifications)
    failures.push(`${notifications.length} notification(s), expected ${expect.notifications}`);
  if (JSON.stringify(writes) !== JSON.stringify(expect.writes))
    failures.push(`IAM writes ${JSON.stringify(writes)}, expected ${JSON.stringify(expect.writes)}`);
  // The attacker's sessions are older than the end of the tampering: the cut-off must be later.
  if (expect.sessionsRevoked && !(cutoff && Date.parse(cutoff) >= tamperingEnded.getTime()))
    failures.push(
      `sessions not revoked: cut-off ${cutoff ?? 'none'}, tampering ended ${tamperingEnded.toISOString()}`,
    );

  return finish(failures);

  function finish(found: string[]): ScenarioResult {
    return {
      ...(deps.account ? { account: deps.account } : {}),
      name: scenario.name,
      title: scenario.title,
      passed: found.length === 0,
      failures: found,
      events: outcomes,
      driftSeen: [...driftSeen],
      restored,
      ...(cutoff ? { sessionsRevokedBefore: cutoff } : {}),
      notifications,
      ...(deps.options.showMessages && deps.published ? { messages: publishedMessages(deps.published) } : {}),
      timeToRestoreMs: acted && restored ? Math.round(restoredAt - tamperedAt) : null,
      iamCalls: { reads: calls.length - writes.length, writes: writes.length, roundTrips, calls },
    };
  }
}

async function invoke(
  handler: (event: unknown, context: Context) => Promise<GuardResult>,
  event: unknown,
): Promise<{ result?: GuardResult; reason?: string }> {
  try {
    return { result: await handler(event, localContext()) };
  } catch (error) {
    return {
      ...(error instanceof GuardFailure ? { result: error.result } : {}),
      reason: describeError(error),
    };
  }
}

/** Under injected faults: the routing, the final state, and at least one message per tampering. */
function resilientFailures(
  scenario: DrillScenario,
  events: readonly DrillEvent[],
  restored: boolean,
  finalDrift: readonly { property: string }[],
  notifications: readonly { outcome: string }[],
): string[] {
  const failures: string[] = [];
  const expect = scenario.expect;
  const delivered = events.map((e) => e.delivered);
  if (JSON.stringify(delivered) !== JSON.stringify(expect.delivered))
    failures.push(`delivered ${JSON.stringify(delivered)}, expected ${JSON.stringify(expect.delivered)}`);
  events
    .filter((e) => e.delivered)
    .forEach((e, i) => {
      const wanted = expect.outcomes[i];
      if (e.outcome !== wanted && e.outcome !== 'compliant')
        failures.push(`${e.eventName}: outcome ${e.outcome} (${e.reason ?? ''}), expected ${wanted}`);
    });
  if (restored !== expect.restored)
    failures.push(
      restored
        ? 'the role was changed back, expected it left as is'
        : `the role still differs: ${finalDrift.map((d) => d.property).join(', ')}`,
    );
  if (expect.notifications > 0 && notifications.length === 0) failures.push('no notification');
  if (expect.notifications === 0 && notifications.length > 0)
    failures.push(`${notifications.length} unexpected notification(s)`);
  return failures;
}

function resolveInput(
  input: Readonly<Record<string, unknown>>,
  roleName: string,
  policyArn?: string,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).map(([k, v]) => [k, v === ROLE ? roleName : v === POLICY ? policyArn : v]),
  );
}

type DrillHandler = (event: unknown, context: Context) => Promise<GuardResult>;
type DrillConfigs = Record<'enforce' | 'detect', GuardConfig> & { readonly pinned?: GuardConfig };

/** Makes one IAM call by its API name, with the SDK's command for it. */
async function callIam(iam: IAMClient, api: string, input: Record<string, unknown>): Promise<void> {
  const sdk = (await import('@aws-sdk/client-iam')) as unknown as Record<
    string,
    new (
      input: unknown,
    ) => unknown
  >;
  const Command = sdk[`${api}Command`];
  if (!Command) throw new Error(`no IAM command ${api}`);
  await iam.send(new Command(input) as Parameters<IAMClient['send']>[0]);
}

async function ensureOtherRole(iam: IAMClient): Promise<void> {
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: OTHER_ROLE,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'EntityAlreadyExistsException') throw error;
  }
}

export const MEMBER_ROLE_NAME = DEFAULT_MEMBER_ROLE_NAME;

/**
 * The drill's events are written for the default account; in a member account, the same event
 * carries that account's id, and the guard's own calls come from its remediation role there.
 */
function toAccount(account: string | undefined, event: Record<string, unknown>): Record<string, unknown> {
  if (!account) return event;
  return JSON.parse(
    JSON.stringify(event)
      .replaceAll(DRILL_ACCOUNT, account)
      // the session issuer is the role with its path; the assumed-role ARN names the role only
      .replaceAll(':role/SupportRoleGuard-GuardRole-drill', `:role${GUARD_ROLE_PATH}${MEMBER_ROLE_NAME}`)
      .replaceAll('SupportRoleGuard-GuardRole-drill', MEMBER_ROLE_NAME),
  ) as Record<string, unknown>;
}

interface OrganizationDrillInput {
  readonly options: DrillOptions;
  readonly env: Record<string, string>;
  readonly settings: Record<string, unknown> & { endpoint: string };
  readonly guardSettings: Record<string, unknown>;
  readonly wire: WireLog;
  readonly roleName: string;
  readonly logger: Logger;
  readonly topic: Awaited<ReturnType<typeof topicWithInbox>>;
  readonly target: Inbox;
  readonly eventBridge: EventBridgeClient;
  readonly sns: SNSClient;
  readonly scenarios: readonly DrillScenario[];
  readonly report: DrillReporter;
}

/**
 * The drill across N emulated member accounts (moto keeps state per account; STS AssumeRole
 * returns the target account's credentials): one central guard in organization mode, each
 * account's own forwarding rule (the same pattern, minus its remediation role's calls) deciding
 * what reaches it.
 */
async function runOrganizationDrill(input: OrganizationDrillInput): Promise<DrillReport> {
  const { options, env, settings, guardSettings, wire, roleName, logger, report } = input;
  const count = options.accounts ?? 0;
  const sts = new STSClient(settings);
  const accounts: {
    id: string;
    iam: IAMClient;
    store: IamRoleStore;
    pattern: Record<string, unknown>;
    eventBridge: EventBridgeClient;
  }[] = [];
  report.setup?.(
    `creating ${count} member accounts, each with ${roleName}, ${OTHER_ROLE} and its forwarding rule`,
  );
  for (let i = 0; i < count; i++) {
    const id = String(400_000_000_000 + Math.floor(Math.random() * 99_999_999_999));
    const credentials = await emulatedAccountCredentials(sts, id, 'drill');
    const iam = new IAMClient({ ...settings, credentials });
    const eventBridge = new EventBridgeClient({ ...settings, credentials });
    const ruleName = MEMBER_RULE_NAMES[0];
    await eventBridge.send(
      new PutRuleCommand({
        Name: ruleName,
        EventPattern: JSON.stringify(
          roleMutationPattern({ roleName, guardRoleArn: memberRoleArn('aws', id, MEMBER_ROLE_NAME) }),
        ),
      }),
    );
    const { EventPattern } = await eventBridge.send(new DescribeRuleCommand({ Name: ruleName }));
    await ensureOtherRole(iam);
    accounts.push({
      id,
      iam,
      store: new IamRoleStore(iam),
      pattern: JSON.parse(EventPattern ?? '{}'),
      eventBridge,
    });
  }
  const orgEnv = { ...env, MEMBER_ROLE_NAME, MEMBER_ACCOUNT_IDS: accounts.map((a) => a.id).join(',') };
  const configs: Record<'enforce' | 'detect', GuardConfig> = {
    enforce: parseConfig(orgEnv, { requireTopic: true }),
    detect: parseConfig({ ...orgEnv, GUARD_MODE: 'detect' }, { requireTopic: true }),
  };
  const handler = (config: GuardConfig) =>
    createHandler({
      config,
      clients: {
        iam: new IAMClient(guardSettings),
        sns: input.sns,
        eventBridge: input.eventBridge,
        sts: new STSClient(guardSettings),
      },
      logger,
      organizationPorts,
      memberClientSettings: {
        endpoint: (guardSettings as { endpoint?: string }).endpoint ?? settings.endpoint,
      },
      instrumentMemberIam: (iam) => recordIamCalls(iam, wire),
    });
  const handlers = { enforce: handler(configs.enforce), detect: handler(configs.detect) };

  const results: ScenarioResult[] = [];
  // A pinned policy ARN names one account: those scenarios are the single-account drill's.
  const scenarios = input.scenarios.filter((s) => !s.pinnedPolicy);
  const total = accounts.length * scenarios.length;
  for (const account of accounts) {
    for (const scenario of scenarios) {
      const index = results.length;
      report.start?.({ ...scenario, title: `${account.id}: ${scenario.title}` }, index, total);
      const result = await runScenario(scenario, {
        roleName,
        iam: account.iam,
        store: account.store,
        wire,
        configs,
        handlers,
        pattern: account.pattern,
        topic: input.topic,
        target: input.target,
        eventBridge: account.eventBridge,
        options,
        account: account.id,
      });
      results.push(result);
      report.end?.({ ...result, title: `${account.id}: ${result.title}` }, index, total);
    }
  }
  report.setup?.('organization sweep: the member StackSet reaches these accounts and not one newcomer');
  const sweep = await runEnrolmentSweep({
    env,
    settings,
    roleName,
    enrolled: accounts.map((a) => a.id),
    logger,
    sns: input.sns,
    eventBridge: input.eventBridge,
  });
  return {
    passed: results.every((r) => r.passed) && sweep.passed,
    roleName,
    endpoint: options.endpoint,
    scenarios: results,
    sweep,
  };
}
