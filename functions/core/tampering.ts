import type { Trigger } from './classify-event.js';
import { type DesiredRole, sameIamName } from './desired-state.js';
import { canonicalPolicy, parsePolicyDocument } from './policy-document.js';

type Params = Readonly<Record<string, unknown>>;

const text = (params: Params, key: string): string | undefined =>
  typeof params[key] === 'string' ? (params[key] as string) : undefined;

/** Whether the call itself moved the role away from desired state (so on-call hears of it). */
type Rule = (params: Params, desired: DesiredRole, partition: string) => boolean;

const RULES: Record<Trigger['eventName'], Rule> = {
  DeleteRole: () => true,
  PutRolePolicy: () => true,
  DeleteRolePolicy: () => false,
  AttachRolePolicy: (p, d) => !d.requiredPolicyArns.includes(text(p, 'policyArn') ?? ''),
  DetachRolePolicy: (p, d) => {
    const arn = text(p, 'policyArn');
    return arn === undefined || d.requiredPolicyArns.includes(arn);
  },
  UpdateAssumeRolePolicy: (p, d, partition) => trustDiffers(text(p, 'policyDocument'), d, partition),
  // Created while absent: tampering when whoever created it chose their own trust or boundary.
  CreateRole: (p, d, partition) =>
    trustDiffers(text(p, 'assumeRolePolicyDocument'), d, partition) ||
    text(p, 'permissionsBoundary') !== d.permissionsBoundaryArn,
  PutRolePermissionsBoundary: (p, d) => text(p, 'permissionsBoundary') !== d.permissionsBoundaryArn,
  DeleteRolePermissionsBoundary: (_p, d) => d.permissionsBoundaryArn !== undefined,
  UpdateRole: (p, d) =>
    (p.description !== undefined && p.description !== d.description) ||
    (p.maxSessionDuration !== undefined && Number(p.maxSessionDuration) !== d.maxSessionDuration),
  UpdateRoleDescription: (p, d) => p.description !== d.description,
  TagRole: (p, d) => {
    if (!Array.isArray(p.tags)) return true;
    return p.tags.some((tag: unknown) => {
      const { key, value } = (tag ?? {}) as { key?: unknown; value?: unknown };
      const wanted = Object.entries(d.tags).find(([k]) => typeof key === 'string' && sameIamName(k, key));
      return wanted === undefined || wanted[1] !== value;
    });
  },
  // A new version that becomes the default with another document; a dormant one changes nothing.
  CreatePolicyVersion: (p, d, partition) => {
    if (p.setAsDefault !== true && p.setAsDefault !== 'true') return false;
    const pinned = Object.entries(d.policyDocuments ?? {}).find(([arn]) =>
      sameIamName(arn, text(p, 'policyArn') ?? ''),
    )?.[1];
    const doc = text(p, 'policyDocument');
    if (pinned === undefined || doc === undefined) return true;
    try {
      return canonicalPolicy(parsePolicyDocument(doc), partition) !== canonicalPolicy(pinned, partition);
    } catch {
      return true;
    }
  },
  // The event does not say what the version holds: on-call hears of it (the reconcile tells the content).
  SetDefaultPolicyVersion: () => true,
  DeletePolicyVersion: () => false,
  DeletePolicy: () => true,
  UntagRole: (p, d) => {
    if (!Array.isArray(p.tagKeys)) return true;
    return p.tagKeys.some((key: unknown) =>
      Object.keys(d.tags).some((k) => typeof key === 'string' && sameIamName(k, key)),
    );
  },
};

function trustDiffers(doc: string | undefined, d: DesiredRole, partition: string): boolean {
  if (doc === undefined) return true;
  try {
    return canonicalPolicy(parsePolicyDocument(doc), partition) !== canonicalPolicy(d.trustPolicy, partition);
  } catch {
    return true;
  }
}

/**
 * True when the recorded call took the role away from desired state: it detached a required
 * policy, deleted the role, changed its trust, added a policy or a boundary, and so on. Unknown
 * shapes count as tampering: better one message too many than a silent change.
 */
export function isTamperingAct(trigger: Trigger, desired: DesiredRole, partition = 'aws'): boolean {
  return RULES[trigger.eventName](trigger.requestParameters, desired, partition);
}
