import { readFileSync } from 'node:fs';
import { type GuardConfig, parseConfig } from '../functions/core/config.js';
import { CONTEXT_TO_ENV, DEFAULT_ROLE_NAME, environmentOf } from '../functions/core/context-keys.js';
import { ConfigError, type ConfigProblem } from '../functions/core/errors.js';
import { DEFAULT_MEMBER_ROLE_NAME } from '../functions/core/guard-roles.js';
import { CHAT_CONTEXT_KEYS, type ChatSettings, chatFromContext } from './chat-settings.js';
import { scpOptionsProblems } from './scp.js';

/**
 * The stack's settings: the guard's configuration (validated by the same parser as the handler,
 * so the stack and the Lambda can never disagree) plus what only the stack needs.
 */
export interface GuardSettings {
  readonly guard: GuardConfig;
  /** The guard's configuration as the Lambda's environment variables. */
  readonly environment: Readonly<Record<string, string>>;
  readonly notifyEmails: readonly string[];
  readonly notifyHttpsEndpoints: readonly string[];
  /** An EventBridge schedule expression: rate(...) or cron(...). */
  readonly sweepSchedule: string;
  /** The sweep period in seconds (for the missing-sweep alarm). */
  readonly sweepPeriodSeconds: number;
  /** Slack / Microsoft Teams channels (Amazon Q Developer in chat applications), when configured. */
  readonly chat?: ChatSettings;
  /** The optional SCP's break-glass role (an ARN, or /path/Name in every account). */
  readonly breakGlassRole?: string;
  /** Concurrent executions reserved for the guard function; undefined: none reserved. */
  readonly reservedConcurrency?: number;
}

export { CONTEXT_TO_ENV, DEFAULT_ROLE_NAME };

export const DEFAULT_SWEEP_SCHEDULE = 'rate(1 hour)';

/**
 * Concurrent executions reserved for the guard function, so that other functions exhausting the
 * account's concurrency cannot starve it (and that a burst of events cannot starve them). Five
 * covers a tampering burst (EventBridge retries a throttled invocation for 24 h) and the sweep.
 */
export const DEFAULT_RESERVED_CONCURRENCY = 5;

/** Every context key of the single-account guard. */
export const GUARD_CONTEXT_KEYS = [
  ...(Object.keys(CONTEXT_TO_ENV) as (keyof typeof CONTEXT_TO_ENV)[]),
  'notifyEmails',
  'notifyHttpsEndpoints',
  'sweepSchedule',
  ...CHAT_CONTEXT_KEYS,
  'breakGlassRole',
  'reservedConcurrency',
] as const;

export type GuardContext = Partial<Record<(typeof GUARD_CONTEXT_KEYS)[number], string | undefined>>;

const ENV_TO_CONTEXT = Object.fromEntries(Object.entries(CONTEXT_TO_ENV).map(([k, v]) => [v, k]));

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

const RATE_UNITS: Record<string, number> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86400,
  days: 86400,
};

/**
 * `requiredPolicyDocuments` may name a JSON file (read at synth, from the working directory) instead
 * of giving the JSON inline; either way the guard gets it minified in REQUIRED_POLICY_DOCUMENTS.
 */
function withPolicyDocumentsFile(context: GuardContext, problems: ConfigProblem[]): GuardContext {
  const value = context.requiredPolicyDocuments?.trim();
  if (value === undefined || value === '') return context;
  let text = value;
  if (!value.startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (error) {
      problems.push({
        name: 'requiredPolicyDocuments',
        message: `${JSON.stringify(value)} is neither a JSON object nor a readable file (${(error as Error).message})`,
      });
      return { ...context, requiredPolicyDocuments: undefined };
    }
  }
  try {
    return { ...context, requiredPolicyDocuments: JSON.stringify(JSON.parse(text)) };
  } catch {
    return { ...context, requiredPolicyDocuments: text }; // the parser names the problem
  }
}

/**
 * Reads and validates the settings; throws ConfigError naming every bad context key. With
 * organizationMode (the central stack), organization mode's rules apply too.
 */
