import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FINDING_UPDATED_BY } from '../functions/core/security-hub.js';

export interface RepairPolicyInput {
  /** ARN of the support role (the only role the guard may touch). */
  readonly supportRoleArn: string;
  readonly requiredPolicyArns: readonly string[];
  readonly permissionsBoundaryArn?: string;
  /** REVOKE_SESSIONS (default true): the guard may write the session revocation policy. */
  readonly revokeSessions?: boolean;
  /** Customer-managed policies whose content the guard pins (REQUIRED_POLICY_DOCUMENTS). */
  readonly pinnedPolicyArns?: readonly string[];
}

export interface GuardPolicyInput extends RepairPolicyInput {
  readonly topicArn: string;
  readonly keyArn: string;
  readonly eventBusArn?: string;
}

/**
 * The guard's permissions, and nothing more: each IAM action the adapter calls, only on the
 * support role; AttachRolePolicy only for the required policies and DetachRolePolicy only for
 * the others (so extras can be removed but the required ones never); a permissions boundary only
 * the configured one; publish only to its topic (with its key); events only to its bus.
 */
export function guardPolicyStatements(input: GuardPolicyInput): PolicyStatement[] {
  return [...repairPolicyStatements(input), ...notifyPolicyStatements(input)];
}

/**
 * The support role's ARN at the desired path, at the root path and under any other path
 * (`role/`, then any path, then `/<name>`: `*` spans `/` in an ARN): what the read permissions cover. The name is the
 * last segment of the desired ARN (it may hold tokens before `:role/`, never in the name).
 */
export function supportRoleAtAnyPath(supportRoleArn: string): string[] {
  const at = supportRoleArn.lastIndexOf(':role/');
  const prefix = supportRoleArn.slice(0, at + ':role/'.length);
  const name = supportRoleArn.slice(supportRoleArn.lastIndexOf('/') + 1);
  return [...new Set([supportRoleArn, `${prefix}${name}`, `${prefix}*/${name}`])];
}

/** What reading and repairing the support role takes (the single-account guard, and each member's remediation role). */
export function repairPolicyStatements(input: RepairPolicyInput): PolicyStatement[] {
  const role = [input.supportRoleArn];
  const required = [...input.requiredPolicyArns];
  const boundary = input.permissionsBoundaryArn;
  const statements = [
    new PolicyStatement({
      sid: 'ReadSupportRole',
      actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies'],
      // A role's ARN holds its path: a role of that name at another path (path drift, reported, never
      // repaired in place) is read too. Reads only; every write stays on the desired ARN.
      resources: supportRoleAtAnyPath(input.supportRoleArn),
    }),
    new PolicyStatement({
      sid: 'ReadAccountAliasForMessages',
      actions: ['iam:ListAccountAliases'],
      resources: ['*'], // ListAccountAliases has no resource-level permissions
    }),
    new PolicyStatement({
      sid: 'RepairSupportRole',
      actions: [
        'iam:DeleteRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:UpdateRole',
      ],
      resources: role,
    }),
    new PolicyStatement({
      sid: 'RecreateSupportRole',
      actions: ['iam:CreateRole'],
      resources: role,
      conditions: boundary
        ? { StringEquals: { 'iam:PermissionsBoundary': boundary } }
        : { Null: { 'iam:PermissionsBoundary': 'true' } },
    }),
    new PolicyStatement({
      sid: 'AttachRequiredPoliciesOnly',
      actions: ['iam:AttachRolePolicy'],
      resources: role,
      conditions: { ArnEquals: { 'iam:PolicyARN': required } },
    }),
    new PolicyStatement({
      sid: 'DetachAnythingButRequiredPolicies',
      actions: ['iam:DetachRolePolicy'],
      resources: role,
      conditions: { ArnNotEquals: { 'iam:PolicyARN': required } },
    }),
    boundary
      ? new PolicyStatement({
          sid: 'SetConfiguredBoundaryOnly',
          actions: ['iam:PutRolePermissionsBoundary'],
          resources: role,
          conditions: { StringEquals: { 'iam:PermissionsBoundary': boundary } },
        })
      : new PolicyStatement({
          sid: 'RemoveUnwantedBoundary',
          actions: ['iam:DeleteRolePermissionsBoundary'],
          resources: role,
        }),
  ];
  if (input.revokeSessions ?? true) {
    // IAM has no condition key for an inline policy's name or document: the code writes only
    // AWSRevokeOlderSessions, but a borrowed guard session could write an Allow * (docs/deploy.md:
    // the exposure is bounded by the sweep period).
    statements.push(
      new PolicyStatement({
        sid: 'RevokeSupportRoleSessions',
        actions: ['iam:PutRolePolicy'],
        resources: role,
      }),
    );
  }
  const pinned = [...(input.pinnedPolicyArns ?? [])];
  if (pinned.length > 0) {
    // Only the pinned policies: read their versions, make the pinned one default again, or recreate it.
    statements.push(
      new PolicyStatement({
        sid: 'RestorePinnedPolicyContent',
        actions: [
          'iam:ListPolicyVersions',
          'iam:GetPolicyVersion',
          'iam:CreatePolicyVersion',
          'iam:SetDefaultPolicyVersion',
          'iam:DeletePolicyVersion',
          'iam:CreatePolicy',
        ],
        resources: pinned,
      }),
    );
  }
  return statements;
}

