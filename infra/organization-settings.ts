import { ConfigError, type ConfigProblem } from '../functions/core/errors.js';
import { DEFAULT_MEMBER_ROLE_NAME } from '../functions/core/guard-roles.js';

/** Organization mode of the stack: a central guard, and a StackSet for the member accounts. */
export interface OrganizationSettings {
  readonly organizationId: string;
  readonly targetOuIds: readonly string[];
  readonly memberRoleName: string;
  /** Member accounts' forwarding rules live where IAM events are: us-east-1. */
  readonly regions: readonly string[];
  readonly failureTolerancePercentage: number;
  readonly maxConcurrentPercentage: number;
  readonly retainStacksOnAccountRemoval: boolean;
  readonly sweepConcurrency: number;
  /** Hours an account may stay not enrolled before the sweep summary names it. */
  readonly notEnrolledGraceHours: number;
}

export type OrganizationContext = Partial<
  Record<
    | 'organizationId'
    | 'targetOuIds'
    | 'memberRoleName'
    | 'stackSetFailureTolerance'
    | 'stackSetMaxConcurrent'
    | 'retainStacksOnAccountRemoval'
    | 'sweepConcurrency'
    | 'notEnrolledGraceHours',
    string
  >
>;

export const ORGANIZATION_CONTEXT_KEYS = [
  'organizationId',
  'targetOuIds',
  'memberRoleName',
  'stackSetFailureTolerance',
  'stackSetMaxConcurrent',
  'retainStacksOnAccountRemoval',
  'sweepConcurrency',
  'notEnrolledGraceHours',
] as const;

export { DEFAULT_MEMBER_ROLE_NAME };

const percent = (raw: string | undefined, fallback: number, min: number) => {
  if (raw === undefined) return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return n >= min && n <= 100 ? n : Number.NaN;
};

/** Undefined when neither organizationId nor targetOuIds is given (single-account only). */
export function organizationFromContext(context: OrganizationContext): OrganizationSettings | undefined {
  const { organizationId, targetOuIds } = context;
  const others = ORGANIZATION_CONTEXT_KEYS.filter(
    (k) => k !== 'organizationId' && k !== 'targetOuIds' && context[k] !== undefined,
  );
  if (organizationId === undefined && targetOuIds === undefined) {
    if (others.length > 0)
      throw new ConfigError(
        others.map((name) => ({ name, message: 'needs organizationId and targetOuIds' })),
      );
    return undefined;
  }
  const problems: ConfigProblem[] = [];
  if (organizationId === undefined)
    problems.push({ name: 'organizationId', message: 'is required with targetOuIds (o-...)' });
  else if (!/^o-[a-z0-9]{10,32}$/.test(organizationId))
    problems.push({
      name: 'organizationId',
      message: `${JSON.stringify(organizationId)} is not an organization id (o-...)`,
    });
  const ous = (targetOuIds ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (ous.length === 0)
    problems.push({
      name: 'targetOuIds',
      message: 'is required with organizationId: comma-separated OU ids (ou-...) or the root (r-...)',
    });
  for (const ou of ous) {
    if (!/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/.test(ou))
      problems.push({
        name: 'targetOuIds',
        message: `${JSON.stringify(ou)} is not an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)`,
      });
  }
  const memberRoleName = context.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME;
  if (!/^[\w+=,.@-]{1,64}$/.test(memberRoleName))
    problems.push({
      name: 'memberRoleName',
      message: `${JSON.stringify(memberRoleName)} is not an IAM role name`,
    });
  const failureTolerancePercentage = percent(context.stackSetFailureTolerance, 10, 0);
  if (Number.isNaN(failureTolerancePercentage))
    problems.push({
      name: 'stackSetFailureTolerance',
      message: `${JSON.stringify(context.stackSetFailureTolerance)} is not a percentage (0-100)`,
    });
  const maxConcurrentPercentage = percent(context.stackSetMaxConcurrent, 25, 1);
  if (Number.isNaN(maxConcurrentPercentage))
    problems.push({
      name: 'stackSetMaxConcurrent',
      message: `${JSON.stringify(context.stackSetMaxConcurrent)} is not a percentage (1-100)`,
    });
  const retain = context.retainStacksOnAccountRemoval ?? 'false';
  if (!['true', 'false'].includes(retain))
    problems.push({
      name: 'retainStacksOnAccountRemoval',
      message: `${JSON.stringify(retain)} is not true or false`,
    });
  const sweepConcurrency = context.sweepConcurrency === undefined ? 8 : Number(context.sweepConcurrency);
  if (!(Number.isInteger(sweepConcurrency) && sweepConcurrency >= 1 && sweepConcurrency <= 50))
    problems.push({
      name: 'sweepConcurrency',
      message: `${JSON.stringify(context.sweepConcurrency)} is not a whole number from 1 to 50`,
    });
  const notEnrolledGraceHours =
    context.notEnrolledGraceHours === undefined ? 24 : Number(context.notEnrolledGraceHours);
  if (
    !(Number.isInteger(notEnrolledGraceHours) && notEnrolledGraceHours >= 1 && notEnrolledGraceHours <= 720)
  )
    problems.push({
      name: 'notEnrolledGraceHours',
      message: `${JSON.stringify(context.notEnrolledGraceHours)} is not a whole number of hours from 1 to 720`,
    });
  if (problems.length > 0 || organizationId === undefined) throw new ConfigError(problems);
  return Object.freeze({
    organizationId,
    targetOuIds: Object.freeze(ous),
    memberRoleName,
    regions: Object.freeze(['us-east-1']),
    failureTolerancePercentage,
    maxConcurrentPercentage,
    retainStacksOnAccountRemoval: retain === 'true',
    sweepConcurrency,
    notEnrolledGraceHours,
  });
}