export function settingsFromContext(
  context: GuardContext,
  region: string,
  options: { readonly organizationMode?: boolean } = {},
): GuardSettings {
  const problems: ConfigProblem[] = [];
  const env = environmentOf(withPolicyDocumentsFile(context, problems), region);
  // Lambda allows 4 KB of environment variables in all; the stack adds a few hundred bytes of its own.
  const size = Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (size > 3_072 && env.REQUIRED_POLICY_DOCUMENTS)
    problems.push({
      name: 'requiredPolicyDocuments',
      message: `the configuration takes ${size} bytes of the function's 4 KB environment; pin smaller documents (minified, no Sid)`,
    });
  let guard: GuardConfig | undefined;
  try {
    guard = parseConfig(env, { organizationMode: options.organizationMode === true });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const p of error.problems)
      problems.push({ name: ENV_TO_CONTEXT[p.name] ?? p.name, message: p.message });
  }

  const notifyEmails = list(context.notifyEmails);
  for (const email of notifyEmails) {
    if (!/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(email))
      problems.push({ name: 'notifyEmails', message: `${JSON.stringify(email)} is not an email address` });
  }
  const notifyHttpsEndpoints = list(context.notifyHttpsEndpoints);
  for (const url of notifyHttpsEndpoints) {
    if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(url))
      problems.push({
        name: 'notifyHttpsEndpoints',
        message: `${JSON.stringify(url)} is not an https:// URL`,
      });
  }

  const sweepSchedule = context.sweepSchedule?.trim() || DEFAULT_SWEEP_SCHEDULE;
  const sweepPeriodSeconds = parseSchedule(sweepSchedule);
  if (sweepPeriodSeconds === undefined) {
    problems.push({
      name: 'sweepSchedule',
      message: `${JSON.stringify(sweepSchedule)} is not a schedule from rate(5 minutes) to rate(12 hours), or cron(...)`,
    });
  }

  const chat = chatFromContext(context, problems);
  const breakGlassRole = context.breakGlassRole?.trim() || undefined;
  if (breakGlassRole !== undefined)
    problems.push(
      ...scpOptionsProblems({
        supportRoleName: DEFAULT_ROLE_NAME,
        memberRoleName: DEFAULT_MEMBER_ROLE_NAME,
        breakGlassRole,
      }),
    );

  const reservedConcurrency = parseReservedConcurrency(context.reservedConcurrency, problems);

  if (problems.length > 0 || !guard || sweepPeriodSeconds === undefined) throw new ConfigError(problems);
  const environment = Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'AWS_REGION'));
  return Object.freeze({
    guard,
    environment,
    notifyEmails,
    notifyHttpsEndpoints,
    sweepSchedule,
    sweepPeriodSeconds,
    ...(chat ? { chat } : {}),
    ...(breakGlassRole ? { breakGlassRole } : {}),
    ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
  });
}

/** `reservedConcurrency`: 1 to 1000, or `none` (an account whose limit leaves nothing to reserve). */
function parseReservedConcurrency(value: string | undefined, problems: ConfigProblem[]): number | undefined {
  const text = value?.trim() || String(DEFAULT_RESERVED_CONCURRENCY);
  if (text === 'none') return undefined;
  const n = Number(text);
  if (/^\d+$/.test(text) && n >= 1 && n <= 1000) return n;
  problems.push({
    name: 'reservedConcurrency',
    message: `${JSON.stringify(text)} is not a number of concurrent executions from 1 to 1000, or "none"`,
  });
  return undefined;
}

/**
 * Seconds between sweeps, or undefined when invalid. A cron schedule is taken as "at least every
 * 12 hours" (the missing-sweep alarm looks at two periods, and CloudWatch at most one day).
 */
function parseSchedule(expression: string): number | undefined {
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (rate) {
    const seconds = Number(rate[1]) * (RATE_UNITS[rate[2] ?? ''] ?? Number.NaN);
    return seconds >= 300 && seconds <= 43_200 ? seconds : undefined;
  }
  return /^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$/.test(expression) ? 43_200 : undefined;
}
