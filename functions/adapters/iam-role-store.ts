import { setTimeout } from 'node:timers/promises';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListAccountAliasesCommand,
  ListPolicyVersionsCommand,
  type ListPolicyVersionsCommandOutput,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  SetDefaultPolicyVersionCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import {
  InlineQuotaExceededError,
  MissingPolicyError,
  RoleChangedConcurrentlyError,
} from '../core/errors.js';
import type { IamAction } from '../core/plan.js';
import type { CallOptions, RoleStore } from '../core/ports.js';
import type { ManagedPolicyVersions, RoleSnapshot } from '../core/role-snapshot.js';
import { REVOCATION_POLICY_NAME, revocationCutoff } from '../core/session-revocation.js';

/**
 * The pauses before asking again for a revocation policy the inline list names but GetRolePolicy
 * did not find (700 ms in all; docs/design.md, "Drift"); when this store has put it itself (it is
 * there: only its document is not served yet), longer, as the read-back's own backoff (3.1 s).
 */
export const REVOCATION_REASK_MS: readonly number[] = [100, 200, 400];
export const OWN_REVOCATION_REASK_MS: readonly number[] = [100, 200, 400, 800, 1600];

/** IAM errors that mean "the role changed under us": re-read and plan again. */
const RACE_ERRORS = new Set([
  'NoSuchEntityException',
  'NoSuchEntity',
  'EntityAlreadyExistsException',
  'EntityAlreadyExists',
  'ConcurrentModificationException',
  'ConcurrentModification',
]);

/** IAM answered the write with a client error that is not a race: it was not applied. */
const isRefusal = (error: unknown): boolean => {
  if (!(error instanceof Error) || RACE_ERRORS.has(error.name)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
};

const isNoSuchEntity = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'NoSuchEntityException' || error.name === 'NoSuchEntity');

