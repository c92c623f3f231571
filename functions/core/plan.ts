import { type DesiredRole, sameIamName } from './desired-state.js';
import type { Drift, DriftKind } from './drift.js';
import { canonicalPolicy, parsePolicyDocument } from './policy-document.js';
import type { ManagedPolicyVersions } from './role-snapshot.js';
import { REVOCATION_MARGIN_MS, REVOCATION_POLICY_NAME, revocationPolicy } from './session-revocation.js';

/** One IAM write, as data. The IAM adapter turns each into exactly one API call. */
export type IamAction =
  | {
      readonly api: 'CreateRole';
      readonly roleName: string;
      readonly path: string;
      readonly trustPolicy: string;
      readonly description: string;
      readonly maxSessionDuration: number;
      readonly tags: Readonly<Record<string, string>>;
      readonly permissionsBoundaryArn?: string;
    }
  | { readonly api: 'AttachRolePolicy'; readonly roleName: string; readonly policyArn: string }
  | { readonly api: 'DetachRolePolicy'; readonly roleName: string; readonly policyArn: string }
  | { readonly api: 'DeleteRolePolicy'; readonly roleName: string; readonly policyName: string }
  | {
      /** Only ever the session revocation (AWSRevokeOlderSessions): sessions issued before `cutoff` are denied. */
      readonly api: 'PutRolePolicy';
      readonly roleName: string;
      readonly policyName: string;
      readonly policyDocument: string;
      readonly cutoff: string;
    }
  | { readonly api: 'UpdateAssumeRolePolicy'; readonly roleName: string; readonly policyDocument: string }
  | {
      readonly api: 'PutRolePermissionsBoundary';
      readonly roleName: string;
      readonly permissionsBoundaryArn: string;
    }
  | { readonly api: 'DeleteRolePermissionsBoundary'; readonly roleName: string }
  | {
      readonly api: 'UpdateRole';
      readonly roleName: string;
      readonly description: string;
      readonly maxSessionDuration: number;
      /**
       * True when the write gives no one more than they have (the description, or sessions made
       * shorter): it goes out with the removals. A longer session is a restore, after them.
       */
      readonly takesAway?: boolean;
    }
  | { readonly api: 'TagRole'; readonly roleName: string; readonly tags: Readonly<Record<string, string>> }
  /** The pinned policy was deleted: created again, at the same path and name (so the same ARN). */
  | {
      readonly api: 'CreatePolicy';
      readonly roleName: string;
      readonly policyArn: string;
      readonly policyName: string;
      readonly path: string;
      readonly policyDocument: string;
    }
  /** The pinned document as a new default version (the version that held it is gone). */
  | {
      readonly api: 'CreatePolicyVersion';
      readonly roleName: string;
      readonly policyArn: string;
      readonly policyDocument: string;
    }
  /** A version that still holds the pinned document, made the default again. */
  | {
      readonly api: 'SetDefaultPolicyVersion';
      readonly roleName: string;
      readonly policyArn: string;
      readonly versionId: string;
    }
  /** The oldest non-default version, to make room (IAM keeps at most 5). */
  | {
      readonly api: 'DeletePolicyVersion';
      readonly roleName: string;
      readonly policyArn: string;
      readonly versionId: string;
    }
  | { readonly api: 'UntagRole'; readonly roleName: string; readonly tagKeys: readonly string[] };

export type IamApi = IamAction['api'];

const after = (d: Drift): string => d.property.slice(d.property.indexOf(':') + 1);

/**
 * Drift that let someone in (trust, session duration) or added permissions while the role was
 * open: sessions issued before the repair are revoked. A pure tag or description change, a
 * missing required policy or a deleted role does not revoke, nor does a boundary on a role that
 * should have none (see `revokes`).
 */
export const REVOKING_DRIFT: readonly DriftKind[] = [
  'trust-policy',
  'inline-policy',
  'extra-managed-policy',
  'permissions-boundary',
  'max-session-duration',
  'policy-content',
];

/**
 * Whether the drift calls for revoking sessions. A permissions boundary only caps what the
 * identity policies grant: on a role that should have none, a boundary someone set narrows the
 * role, and removing it gives back the desired role; neither lets anyone in. Only a role that
 * should have a boundary widens when it is replaced or removed.
 */
