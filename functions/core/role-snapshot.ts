/** The support role as read from IAM (the read model). Built by the IAM adapter, pure data. */
export type RoleSnapshot = AbsentRole | PresentRole;

export interface AbsentRole {
  readonly exists: false;
}

export interface PresentRole {
  readonly exists: true;
  readonly roleName: string;
  readonly arn: string;
  readonly path: string;
  readonly description: string;
  readonly maxSessionDuration: number;
  /** The trust policy as JSON text (already URL-decoded by the adapter, or not: both are handled). */
  readonly trustPolicy: string;
  readonly permissionsBoundaryArn?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly attachedPolicyArns: readonly string[];
  readonly inlinePolicyNames: readonly string[];
  /** The document of the inline policy AWSRevokeOlderSessions, when the role has one (as read). */
  readonly revocationPolicy?: string;
  /** When IAM created the role (ISO 8601): the path can change only with a new role. */
  readonly createdAt?: string;
  /** The pinned customer-managed policies as read (null: the policy does not exist). */
  readonly policies?: Readonly<Record<string, ManagedPolicyVersions | null>>;
}

/** A customer-managed policy's versions (at most 5), each with its document (JSON, decoded). */
export interface ManagedPolicyVersions {
  readonly versions: readonly {
    readonly versionId: string;
    readonly isDefault: boolean;
    readonly createDate?: string;
    readonly document: string;
  }[];
}
