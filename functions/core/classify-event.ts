import { type DesiredRole, pinnedPolicyArns, sameIamName } from './desired-state.js';
import {
  CLOUDTRAIL_DETAIL_TYPE,
  IAM_EVENT_SOURCE,
  IAM_SOURCE,
  POLICY_MUTATION_EVENT_NAMES,
  type PolicyMutationEventName,
  ROLE_MUTATION_EVENT_NAMES,
  type RoleMutationEventName,
  SCHEDULE_SOURCES,
  SCHEDULED_DETAIL_TYPE,
} from './event-pattern.js';
import { memberRoleArn } from './guard-roles.js';

/** Who did what, as CloudTrail recorded it. Information for on-call, never desired state. */
export interface Trigger {
  readonly eventName: RoleMutationEventName | PolicyMutationEventName;
  readonly eventId: string;
  readonly eventTime?: string;
  readonly actorArn?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly account?: string;
  readonly region?: string;
  readonly requestParameters: Readonly<Record<string, unknown>>;
}

export type Classification =
  | { readonly kind: 'role-change'; readonly trigger: Trigger }
  | { readonly kind: 'sweep'; readonly eventId?: string; readonly time?: string; readonly account?: string }
  | { readonly kind: 'ignored'; readonly reason: string; readonly eventId?: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown, max = 2048): string | undefined =>
  typeof value === 'string' && value.length <= max ? value : undefined;

export interface ClassifyOptions {
  readonly desired: DesiredRole;
  readonly guardRoleArn?: string;
  /**
   * Organization mode: sessions of the remediation role of the event's own account (under the
   * guard's path) are the guard's own. A role of that name elsewhere is anyone else.
   */
  readonly memberRoleName?: string;
  /** The partition of the remediation role's ARN (default aws). */
  readonly partition?: string;
}

/**
 * Decides whether an incoming event is a change to the support role, a scheduled sweep, or
 * something to ignore (with the reason). Never throws, whatever the input.
 */
export function classifyEvent(event: unknown, options: ClassifyOptions): Classification {
  if (!isObject(event)) return { kind: 'ignored', reason: 'malformed event: not a JSON object' };
  const detailType = event['detail-type'];
  const source = event.source;
  const eventId = str(event.id, 256);

  if (isScheduledSweep(event)) {
    return { kind: 'sweep', eventId, time: str(event.time, 64), account: str(event.account, 12) };
  }
  if (detailType !== CLOUDTRAIL_DETAIL_TYPE || source !== IAM_SOURCE) {
    return ignore(
      `not an IAM CloudTrail or scheduled event (source ${show(source)}, detail-type ${show(detailType)})`,
      eventId,
    );
  }
  const detail = event.detail;
  if (!isObject(detail)) return ignore('malformed event: detail is not an object', eventId);
  const trailId = str(detail.eventID, 256) ?? eventId;
  if (detail.eventSource !== IAM_EVENT_SOURCE)
    return ignore(`event source ${show(detail.eventSource)} is not IAM`, trailId);

  const eventName = detail.eventName;
  const onPolicy = (POLICY_MUTATION_EVENT_NAMES as readonly unknown[]).includes(eventName);
  if (!onPolicy && !(ROLE_MUTATION_EVENT_NAMES as readonly unknown[]).includes(eventName))
    return ignore(`event ${show(eventName)} does not change a role`, trailId);
  if (detail.errorCode !== undefined && detail.errorCode !== null)
    return ignore(`the call failed (${show(detail.errorCode)}), nothing changed`, trailId);

  const params = detail.requestParameters;
  if (onPolicy) {
    // A change to a pinned policy's content: the ARN compared as IAM names are (case-insensitively).
    const policyArn = isObject(params) ? str(params.policyArn, 2048) : undefined;
    if (policyArn === undefined)
      return ignore('malformed event: requestParameters.policyArn is missing', trailId);
    if (!pinnedPolicyArns(options.desired).some((arn) => sameIamName(arn, policyArn)))
      return ignore(`event is for policy ${show(policyArn)}, not one whose content the guard pins`, trailId);
  } else {
    const roleName = isObject(params) ? str(params.roleName, 256) : undefined;
    if (roleName === undefined)
      return ignore('malformed event: requestParameters.roleName is missing', trailId);
    if (!sameIamName(roleName, options.desired.roleName))
      return ignore(`event is for role ${show(roleName)}, not ${options.desired.roleName}`, trailId);
  }

  const identity = isObject(detail.userIdentity) ? detail.userIdentity : {};
  const session = isObject(identity.sessionContext) ? identity.sessionContext : {};
  const issuerArn = isObject(session.sessionIssuer) ? str(session.sessionIssuer.arn) : undefined;
  if (options.guardRoleArn && issuerArn === options.guardRoleArn)
    return ignore('the guard made this call itself', trailId);
  const account = str(detail.recipientAccountId, 12) ?? str(event.account, 12);
  if (
    options.memberRoleName &&
    account !== undefined &&
    issuerArn === memberRoleArn(options.partition ?? 'aws', account, options.memberRoleName)
  )
    return ignore('the guard made this call itself (member remediation role)', trailId);

  return {
    kind: 'role-change',
    trigger: {
      eventName: eventName as Trigger['eventName'],
      eventId: trailId ?? 'unknown',
      eventTime: str(detail.eventTime, 64) ?? str(event.time, 64),
      actorArn: str(identity.arn) ?? issuerArn,
      sourceIp: str(detail.sourceIPAddress, 256),
      userAgent: str(detail.userAgent, 1024),
      account,
      region: str(event.region, 64),
      requestParameters: isObject(params) ? params : {},
    },
  };
}

/** A scheduled sweep: a "Scheduled Event" from EventBridge rules or EventBridge Scheduler. */
export function isScheduledSweep(event: unknown): boolean {
  return (
    isObject(event) &&
    event['detail-type'] === SCHEDULED_DETAIL_TYPE &&
    (SCHEDULE_SOURCES as readonly unknown[]).includes(event.source)
  );
}

function ignore(reason: string, eventId: string | undefined): Classification {
  return eventId === undefined ? { kind: 'ignored', reason } : { kind: 'ignored', reason, eventId };
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