const revokes = (desired: DesiredRole, d: Drift): boolean =>
  REVOKING_DRIFT.includes(d.kind) &&
  (d.kind !== 'permissions-boundary' || desired.permissionsBoundaryArn !== undefined);

/** IAM keeps at most this many versions of a managed policy. */
export const MAX_POLICY_VERSIONS = 5;

export interface PlanOptions {
  /** Revoke sessions issued before this time when the drift calls for it (REVOKE_SESSIONS). */
  readonly revokeSessionsBefore?: Date;
  /**
   * Revoke (with `revokeSessionsBefore`) even when the drift does not call for it: an event named
   * a session-relevant change that may already be undone (functions/core/session-revocation.ts).
   */
  readonly revokeRegardless?: boolean;
  /** The pinned policies as read (to repair `policy-content` drift), with the partition. */
  readonly policies?: Readonly<Record<string, ManagedPolicyVersions | null>>;
  readonly partition?: string;
}

/**
 * The writes that give a pinned policy its document back: the version that still holds it made
 * default again; else a new default version (after deleting the oldest non-default one when IAM's
 * 5 are used); else, the policy deleted, the policy created again at its path and name.
 */
export function planPolicyRepair(
  roleName: string,
  policyArn: string,
  document: Readonly<Record<string, unknown>>,
  read: ManagedPolicyVersions | null,
  partition = 'aws',
): IamAction[] {
  const policyDocument = JSON.stringify(document);
  if (read === null) {
    const resource = policyArn.slice(policyArn.indexOf(':policy/') + ':policy'.length);
    const slash = resource.lastIndexOf('/');
    return [
      {
        api: 'CreatePolicy',
        roleName,
        policyArn,
        policyName: resource.slice(slash + 1),
        path: resource.slice(0, slash + 1),
        policyDocument,
      },
    ];
  }
  const wanted = canonicalPolicy(document, partition);
  const same = read.versions.find((v) => {
    try {
      return !v.isDefault && canonicalPolicy(parsePolicyDocument(v.document), partition) === wanted;
    } catch {
      return false;
    }
  });
  if (same) return [{ api: 'SetDefaultPolicyVersion', roleName, policyArn, versionId: same.versionId }];
  const oldest = read.versions
    .filter((v) => !v.isDefault)
    .sort((a, b) => (a.createDate ?? '').localeCompare(b.createDate ?? ''))[0];
  return [
    ...(read.versions.length >= MAX_POLICY_VERSIONS && oldest
      ? [{ api: 'DeletePolicyVersion' as const, roleName, policyArn, versionId: oldest.versionId }]
      : []),
    { api: 'CreatePolicyVersion', roleName, policyArn, policyDocument },
  ];
}

/** The write that revokes every session of the role issued before `cutoff` (one policy, the latest cut-off). */
export function revokeSessions(roleName: string, cutoff: Date): IamAction {
  const time = cutoff.toISOString();
  return {
    api: 'PutRolePolicy',
    roleName,
    policyName: REVOCATION_POLICY_NAME,
    policyDocument: JSON.stringify(revocationPolicy(time)),
    cutoff: time,
  };
}

/**
 * The writes that remove the given drift, in a safe order (access is taken away before anything
 * is restored), with one call per kind where IAM allows batching (UpdateRole, TagRole, UntagRole).
 * A missing role becomes one CreateRole carrying everything it can, then its policies.
 */
