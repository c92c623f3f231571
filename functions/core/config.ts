import {
  EVENT_BUS_RE,
  POLICY_ARN_RE,
  partitionOfArn,
  partitionOfRegion,
  ROLE_ARN_RE,
  ROLE_NAME_RE,
  ROLE_PATH_RE,
  supportAccessPolicyArn,
  TOPIC_ARN_RE,
  TRUST_PRINCIPAL_ARN_RE,
} from './arn.js';
import {
  buildTrustPolicy,
  DEFAULT_DESCRIPTION,
  DEFAULT_MAX_SESSION_DURATION,
  DEFAULT_TAGS,
  type DesiredRole,
} from './desired-state.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import type { SecurityHubOptions } from './findings.js';
import { GUARD_ROLE_PATH } from './guard-roles.js';
import { PLACEHOLDERS, substitute, unknownPlaceholders } from './placeholders.js';
import type { PolicyDocument } from './policy-document.js';

export type GuardMode = 'enforce' | 'detect';

/** The guard's whole configuration, parsed once and frozen. */
export interface GuardConfig {
  readonly desired: DesiredRole;
  readonly mode: GuardMode;
  readonly partition: string;
  readonly region: string;
  readonly notifyTopicArn?: string;
  /** A topic that receives only the chat rendering (Amazon Q Developer in chat applications). */
  readonly chatTopicArn?: string;
  readonly eventBusName?: string;
  readonly guardRoleArn?: string;
  /** DynamoDB table of idempotency records (one per CloudTrail event id / sweep). */
  readonly idempotencyTableName?: string;
  /** Repeats by one actor on the role within this many seconds are folded into one follow-up; 0: off. */
  readonly stormWindowSeconds: number;
  /**
   * Enforce mode: after drift that let someone in or added permissions, revoke the role's
   * sessions issued before the repair (inline policy AWSRevokeOlderSessions). Default true.
   */
  readonly revokeSessions: boolean;
  /** Seconds between scheduled sweeps (the stack sets it from sweepSchedule; default one hour). */
  readonly sweepPeriodSeconds: number;
  /** Set in organization mode (MEMBER_ROLE_NAME given). */
  readonly organization?: OrganizationConfig;
  /** Security Hub annotations and findings (single-account guard; both off by default). */
  readonly securityHub: SecurityHubOptions;
}

/** The environment variables the guard reads (documented in the README). */
/** The default storm window: repeats within 5 minutes of an actor's first act are folded. */
export const DEFAULT_STORM_WINDOW_SECONDS = 300;

export const ENV = {
  roleName: 'SUPPORT_ROLE_NAME',
  trustedPrincipals: 'TRUSTED_PRINCIPAL_ARNS',
  requiredPolicies: 'REQUIRED_POLICY_ARNS',
  mode: 'GUARD_MODE',
  topic: 'NOTIFY_TOPIC_ARN',
  eventBus: 'EVENT_BUS_NAME',
  guardRole: 'GUARD_ROLE_ARN',
  path: 'SUPPORT_ROLE_PATH',
  description: 'SUPPORT_ROLE_DESCRIPTION',
  tags: 'SUPPORT_ROLE_TAGS',
  maxSession: 'SUPPORT_ROLE_MAX_SESSION_DURATION',
  boundary: 'PERMISSIONS_BOUNDARY_ARN',
  requireMfa: 'REQUIRE_MFA',
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  memberRole: 'MEMBER_ROLE_NAME',
  memberAccounts: 'MEMBER_ACCOUNT_IDS',
  organizationId: 'ORGANIZATION_ID',
  sweepConcurrency: 'SWEEP_CONCURRENCY',
  stormWindow: 'STORM_WINDOW_SECONDS',
  sweepPeriod: 'SWEEP_PERIOD_SECONDS',
  chatTopic: 'CHAT_TOPIC_ARN',
  targetOus: 'TARGET_OU_IDS',
  notEnrolledGrace: 'NOT_ENROLLED_GRACE_HOURS',
  securityHubAnnotate: 'SECURITY_HUB_ANNOTATE',
  securityHubImport: 'SECURITY_HUB_IMPORT_FINDINGS',
  revokeSessions: 'REVOKE_SESSIONS',
  policyDocuments: 'REQUIRED_POLICY_DOCUMENTS',
} as const;