/** Publishing the outcome: the topic (and its key), and the optional event bus. */
export function notifyPolicyStatements(
  input: Omit<GuardPolicyInput, keyof RepairPolicyInput>,
): PolicyStatement[] {
  const statements = [
    new PolicyStatement({ sid: 'Notify', actions: ['sns:Publish'], resources: [input.topicArn] }),
    new PolicyStatement({
      sid: 'EncryptNotifications',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [input.keyArn],
    }),
  ];
  if (input.eventBusArn) {
    statements.push(
      new PolicyStatement({
        sid: 'PublishOutcomeEvents',
        actions: ['events:PutEvents'],
        resources: [input.eventBusArn],
      }),
    );
  }
  return statements;
}

/**
 * Which stack holds the support role (a role's tags cannot say CloudFormation): read-only
 * DescribeStackResources on the stacks of the guard's own account and region. The stack is not
 * known before the call (it is looked up by the role's name), hence every stack there.
 */
export function stackLookupStatement(stackArns: string): PolicyStatement {
  return new PolicyStatement({
    sid: 'FindStackHoldingSupportRole',
    actions: ['cloudformation:DescribeStackResources'],
    resources: [stackArns],
  });
}

export interface SecurityHubPolicyInput {
  /** arn:PARTITION:securityhub:REGION:ACCOUNT:hub/default */
  readonly hubArn: string;
  /** The account's default product: arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default */
  readonly productArn: string;
  readonly account: string;
  readonly annotate: boolean;
  readonly importFindings: boolean;
}

/**
 * The BatchUpdateFindings fields the guard never changes, by their condition keys
 * (`securityhub:ASFFSyntaxPath/<field>`, Security Hub user guide, "Configuring access to
 * BatchUpdateFindings"): every customer-updatable field but Note and Workflow. Security Hub puts a
 * field in the request context only when the request sets it, so `Null: true` on each key allows
 * only requests that leave it alone. Array and map fields are listed both whole and by member.
 */
export const FINDING_FIELDS_NOT_UPDATED: readonly string[] = [
  'Confidence',
  'Criticality',
  'RelatedFindings',
  'RelatedFindings.Id',
  'RelatedFindings.ProductArn',
  'Severity.Label',
  'Severity.Normalized',
  'Severity.Product',
  'Types',
  'UserDefinedFields',
  'VerificationState',
];

/**
 * Security Hub, only what is switched on: read findings and annotate them on the account's hub
 * (the note, signed support-role-guard, and Workflow.Status NOTIFIED; no other field, so the guard
 * can never suppress or resolve a finding or change its severity); import findings only into the
 * account's own default product, for the account itself. IAM cannot name the findings a
 * BatchUpdateFindings call updates: the code annotates only IAM.18 findings of Security Hub's own
 * product in its own account (functions/core/security-hub.ts, isOpenControlFinding).
 */
export function securityHubPolicyStatements(input: SecurityHubPolicyInput): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (input.annotate) {
    statements.push(
      new PolicyStatement({
        sid: 'ReadControlFindings',
        actions: ['securityhub:GetFindings'],
        resources: [input.hubArn],
      }),
      new PolicyStatement({
        sid: 'AnnotateControlFindings',
        actions: ['securityhub:BatchUpdateFindings'],
        resources: [input.hubArn],
        conditions: {
          StringEquals: {
            'securityhub:ASFFSyntaxPath/Workflow.Status': 'NOTIFIED',
            'securityhub:ASFFSyntaxPath/Note.UpdatedBy': FINDING_UPDATED_BY,
          },
          Null: Object.fromEntries(
            FINDING_FIELDS_NOT_UPDATED.map((field) => [`securityhub:ASFFSyntaxPath/${field}`, 'true']),
          ),
        },
      }),
    );
  }
  if (input.importFindings) {
    statements.push(
      new PolicyStatement({
        sid: 'ImportTamperingFindings',
        actions: ['securityhub:BatchImportFindings'],
        resources: [input.productArn],
        conditions: { StringEquals: { 'securityhub:TargetAccount': input.account } },
      }),
    );
  }
  return statements;
}