export function planActions(
  desired: DesiredRole,
  drift: readonly Drift[],
  options: PlanOptions = {},
): IamAction[] {
  const roleName = desired.roleName;
  const of = (kind: Drift['kind']) => drift.filter((d) => d.kind === kind && d.remediable);
  const repairPolicy = (d: Drift): IamAction[] => {
    const arn = after(d);
    const document = desired.policyDocuments?.[arn];
    const read = options.policies?.[arn];
    return document && read !== undefined
      ? planPolicyRepair(roleName, arn, document, read, options.partition)
      : [];
  };
  if (drift.some((d) => d.kind === 'role-missing')) {
    return [
      ...of('policy-content').flatMap(repairPolicy),
      {
        api: 'CreateRole',
        roleName,
        path: desired.path,
        trustPolicy: JSON.stringify(desired.trustPolicy),
        description: desired.description,
        maxSessionDuration: desired.maxSessionDuration,
        tags: desired.tags,
        ...(desired.permissionsBoundaryArn ? { permissionsBoundaryArn: desired.permissionsBoundaryArn } : {}),
      },
      ...desired.requiredPolicyArns.map((policyArn) => ({
        api: 'AttachRolePolicy' as const,
        roleName,
        policyArn,
      })),
    ];
  }
  const actions: IamAction[] = [...of('policy-content').flatMap(repairPolicy)];

  if (of('trust-policy').length > 0)
    actions.push({
      api: 'UpdateAssumeRolePolicy',
      roleName,
      policyDocument: JSON.stringify(desired.trustPolicy),
    });
  const revoke =
    options.revokeSessionsBefore !== undefined &&
    (options.revokeRegardless === true || drift.some((d) => d.remediable && revokes(desired, d)));
  // A revocation of another shape under that name is overwritten by the new one, not deleted first.
  for (const d of of('inline-policy'))
    if (!(revoke && after(d) === REVOCATION_POLICY_NAME))
      actions.push({ api: 'DeleteRolePolicy', roleName, policyName: after(d) });
  if (revoke && options.revokeSessionsBefore)
    actions.push(revokeSessions(roleName, options.revokeSessionsBefore));
  for (const d of of('extra-managed-policy'))
    actions.push({ api: 'DetachRolePolicy', roleName, policyArn: after(d) });
  if (of('permissions-boundary').length > 0) {
    actions.push(
      desired.permissionsBoundaryArn
        ? {
            api: 'PutRolePermissionsBoundary',
            roleName,
            permissionsBoundaryArn: desired.permissionsBoundaryArn,
          }
        : { api: 'DeleteRolePermissionsBoundary', roleName },
    );
  }
  for (const d of of('required-policy'))
    actions.push({ api: 'AttachRolePolicy', roleName, policyArn: after(d) });
  if (of('description').length > 0 || of('max-session-duration').length > 0) {
    const lengthens = of('max-session-duration').some(
      (d) => !(Number(d.before) >= desired.maxSessionDuration),
    );
    actions.push({
      api: 'UpdateRole',
      roleName,
      description: desired.description,
      maxSessionDuration: desired.maxSessionDuration,
      ...(lengthens ? {} : { takesAway: true }),
    });
  }
  const tagDrift = of('tag');
  const untag = tagDrift.filter((d) => d.after === null).map(after);
  const retag = Object.fromEntries(
    tagDrift.filter((d) => d.after !== null).map((d) => [after(d), d.after ?? '']),
  );
  if (untag.length > 0) actions.push({ api: 'UntagRole', roleName, tagKeys: untag });
  if (Object.keys(retag).length > 0) actions.push({ api: 'TagRole', roleName, tags: retag });
  return actions;
}

/**
 * What a write changes, one key per property: AttachRolePolicy of one ARN, TagRole of each key, ...
 * Two plans' writes overlap where their keys do (a TagRole of several tags covers each of them).
 * The keys are in lower case: IAM's names are not case-sensitive (an event may name a policy
 * otherwise than IAM lists it).
 */
export function writeTargets(action: IamAction): string[] {
  return targetsOf(action).map((t) => t.toLowerCase());
}

function targetsOf(action: IamAction): string[] {
  switch (action.api) {
    case 'AttachRolePolicy':
    case 'DetachRolePolicy':
    case 'CreatePolicy':
    case 'CreatePolicyVersion':
    case 'SetDefaultPolicyVersion':
    case 'DeletePolicyVersion':
      return [`${action.api} ${action.policyArn}`];
    case 'DeleteRolePolicy':
    case 'PutRolePolicy':
      return [`${action.api} ${action.policyName}`];
    case 'TagRole':
      return Object.keys(action.tags).map((key) => `${action.api} ${key}`);
    case 'UntagRole':
      return action.tagKeys.map((key) => `${action.api} ${key}`);
    default:
      return [action.api];
  }
}

/**
 * True when the writes that went through include the repair of this drift: the writes its own plan
 * makes (for a missing role, the CreateRole), whatever else they carried.
 */