/** How long an account may stay not enrolled before a sweep names it to on-call (hours). */
export const DEFAULT_NOT_ENROLLED_GRACE_HOURS = 24;

/** Organization mode: one central guard repairs the support role in every member account. */
export interface OrganizationConfig {
  /** The remediation role in each member account, assumed by the central guard. */
  readonly memberRoleName: string;
  /**
   * Accounts the sweep walks. When absent: the active accounts of TARGET_OU_IDS and their nested
   * OUs, else of the whole organization; never the management account (StackSets never deploy there).
   */
  readonly accountIds?: readonly string[];
  /** The OUs (or root) the member StackSet targets: the sweep covers their accounts. */
  readonly targetOuIds?: readonly string[];
  /** Hours an account may stay `not-enrolled` before the sweep summary names it. */
  readonly notEnrolledGraceHours: number;
  readonly organizationId?: string;
  /** How many accounts a sweep reconciles at once. */
  readonly sweepConcurrency: number;
}

export interface ParseOptions {
  /** The Lambda handler needs somewhere to send notifications; the CLI's audit does not. */
  readonly requireTopic?: boolean;
  /**
   * The central stack's synth: apply organization mode's rules (no customer-managed policies)
   * before the stack adds MEMBER_ROLE_NAME to the function's environment.
   */
  readonly organizationMode?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

const present = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

const list = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

const show = (value: string): string =>
  JSON.stringify(value.length > 120 ? `${value.slice(0, 117)}...` : value);

/** Parses and validates the configuration; throws ConfigError naming every bad value. */
export function parseConfig(env: Env, options: ParseOptions = {}): GuardConfig {
  const problems: ConfigProblem[] = [];
  const problem = (name: string, message: string) => problems.push({ name, message });
  const region = present(env, 'AWS_REGION') ?? present(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1';
  const partition = partitionOfRegion(region);

  const roleName = present(env, ENV.roleName);
  if (roleName === undefined) problem(ENV.roleName, 'is required: the name of the AWS Support role to guard');
  else if (!ROLE_NAME_RE.test(roleName))
    problem(ENV.roleName, `${show(roleName)} is not an IAM role name (1-64 of letters, digits and +=,.@_-)`);

  const trusted = parseTrustedPrincipals(present(env, ENV.trustedPrincipals), partition, problem);
  const required = parseRequiredPolicies(present(env, ENV.requiredPolicies), partition, problem);
  const mode = parseMode(present(env, ENV.mode), problem);

  const topic = present(env, ENV.topic);
  if (topic === undefined && options.requireTopic)
    problem(ENV.topic, 'is required: the SNS topic ARN that receives notifications');
  else if (topic !== undefined && !TOPIC_ARN_RE.test(topic))
    problem(ENV.topic, `${show(topic)} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)`);

  const chatTopic = present(env, ENV.chatTopic);
  if (chatTopic !== undefined && !TOPIC_ARN_RE.test(chatTopic))
    problem(ENV.chatTopic, `${show(chatTopic)} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)`);

  const eventBus = present(env, ENV.eventBus);
  if (eventBus !== undefined && !EVENT_BUS_RE.test(eventBus))
    problem(ENV.eventBus, `${show(eventBus)} is not an event bus name or ARN`);

  const guardRole = present(env, ENV.guardRole);
  if (guardRole !== undefined && !ROLE_ARN_RE.test(guardRole))
    problem(ENV.guardRole, `${show(guardRole)} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`);

  const path = present(env, ENV.path) ?? '/';
  if (!ROLE_PATH_RE.test(path) || path.length > 512)
    problem(ENV.path, `${show(path)} is not an IAM path ("/" or "/team/" of printable ASCII)`);
  else if (path.toLowerCase().startsWith(GUARD_ROLE_PATH.toLowerCase()))
    // The optional SCP lets only the StackSet change roles there (every repair would be denied),
    // and the guard's own role names live there.
    problem(
      ENV.path,
      `${show(path)} is ${path.length === GUARD_ROLE_PATH.length ? '' : 'under '}the path of the guard's own roles (${GUARD_ROLE_PATH}), which the optional SCP lets only the member StackSet change: choose another path`,
    );

  const description = env[ENV.description] ?? DEFAULT_DESCRIPTION;
  if (description.length > 1000 || !/^[\t\n\r\x20-\x7e\xa1-\xff]*$/.test(description))
    problem(ENV.description, 'must be at most 1000 characters of printable Latin-1 text');

  const tags = parseTags(env[ENV.tags], problem);
  const maxSession = parseMaxSession(present(env, ENV.maxSession), problem);

  const boundary = present(env, ENV.boundary);
  if (boundary !== undefined && !POLICY_ARN_RE.test(boundary))
    problem(ENV.boundary, `${show(boundary)} is not a managed policy ARN`);

  const requireMfa = parseBoolean(present(env, ENV.requireMfa), ENV.requireMfa, problem);
  const revokeSessions = parseBoolean(
    present(env, ENV.revokeSessions) ?? 'true',
    ENV.revokeSessions,
    problem,
  );

  const idempotencyTable = present(env, ENV.idempotencyTable);
  if (idempotencyTable !== undefined && !/^[\w.-]{3,255}$/.test(idempotencyTable))
    problem(ENV.idempotencyTable, `${show(idempotencyTable)} is not a DynamoDB table name`);

  const stormWindow = present(env, ENV.stormWindow);
  const stormWindowSeconds = stormWindow === undefined ? DEFAULT_STORM_WINDOW_SECONDS : Number(stormWindow);
  if (stormWindow !== undefined && !(/^\d+$/.test(stormWindow) && stormWindowSeconds <= 86_400))
    problem(ENV.stormWindow, `${show(stormWindow)} is not a number of seconds from 0 (off) to 86400`);

  const sweepPeriod = present(env, ENV.sweepPeriod);
  const sweepPeriodSeconds = sweepPeriod === undefined ? 3600 : Number(sweepPeriod);
  if (sweepPeriod !== undefined && !(/^\d+$/.test(sweepPeriod) && sweepPeriodSeconds >= 60))
    problem(ENV.sweepPeriod, `${show(sweepPeriod)} is not a number of seconds of at least 60`);

  const organization = parseOrganization(env, problem);
  const organizationMode = organization !== undefined || options.organizationMode === true;
  const before = problems.length;
  const policyDocuments = parsePolicyDocuments(
    present(env, ENV.policyDocuments),
    [...required, ...(boundary === undefined ? [] : [boundary])],
    organizationMode,
    problem,
  );
  // Once REQUIRED_POLICY_DOCUMENTS itself is wrong, "not pinned" would only repeat that problem.
  if (problems.length === before || organizationMode)
    problems.push(
      ...unpinnedPolicyProblems(
        {
          requiredPolicyArns: required,
          ...(boundary === undefined ? {} : { permissionsBoundaryArn: boundary }),
          ...(policyDocuments ? { policyDocuments } : {}),
        },
        organizationMode,
      ),
    );
  const securityHub: SecurityHubOptions = {
    annotateControlFindings: parseBoolean(
      present(env, ENV.securityHubAnnotate),
      ENV.securityHubAnnotate,
      problem,
    ),
    importTamperingFindings: parseBoolean(
      present(env, ENV.securityHubImport),
      ENV.securityHubImport,
      problem,
    ),
  };

  if (problems.length > 0 || roleName === undefined) throw new ConfigError(problems);

  const desired: DesiredRole = {
    roleName,
    path,
    description,
    maxSessionDuration: maxSession,
    trustedPrincipalArns: Object.freeze(trusted),
    requireMfa,
    requiredPolicyArns: Object.freeze(required),
    ...(boundary === undefined ? {} : { permissionsBoundaryArn: boundary }),
    tags: Object.freeze(tags),
    trustPolicy: deepFreeze(buildTrustPolicy(trusted, requireMfa)),
    ...(policyDocuments ? { policyDocuments: deepFreeze(policyDocuments) } : {}),
  };
  return Object.freeze({
    desired: Object.freeze(desired),
    mode,
    partition,
    region,
    ...(topic === undefined ? {} : { notifyTopicArn: topic }),
    ...(chatTopic === undefined ? {} : { chatTopicArn: chatTopic }),
    ...(eventBus === undefined ? {} : { eventBusName: eventBus }),
    ...(guardRole === undefined ? {} : { guardRoleArn: guardRole }),
    ...(idempotencyTable === undefined ? {} : { idempotencyTableName: idempotencyTable }),
    stormWindowSeconds,
    revokeSessions,
    sweepPeriodSeconds,
    ...(organization === undefined ? {} : { organization: Object.freeze(organization) }),
    securityHub: Object.freeze(securityHub),
  });
}

type Problem = (name: string, message: string) => void;

function parseOrganization(env: Env, problem: Problem): OrganizationConfig | undefined {
  const memberRole = present(env, ENV.memberRole);
  const accounts = present(env, ENV.memberAccounts);
  const organizationId = present(env, ENV.organizationId);
  const concurrency = present(env, ENV.sweepConcurrency);
  const ous = present(env, ENV.targetOus);
  const grace = present(env, ENV.notEnrolledGrace);
  if (memberRole === undefined) {
    for (const [name, value] of [
      [ENV.memberAccounts, accounts],
      [ENV.organizationId, organizationId],
      [ENV.sweepConcurrency, concurrency],
      [ENV.targetOus, ous],
      [ENV.notEnrolledGrace, grace],
    ] as const) {
      if (value !== undefined) problem(name, `only applies in organization mode; set ${ENV.memberRole} too`);
    }
    return undefined;
  }
  if (!ROLE_NAME_RE.test(memberRole)) problem(ENV.memberRole, `${show(memberRole)} is not an IAM role name`);
  const accountIds = accounts === undefined ? undefined : [...new Set(list(accounts))];
  for (const id of accountIds ?? []) {
    if (!/^\d{12}$/.test(id)) problem(ENV.memberAccounts, `${show(id)} is not a 12-digit account id`);
  }
  if (organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(organizationId))
    problem(ENV.organizationId, `${show(organizationId)} is not an organization id (o-...)`);
  const sweepConcurrency = concurrency === undefined ? 8 : Number(concurrency);
  if (!(Number.isInteger(sweepConcurrency) && sweepConcurrency >= 1 && sweepConcurrency <= 50))
    problem(ENV.sweepConcurrency, `${show(concurrency ?? '')} is not a whole number from 1 to 50`);
  const targetOuIds = ous === undefined ? undefined : [...new Set(list(ous))];
  for (const ou of targetOuIds ?? []) {
    if (!/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/.test(ou))
      problem(ENV.targetOus, `${show(ou)} is not an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)`);
  }
  const graceHours = grace === undefined ? DEFAULT_NOT_ENROLLED_GRACE_HOURS : Number(grace);
  if (!(Number.isInteger(graceHours) && graceHours >= 1 && graceHours <= 720))
    problem(ENV.notEnrolledGrace, `${show(grace ?? '')} is not a whole number of hours from 1 to 720`);
  return {
    memberRoleName: memberRole,
    ...(accountIds ? { accountIds: Object.freeze(accountIds) } : {}),
    ...(targetOuIds ? { targetOuIds: Object.freeze(targetOuIds) } : {}),
    notEnrolledGraceHours: graceHours,
    ...(organizationId ? { organizationId } : {}),
    sweepConcurrency,
  };
}

function parseTrustedPrincipals(raw: string | undefined, partition: string, problem: Problem): string[] {
  if (raw === undefined) {
    problem(
      ENV.trustedPrincipals,
      'is required: comma-separated ARNs of the principals that may assume the role',
    );
    return [];
  }
  const arns = [...new Set(list(raw))];
  if (arns.length === 0) problem(ENV.trustedPrincipals, 'lists no principal; give at least one ARN');
  for (const arn of arns) {
    const unknown = unknownPlaceholders(arn);
    // Validated with sample values in place of the placeholders: the shape must hold for every account.
    const sample = substitute(arn, { AccountId: '123456789012', Partition: partition });
    if (arn.includes('*'))
      problem(ENV.trustedPrincipals, `${show(arn)} is a wildcard; name each principal by ARN`);
    else if (unknown.length > 0)
      problem(
        ENV.trustedPrincipals,
        `${show(arn)} has unknown placeholder ${unknown.map((n) => `\${${n}}`).join(', ')}; known: ${PLACEHOLDERS.map((n) => `\${${n}}`).join(', ')}`,
      );
    else if (!TRUST_PRINCIPAL_ARN_RE.test(sample))
      problem(
        ENV.trustedPrincipals,
        `${show(arn)} is not an IAM principal ARN (arn:aws:iam::ACCOUNT:root, :user/NAME or :role/NAME)`,
      );
    else if (partitionOfArn(sample) !== partition)
      problem(ENV.trustedPrincipals, `${show(arn)} is not in partition ${partition} (from AWS_REGION)`);
  }
  return arns;
}

function parseRequiredPolicies(raw: string | undefined, partition: string, problem: Problem): string[] {
  if (raw === undefined) return [supportAccessPolicyArn(partition)];
  const arns = [...new Set(list(raw))];
  if (arns.length === 0)
    problem(ENV.requiredPolicies, 'lists no policy; leave it unset for AWSSupportAccess');
  for (const arn of arns) {
    if (!POLICY_ARN_RE.test(arn)) problem(ENV.requiredPolicies, `${show(arn)} is not a managed policy ARN`);
    else if (partitionOfArn(arn) !== partition)
      problem(ENV.requiredPolicies, `${show(arn)} is not in partition ${partition} (from AWS_REGION)`);
  }
  if (arns.length > 20)
    problem(ENV.requiredPolicies, `lists ${arns.length} policies; IAM allows 20 per role`);
  return arns;
}

/** An AWS managed policy (arn:PARTITION:iam::aws:policy/...): nobody can edit it, so nothing to pin. */
export const isAwsManagedPolicy = (arn: string): boolean => /^arn:[\w-]+:iam::aws:policy\//.test(arn);

/**
 * Every customer-managed required policy and boundary must have its content pinned: anyone with
 * iam:CreatePolicyVersion could otherwise make it grant `*`, and neither an event on the role nor
 * a sweep would see it. Pinned content comes from configuration only (REQUIRED_POLICY_DOCUMENTS),
 * so an unpinned one is refused, never trusted by ARN. Organization mode refuses customer-managed
 * policies outright: a policy ARN names one account, and pinning is not implemented across member
 * accounts (docs/organizations.md). Shared by parseConfig and the central stack's synth.
 */
export function unpinnedPolicyProblems(
  desired: Pick<DesiredRole, 'requiredPolicyArns' | 'permissionsBoundaryArn' | 'policyDocuments'>,
  organizationMode: boolean,
): ConfigProblem[] {
  const candidates: [string, string][] = [
    ...desired.requiredPolicyArns.map((arn): [string, string] => [ENV.requiredPolicies, arn]),
    ...(desired.permissionsBoundaryArn
      ? [[ENV.boundary, desired.permissionsBoundaryArn] as [string, string]]
      : []),
  ];
  const out: ConfigProblem[] = [];
  for (const [name, arn] of candidates) {
    if (isAwsManagedPolicy(arn)) continue;
    if (organizationMode)
      out.push({
        name,
        message:
          `${show(arn)} is customer-managed: organization mode cannot pin its content (a policy ARN names one ` +
          'account, and the member remediation role cannot repair policy versions), so anyone with ' +
          'iam:CreatePolicyVersion could make it grant anything unseen; use AWS managed policies in ' +
          'organization mode, or a single-account guard per account (docs/organizations.md, "Limitations")',
      });
    else if (desired.policyDocuments?.[arn] === undefined)
      out.push({
        name,
        message:
          `${show(arn)} is customer-managed and not pinned: anyone with iam:CreatePolicyVersion could make it ` +
          `grant anything unseen; pin its content in ${ENV.policyDocuments} ({"<policy ARN>": <policy document>}; ` +
          "the stack's requiredPolicyDocuments takes that JSON or a file holding it) — " +
          "`support-role-guard init` prints it from the policy's default version (docs/design.md)",
      });
  }
  return out;
}

/**
 * REQUIRED_POLICY_DOCUMENTS: a JSON object from policy ARN to the policy document the guard pins
 * for it. Each ARN must be a customer-managed policy of REQUIRED_POLICY_ARNS or the boundary
 * (AWS-managed policies cannot be edited), each document a JSON object with a Statement.
 */
function parsePolicyDocuments(
  raw: string | undefined,
  allowed: readonly string[],
  organizationMode: boolean,
  problem: Problem,
): Record<string, PolicyDocument> | undefined {
  if (raw === undefined) return undefined;
  const name = ENV.policyDocuments;
  if (organizationMode) {
    problem(name, 'applies to the single-account guard only (a policy ARN names one account)');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problem(name, 'is not JSON: give {"<policy ARN>": <policy document>, ...}');
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problem(name, 'is not a JSON object: give {"<policy ARN>": <policy document>, ...}');
    return undefined;
  }
  const out: Record<string, PolicyDocument> = {};
  for (const [arn, document] of Object.entries(parsed)) {
    if (isAwsManagedPolicy(arn))
      problem(name, `${show(arn)} is AWS-managed: it cannot be edited, so there is nothing to pin`);
    else if (!allowed.includes(arn))
      problem(name, `${show(arn)} is neither in ${ENV.requiredPolicies} nor ${ENV.boundary}`);
    else if (
      typeof document !== 'object' ||
      document === null ||
      Array.isArray(document) ||
      !('Statement' in document)
    )
      problem(name, `the document for ${show(arn)} is not a policy document (an object with a Statement)`);
    else out[arn] = document as PolicyDocument;
  }
  return out;
}

function parseMode(raw: string | undefined, problem: Problem): GuardMode {
  if (raw === undefined || raw === 'enforce') return 'enforce';
  if (raw === 'detect') return 'detect';
  problem(ENV.mode, `${show(raw)} is not a mode; use "enforce" (default) or "detect"`);
  return 'enforce';
}

function parseTags(raw: string | undefined, problem: Problem): Record<string, string> {
  if (raw === undefined) return { ...DEFAULT_TAGS };
  const tags: Record<string, string> = {};
  for (const pair of list(raw)) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    if (eq < 0 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u.test(key) || key.toLowerCase().startsWith('aws:'))
      problem(ENV.tags, `${show(pair)} is not key=value (key 1-128 characters, not starting with aws:)`);
    else if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u.test(value))
      problem(ENV.tags, `${show(pair)} has a value IAM does not accept (0-256 characters)`);
    else if (Object.keys(tags).some((k) => k.toLowerCase() === key.toLowerCase()))
      problem(ENV.tags, `${show(key)} is given twice (tag keys are case-insensitive)`);
    else tags[key] = value;
  }
  if (Object.keys(tags).length > 50) problem(ENV.tags, 'IAM allows at most 50 tags per role');
  return tags;
}

function parseMaxSession(raw: string | undefined, problem: Problem): number {
  if (raw === undefined) return DEFAULT_MAX_SESSION_DURATION;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds >= 3600 && seconds <= 43200)) {
    problem(ENV.maxSession, `${show(raw)} is not a number of seconds from 3600 to 43200`);
    return DEFAULT_MAX_SESSION_DURATION;
  }
  return seconds;
}

function parseBoolean(raw: string | undefined, name: string, problem: Problem): boolean {
  if (raw === undefined) return false;
  const value = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  problem(name, `${show(raw)} is not a boolean; use true or false`);
  return false;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