const tagList = (tags: Readonly<Record<string, string>>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export interface IamRoleStoreOptions {
  /** Items per page of the two lists (IAM's default, 100, when unset; tests use small pages). */
  readonly pageSize?: number;
}

/**
 * The support role over @aws-sdk/client-iam: reads it whole in one round trip (GetRole, the two
 * lists and the session revocation policy side by side, each list following every page; the
 * revocation after the list when this store last saw the role without it and the list names it),
 * applies one action per API call.
 */
export class IamRoleStore implements RoleStore {
  readonly #iam: IAMClient;
  readonly #pageSize: number | undefined;
  #alias: Promise<string | undefined> | undefined;
  /**
   * What this store knows of each role's session revocation policy. `absent`: its last read found
   * none (and it has put none since), so the next read asks for it only when the inline list names
   * it, one call fewer in the round trip on almost every read of a warm container. `put`: it put
   * one that no read has shown yet, so a stale read (IAM is eventually consistent) that shows none
   * does not stop the next read asking for it. No entry: asked for alongside.
   */
  readonly #revocation = new Map<string, 'absent' | 'put'>();
  /** The latest revocation cut-off of each role this store has read or sent (knownRevocationCutoff). */
  readonly #cutoffs = new Map<string, string>();

  constructor(iam: IAMClient, options: IamRoleStoreOptions = {}) {
    this.#iam = iam;
    this.#pageSize = options.pageSize;
  }

  async read(roleName: string, options: CallOptions = {}): Promise<RoleSnapshot> {
    const paging = { client: this.#iam, ...(this.#pageSize ? { pageSize: this.#pageSize } : {}) };
    const send = sendOptions(options);
    const getRevocation = () =>
      this.#iam
        .send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME }), send)
        .then(
          ({ PolicyDocument }) => PolicyDocument,
          (error: unknown) => {
            if (isNoSuchEntity(error)) return undefined;
            throw error;
          },
        );
    // Alongside the list unless this store last saw the role without it (and has not put it since):
    // then it is read after the list, only if the list names it. Either way every document on the
    // role is read; the hint decides only when.
    const own = this.#revocation.get(roleName) === 'put';
    const alongside = options.revocationChanged === true || this.#revocation.get(roleName) !== 'absent';
    const [got, attached, inline, early] = await Promise.allSettled([
      this.#iam.send(new GetRoleCommand({ RoleName: roleName }), send),
      (async () => {
        const arns: string[] = [];
        for await (const page of paginateListAttachedRolePolicies(paging, { RoleName: roleName }, send))
          for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) arns.push(p.PolicyArn);
        return arns;
      })(),
      (async () => {
        const names: string[] = [];
        for await (const page of paginateListRolePolicies(paging, { RoleName: roleName }, send))
          names.push(...(page.PolicyNames ?? []));
        return names;
      })(),
      alongside ? getRevocation() : undefined,
    ]);
    const failures = [got, attached, inline, early].flatMap((r) =>
      r.status === 'rejected' ? [r.reason] : [],
    );
    // Deleted before or while we read it: it is absent now.
    if (failures.some(isNoSuchEntity)) return { exists: false };
    if (failures.length > 0) throw failures[0];
    const role = got.status === 'fulfilled' ? got.value.Role : undefined;
    if (!role || attached.status !== 'fulfilled' || inline.status !== 'fulfilled') return { exists: false };
    const listed = inline.value.includes(REVOCATION_POLICY_NAME);
    let revocation = alongside && early.status === 'fulfilled' ? early.value : undefined;
    if (listed && !alongside) revocation = await getRevocation();
    // Listed but not found: replicas of different ages (IAM is eventually consistent; say, the
    // guard's own revocation just put). Asked again, briefly, rather than handing the core a
    // revocation-named inline policy without its document, which it would remove as unknown.
    for (const ms of own ? OWN_REVOCATION_REASK_MS : REVOCATION_REASK_MS) {
      if (!listed || revocation !== undefined) break;
      await setTimeout(ms, undefined, options.signal ? { signal: options.signal } : {});
      revocation = await getRevocation();
    }
    // A revocation put while this read was under way (sent alongside it) is not in what it saw:
    // the mark stays, so that the next read asks for it alongside.
    const putMeanwhile = !own && this.#revocation.get(roleName) === 'put';
    if (!putMeanwhile && (revocation !== undefined || (listed && !own))) this.#revocation.delete(roleName);
    else if (!putMeanwhile && !listed && !own) this.#revocation.set(roleName, 'absent');
    const revocationPolicy = revocation !== undefined ? decodePolicy(revocation) : undefined;
    // Not one planted far in the future (the core does not accept it either): kept, it would
    // cover every event and turn off the writes sent ahead in this container for good.
    const cutoff = revocationCutoff(revocationPolicy, new Date());
    if (cutoff !== undefined) this.#noteCutoff(roleName, cutoff);
    const raw = role.AssumeRolePolicyDocument ?? '{}';
    return {
      exists: true,
      roleName: role.RoleName ?? roleName,
      arn: role.Arn ?? '',
      path: role.Path ?? '/',
      description: role.Description ?? '',
      maxSessionDuration: role.MaxSessionDuration ?? 3600,
      trustPolicy: decodePolicy(raw),
      ...(role.PermissionsBoundary?.PermissionsBoundaryArn
        ? { permissionsBoundaryArn: role.PermissionsBoundary.PermissionsBoundaryArn }
        : {}),
      tags: Object.fromEntries((role.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      attachedPolicyArns: attached.value,
      inlinePolicyNames: inline.value,
      ...(revocationPolicy !== undefined ? { revocationPolicy } : {}),
      ...(role.CreateDate ? { createdAt: new Date(role.CreateDate).toISOString() } : {}),
    };
  }

  /**
   * The pinned customer-managed policies, side by side: ListPolicyVersions, then every version's
   * document together (IAM keeps at most 5). NoSuchEntity on the list: the policy does not exist.
   */
  async readPolicies(
    policyArns: readonly string[],
    options: CallOptions = {},
  ): Promise<Record<string, ManagedPolicyVersions | null>> {
    const send = sendOptions(options);
    const read = async (PolicyArn: string): Promise<ManagedPolicyVersions | null> => {
      let listed: ListPolicyVersionsCommandOutput;
      try {
        listed = await this.#iam.send(new ListPolicyVersionsCommand({ PolicyArn }), send);
      } catch (error) {
        if (isNoSuchEntity(error)) return null;
        throw error;
      }
      const versions = await Promise.all(
        (listed.Versions ?? []).map(async (v) => {
          const { PolicyVersion } = await this.#iam.send(
            new GetPolicyVersionCommand({ PolicyArn, VersionId: v.VersionId }),
            send,
          );
          return {
            versionId: v.VersionId ?? '',
            isDefault: v.IsDefaultVersion === true,
            ...(v.CreateDate ? { createDate: v.CreateDate.toISOString() } : {}),
            document: decodePolicy(PolicyVersion?.Document ?? '{}'),
          };
        }),
      );
      return { versions };
    };
    const entries = await Promise.all(policyArns.map(async (arn) => [arn, await read(arn)] as const));
    return Object.fromEntries(entries);
  }

  /** Looked up once per store (one per container); a failed lookup is tried again next time. */
  accountAlias(options: CallOptions = {}): Promise<string | undefined> {
    this.#alias ??= this.#iam.send(new ListAccountAliasesCommand({}), sendOptions(options)).then(
      ({ AccountAliases }) => AccountAliases?.[0],
      () => {
        this.#alias = undefined;
        return undefined; // a message without the alias is better than no message
      },
    );
    return this.#alias;
  }

  knownRevocationCutoff(roleName: string): string | undefined {
    return this.#cutoffs.get(roleName);
  }

  #noteCutoff(roleName: string, cutoff: string): void {
    const known = this.#cutoffs.get(roleName);
    if (known === undefined || Date.parse(cutoff) > Date.parse(known)) this.#cutoffs.set(roleName, cutoff);
  }

  async apply(action: IamAction, options: CallOptions = {}): Promise<void> {
    const revocation = action.api === 'PutRolePolicy' && action.policyName === REVOCATION_POLICY_NAME;
    const knownBefore = this.#cutoffs.get(action.roleName);
    if (revocation) {
      this.#revocation.set(action.roleName, 'put');
      // Noted as it goes out, so that a concurrent invocation in this container sees it too.
      this.#noteCutoff(action.roleName, action.cutoff);
    }
    try {
      await this.#send(action, sendOptions(options));
    } catch (error) {
      // Refused outright (a 4xx other than a race, whose write may have taken effect): nothing
      // was put. An abort, a timeout or a 5xx may have been applied: the mark stays.
      if (revocation && isRefusal(error)) {
        this.#revocation.delete(action.roleName);
        if (knownBefore === undefined) this.#cutoffs.delete(action.roleName);
        else this.#cutoffs.set(action.roleName, knownBefore);
      }
      const missing = error instanceof Error ? missingPolicy(action, error) : undefined;
      if (error instanceof Error && missing !== undefined)
        throw new MissingPolicyError(error.name, missing, error.message, { cause: error });
      // A role has no quota on the number of inline policies, only on their aggregate size.
      if (error instanceof Error && action.api === 'PutRolePolicy' && /^LimitExceeded/.test(error.name))
        throw new InlineQuotaExceededError(error.name, `${action.api}: ${error.message}`, { cause: error });
      if (error instanceof Error && RACE_ERRORS.has(error.name)) {
        throw new RoleChangedConcurrentlyError(error.name, `${action.api}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async #send(action: IamAction, send: { abortSignal?: AbortSignal }): Promise<void> {
    const RoleName = action.roleName;
    switch (action.api) {
      case 'CreateRole':
        await this.#iam.send(
          new CreateRoleCommand({
            RoleName,
            Path: action.path,
            AssumeRolePolicyDocument: action.trustPolicy,
            Description: action.description,
            MaxSessionDuration: action.maxSessionDuration,
            Tags: tagList(action.tags),
            ...(action.permissionsBoundaryArn ? { PermissionsBoundary: action.permissionsBoundaryArn } : {}),
          }),
          send,
        );
        return;
      case 'AttachRolePolicy':
        await this.#iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: action.policyArn }), send);
        return;
      case 'DetachRolePolicy':
        await this.#iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: action.policyArn }), send);
        return;
      case 'DeleteRolePolicy':
        await this.#iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: action.policyName }), send);
        return;
      case 'PutRolePolicy':
        await this.#iam.send(
          new PutRolePolicyCommand({
            RoleName,
            PolicyName: action.policyName,
            PolicyDocument: action.policyDocument,
          }),
          send,
        );
        return;
      case 'UpdateAssumeRolePolicy':
        await this.#iam.send(
          new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: action.policyDocument }),
          send,
        );
        return;
      case 'PutRolePermissionsBoundary':
        await this.#iam.send(
          new PutRolePermissionsBoundaryCommand({
            RoleName,
            PermissionsBoundary: action.permissionsBoundaryArn,
          }),
          send,
        );
        return;
      case 'DeleteRolePermissionsBoundary':
        await this.#iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName }), send);
        return;
      case 'UpdateRole':
        await this.#iam.send(
          new UpdateRoleCommand({
            RoleName,
            Description: action.description,
            MaxSessionDuration: action.maxSessionDuration,
          }),
          send,
        );
        return;
      case 'TagRole':
        await this.#iam.send(new TagRoleCommand({ RoleName, Tags: tagList(action.tags) }), send);
        return;
      case 'CreatePolicy':
        await this.#iam.send(
          new CreatePolicyCommand({
            PolicyName: action.policyName,
            Path: action.path,
            PolicyDocument: action.policyDocument,
            Description: 'Pinned by support-role-guard (recreated after it was deleted)',
          }),
          send,
        );
        return;
      case 'CreatePolicyVersion':
        await this.#iam.send(
          new CreatePolicyVersionCommand({
            PolicyArn: action.policyArn,
            PolicyDocument: action.policyDocument,
            SetAsDefault: true,
          }),
          send,
        );
        return;
      case 'SetDefaultPolicyVersion':
        await this.#iam.send(
          new SetDefaultPolicyVersionCommand({ PolicyArn: action.policyArn, VersionId: action.versionId }),
          send,
        );
        return;
      case 'DeletePolicyVersion':
        await this.#iam.send(
          new DeletePolicyVersionCommand({ PolicyArn: action.policyArn, VersionId: action.versionId }),
          send,
        );
        return;
      case 'UntagRole':
        await this.#iam.send(new UntagRoleCommand({ RoleName, TagKeys: [...action.tagKeys] }), send);
        return;
    }
  }
}

/**
 * NoSuchEntity on a write that names a policy can mean the policy itself does not exist: the ARN
 * of that policy. A configuration error, not a race (re-reading the role would never fix it),
 * unless the same reconcile has just created the policy (the core decides, MissingPolicyError).
 */
function missingPolicy(action: IamAction, error: Error): string | undefined {
  if (!isNoSuchEntity(error) || !/policy/i.test(error.message)) return undefined;
  if (action.api === 'AttachRolePolicy') return action.policyArn;
  if (action.api === 'PutRolePermissionsBoundary') return action.permissionsBoundaryArn;
  if (action.api === 'CreateRole') return action.permissionsBoundaryArn;
  return undefined;
}

/** The SDK's per-call options: the abort signal of the invocation's deadline, when there is one. */
const sendOptions = (options: CallOptions): { abortSignal?: AbortSignal } =>
  options.signal ? { abortSignal: options.signal } : {};

/** IAM returns policy documents URL-encoded (the emulator sometimes does not). */
function decodePolicy(raw: string): string {
  return raw.trimStart().startsWith('{') ? raw : safeDecode(raw);
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