export function repairedBy(
  desired: DesiredRole,
  drift: Drift,
  succeeded: readonly IamAction[],
  options: PlanOptions = {},
): boolean {
  const done = new Set(succeeded.flatMap(writeTargets));
  const own = planActions(desired, [drift], { ...options, revokeSessionsBefore: undefined })
    .filter((a) => drift.kind !== 'role-missing' || a.api === 'CreateRole')
    .flatMap(writeTargets);
  return own.length > 0 && own.every((t) => done.has(t));
}

/** A one-line, human-readable description of an action (for results and messages). */
export function describeAction(action: IamAction): string {
  switch (action.api) {
    case 'CreateRole':
      return `create role ${action.roleName} with the desired trust policy, description and tags`;
    case 'AttachRolePolicy':
      return `attach ${action.policyArn}`;
    case 'DetachRolePolicy':
      return `detach ${action.policyArn}`;
    case 'DeleteRolePolicy':
      return `delete inline policy ${action.policyName}`;
    case 'PutRolePolicy':
      return `revoke every session issued before ${action.cutoff} (${REVOCATION_MARGIN_MS / 60_000} minutes after the repair, while IAM applies it everywhere; inline policy ${action.policyName})`;
    case 'UpdateAssumeRolePolicy':
      return 'restore the trust policy';
    case 'PutRolePermissionsBoundary':
      return `set permissions boundary ${action.permissionsBoundaryArn}`;
    case 'DeleteRolePermissionsBoundary':
      return 'remove the permissions boundary';
    case 'UpdateRole':
      return `restore description and max session duration (${action.maxSessionDuration} s)`;
    case 'TagRole':
      return `restore tags ${Object.keys(action.tags).join(', ')}`;
    case 'UntagRole':
      return `remove tags ${action.tagKeys.join(', ')}`;
    case 'CreatePolicy':
      return `create the deleted policy ${action.policyArn} again with its pinned document`;
    case 'CreatePolicyVersion':
      return `make the pinned document the default version of ${action.policyArn}`;
    case 'SetDefaultPolicyVersion':
      return `make ${action.versionId} (the pinned document) the default version of ${action.policyArn} again`;
    case 'DeletePolicyVersion':
      return `delete the oldest non-default version ${action.versionId} of ${action.policyArn} (IAM keeps 5)`;
  }
}

/**
 * When each write may go out. Writes of one phase do not depend on each other and go out together
 * (one round trip); a phase starts only when the one before it succeeded, so access is taken away
 * before anything is restored. UntagRole and TagRole are in different phases because IAM documents
 * ConcurrentModification for two tag writes on one role at once; CreateRole goes before everything.
 * The session revocation (PutRolePolicy) goes out with the other writes that take access away,
 * the deletes of the attacker's inline policies included. IAM's 10,240-character aggregate inline
 * quota per role could refuse it while those deletes are under way (an attacker who filled it):
 * reconcile then sends it again as soon as they are done, before any restore.
 */
const PHASE: Record<IamApi, 0 | 1 | 3> = {
  CreateRole: 0,
  UpdateAssumeRolePolicy: 1,
  DeleteRolePolicy: 1,
  PutRolePolicy: 1,
  DetachRolePolicy: 1,
  PutRolePermissionsBoundary: 1,
  UntagRole: 1,
  CreatePolicy: 0,
  SetDefaultPolicyVersion: 1,
  DeletePolicyVersion: 1,
  CreatePolicyVersion: 3,
  DeleteRolePermissionsBoundary: 3,
  AttachRolePolicy: 3,
  UpdateRole: 3,
  TagRole: 3,
};

/** UpdateRole that shortens sessions (or only restores the description) is a removal (phase 1). */
const phaseOf = (action: IamAction): 0 | 1 | 3 =>
  action.api === 'UpdateRole' && action.takesAway ? 1 : PHASE[action.api];

/** True for a write that takes access away (after any CreateRole/CreatePolicy, before restores). */
export const takesAway = (action: IamAction): boolean => phaseOf(action) === 1;

/** The plan as waves of writes that can be sent together, in order (plan order inside a wave). */
export function phases(actions: readonly IamAction[]): IamAction[][] {
  return ([0, 1, 3] as const)
    .map((phase) => actions.filter((a) => phaseOf(a) === phase))
    .filter((wave) => wave.length > 0);
}

/** The parts of a CloudTrail event `removalsNamedBy` looks at. */
export interface NamedChange {
  readonly eventName: string;
  readonly requestParameters: Readonly<Record<string, unknown>>;
}

/** IAM's own limits on the names an event can carry (a longer one is not IAM's, and not acted on). */
const MAX_POLICY_ARN = 2_048;
const MAX_POLICY_NAME = 128;
/**
 * A role's trust policy is at most 4,096 characters once its quota is raised (2,048 by default),
 * whitespace not counted; a recorded document longer than this is not one IAM accepted.
 */
const MAX_TRUST_POLICY = 16_384;

/** A write that takes away what an event named, with the drift it removes (as drift.ts writes it). */
export interface NamedRemoval {
  readonly write: IamAction;
  readonly drift: Drift;
}

/** IAM's inline policy names: `[\w+=,.@-]+` (the length is checked apart). */
const INLINE_POLICY_NAME = /^[\w+=,.@-]+$/;

/** A managed policy's ARN in `partition`: AWS-managed (`aws`) or an account's (12 digits). */
const policyArnOf = (partition: string): RegExp =>
  new RegExp(`^arn:${partition.replace(/[^a-z-]/g, '')}:iam::(aws|\\d{12}):policy/[\\x21-\\x7f]+$`);

/**
 * The writes that take away what a tampering act's event names, decided without reading the role,
 * so that they can go out alongside the first read (functions/core/reconcile.ts, `eventRemovals`):
 * the managed policy it attached, when the desired role does not carry it; the inline policy it
 * put, unless it has the session revocation's name (whose shape only a read can judge); the
 * desired trust policy, after a change of the trust to another one. The event only names what to
 * take away; what is written comes from the desired role (a detach or delete of something the
 * desired role lacks, or its own trust policy), never from the event. Restores are never among
 * them: they wait for the read, so that access is taken away before anything is given back.
 * Each comes with the drift the act made, as CloudTrail recorded it: what the report says when
 * the first read does not show it (IAM is eventually consistent, or the write was served first).
 */
export function removalsNamedBy(
  change: NamedChange,
  desired: DesiredRole,
  partition = 'aws',
): NamedRemoval[] {
  const named = (key: string, max: number): string | undefined => {
    const value = change.requestParameters[key];
    return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
  };
  // The drift the act made; its write is the plan's for it (planActions), as after a read.
  const removal = (
    kind: DriftKind,
    property: string,
    before: string,
    after: string | null,
  ): NamedRemoval[] => {
    const drift: Drift = { kind, property, before, after, remediable: true };
    const [write] = planActions(desired, [drift], { partition });
    return write ? [{ write, drift }] : [];
  };
  switch (change.eventName) {
    case 'AttachRolePolicy': {
      // A managed policy's ARN in this partition (IAM refused any other: nothing to take away),
      // none of the required ones in any case (IAM resolves a policy's ARN regardless of case:
      // the detach of `…/awssupportaccess` would detach AWSSupportAccess).
      const policyArn = named('policyArn', MAX_POLICY_ARN);
      return policyArn !== undefined &&
        policyArnOf(partition).test(policyArn) &&
        !desired.requiredPolicyArns.some((arn) => sameIamName(arn, policyArn))
        ? removal('extra-managed-policy', `managedPolicy:${policyArn}`, 'attached', null)
        : [];
    }
    case 'PutRolePolicy': {
      // A name IAM accepts, and not the session revocation's in any case (IAM's names are not
      // case-sensitive): left to the read, which keeps that exact name with the revocation's
      // shape and deletes any other.
      const policyName = named('policyName', MAX_POLICY_NAME);
      return policyName !== undefined &&
        INLINE_POLICY_NAME.test(policyName) &&
        !sameIamName(policyName, REVOCATION_POLICY_NAME)
        ? removal('inline-policy', `inlinePolicy:${policyName}`, policyName, null)
        : [];
    }
    case 'UpdateAssumeRolePolicy': {
      const document = named('policyDocument', MAX_TRUST_POLICY);
      if (document === undefined) return [];
      let before: string;
      try {
        before = canonicalPolicy(parsePolicyDocument(document), partition);
      } catch {
        return [];
      }
      const wanted = canonicalPolicy(desired.trustPolicy, partition);
      return before === wanted ? [] : removal('trust-policy', 'trustPolicy', before, wanted);
    }
    default:
      return [];
  }
}
