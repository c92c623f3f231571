import { ACTORS, type Actor } from './cloudtrail.js';

export const SUPPORT_ACCESS = 'arn:aws:iam::aws:policy/AWSSupportAccess';
export const ADMIN_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
export const DENY_ALL = 'arn:aws:iam::aws:policy/AWSDenyAll';
export const OTHER_ROLE = 'DataPipelineRole';
export const FOREIGN_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' },
  ],
});
/**
 * A trust policy that names a principal twice: a reader that keeps the first key sees the drill's
 * own OpsSupport, IAM keeps the last and trusts the foreign account.
 */
const DUPLICATE_KEY_TRUST =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/OpsSupport"},' +
  '"Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}';
const WILDCARD_INLINE = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

/** One IAM call of a scenario. `ROLE` in the input is replaced by the guarded role's name. */
export interface DrillStep {
  readonly api: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly actor: Actor;
  /** The call is refused by IAM. The emulator does not enforce IAM permissions, so the drill does not make it and emits the event CloudTrail records for a denied call. */
  readonly denied?: { readonly code: string; readonly message: string };
}

export interface DrillScenario {
  readonly name: string;
  readonly title: string;
  readonly mode?: 'detect';
  /**
   * The guard also requires a customer-managed policy (`POLICY` in the input) and pins its content
   * (REQUIRED_POLICY_DOCUMENTS). Single-account drill only: a pinned ARN names one account.
   */
  readonly pinnedPolicy?: boolean;
  readonly steps: readonly DrillStep[];
  readonly expect: {
    /** Whether each step's event must reach the handler (false: filtered by the rule's pattern). */
    readonly delivered: readonly boolean[];
    /** The outcome of each delivered event, in order. */
    readonly outcomes: readonly string[];
    /** The role must be back in desired state at the end (false in detect mode: still drifted). */
    readonly restored: boolean;
    readonly notifications: number;
    /** IAM writes the guard makes, in order. */
    readonly writes: readonly string[];
    /** The role's sessions issued before the repair are revoked (AWSRevokeOlderSessions read back, cut-off after the tampering). */
    readonly sessionsRevoked?: boolean;
  };
}

export const ROLE = '$ROLE';
/** In a scenario's input: the customer-managed policy the drill creates and the guard pins. */
export const POLICY = '$POLICY';
/** The pinned content: the Support Center console, which `audit` recommends adding. */
export const CONSOLE_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
};

export const SCENARIOS: readonly DrillScenario[] = [
  {
    name: 'detach-support-access',
    title: 'AWSSupportAccess detached',
    steps: [
      { api: 'DetachRolePolicy', input: { RoleName: ROLE, PolicyArn: SUPPORT_ACCESS }, actor: ACTORS.alice },
    ],
    expect: {
      delivered: [true],
      outcomes: ['remediated'],
      restored: true,
      notifications: 1,
      writes: ['AttachRolePolicy'],
    },
  },
  {
    name: 'delete-role',
    title: 'role deleted (detach, then DeleteRole)',
    steps: [
      { api: 'DetachRolePolicy', input: { RoleName: ROLE, PolicyArn: SUPPORT_ACCESS }, actor: ACTORS.bob },
      { api: 'DeleteRole', input: { RoleName: ROLE }, actor: ACTORS.bob },
    ],
    expect: {
      delivered: [true, true],
      outcomes: ['remediated', 'compliant'],
      restored: true,
      notifications: 2,
      writes: ['CreateRole', 'AttachRolePolicy'],
    },
  },
  {
    name: 'trust-foreign-account',
    title: 'trust policy re-pointed at a foreign account',
    steps: [
      {
        api: 'UpdateAssumeRolePolicy',
        input: { RoleName: ROLE, PolicyDocument: FOREIGN_TRUST },
        actor: ACTORS.alice,
      },
    ],
    expect: {
      delivered: [true],
      outcomes: ['remediated'],
      restored: true,
      notifications: 1,
      writes: ['UpdateAssumeRolePolicy', 'PutRolePolicy'],
      sessionsRevoked: true,
    },
  },
  {
    name: 'trust-duplicate-key',
    title: 'trust policy with a key written twice (IAM keeps the last: a foreign account)',
    steps: [
      {
        api: 'UpdateAssumeRolePolicy',
        input: { RoleName: ROLE, PolicyDocument: DUPLICATE_KEY_TRUST },
        actor: ACTORS.alice,
      },
    ],
    expect: {
      delivered: [true],
      outcomes: ['remediated'],
      restored: true,
      notifications: 1,
      writes: ['UpdateAssumeRolePolicy', 'PutRolePolicy'],
      sessionsRevoked: true,
    },
  },
  {
    name: 'admin-attached',
    title: 'AdministratorAccess attached to the support role',
    steps: [
      { api: 'AttachRolePolicy', input: { RoleName: ROLE, PolicyArn: ADMIN_ACCESS }, actor: ACTORS.bob },
    ],
    expect: {
      delivered: [true],
      outcomes: ['remediated'],
      restored: true,
      notifications: 1,
      writes: ['PutRolePolicy', 'DetachRolePolicy'],
      sessionsRevoked: true,
    },
  },
  {
    name: 'inline-policy',
    title: 'inline policy added',
    steps: [
      {
        api: 'PutRolePolicy',
        input: { RoleName: ROLE, PolicyName: 'break-glass', PolicyDocument: WILDCARD_INLINE },
        actor: ACTORS.alice,
      },
    ],
    expect: {
      delivered: [true],
      outcomes: ['remediated'],
      restored: true,
      notifications: 1,
      writes: ['DeleteRolePolicy', 'PutRolePolicy'],
      sessionsRevoked: true,
    },
  },
  {
    name: 'boundary-set',
    title: 'permissions boundary set',
    steps: [
      {
        api: 'PutRolePermissionsBoundary',
        input: { RoleName: ROLE, PermissionsBoundary: DENY_ALL },
        actor: ACTORS.alice,
      },
    ],
    expect: {
      delivered: [true],
      outcomes: ['remediated'],
      restored: true,
      notifications: 1,
      // A boundary only caps the role: on a role that should have none it lets nobody in, so
      // nothing is revoked (a role that should have a boundary revokes: session-revocation tests).
      writes: ['DeleteRolePermissionsBoundary'],
      sessionsRevoked: false,
    },
  },
  {
    name: 'session-revocation',
    title: 'role opened for 12 hours to a foreign account -> sessions revoked',
    steps: [
      { api: 'UpdateRole', input: { RoleName: ROLE, MaxSessionDuration: 43_200 }, actor: ACTORS.alice },
      {
        api: 'UpdateAssumeRolePolicy',
        input: { RoleName: ROLE, PolicyDocument: FOREIGN_TRUST },
        actor: ACTORS.alice,
      },
    ],
    expect: {
      delivered: [true, true],
      // The first event's repair restores both; the second finds the role already restored.
      outcomes: ['remediated', 'compliant'],
      restored: true,
      notifications: 2,
      writes: ['UpdateAssumeRolePolicy', 'PutRolePolicy', 'UpdateRole'],
      sessionsRevoked: true,
    },
  },
  {
    name: 'policy-version-tampering',
    title: 'pinned customer-managed policy given a new default version granting *',
    pinnedPolicy: true,
    steps: [
      {
        api: 'CreatePolicyVersion',
        input: { PolicyArn: POLICY, PolicyDocument: WILDCARD_INLINE, SetAsDefault: true },
        actor: ACTORS.bob,
      },
    ],
    expect: {
      delivered: [true],
      outcomes: ['remediated'],
      restored: true,
      notifications: 1,
      writes: ['SetDefaultPolicyVersion', 'PutRolePolicy'],
      sessionsRevoked: true,
    },
  },
  {
    name: 'access-denied',
    title: 'failed (AccessDenied) call -> ignored',
    steps: [
      {
        api: 'DetachRolePolicy',
        input: { RoleName: ROLE, PolicyArn: SUPPORT_ACCESS },
        actor: ACTORS.bob,
        denied: {
          code: 'AccessDenied',
          message: `User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:DetachRolePolicy because no identity-based policy allows the iam:DetachRolePolicy action`,
        },
      },
    ],
    expect: { delivered: [false], outcomes: [], restored: true, notifications: 0, writes: [] },
  },
  {
    name: 'other-role',
    title: 'change to another role -> ignored',
    steps: [
      {
        api: 'DetachRolePolicy',
        input: { RoleName: OTHER_ROLE, PolicyArn: SUPPORT_ACCESS },
        actor: ACTORS.alice,
      },
    ],
    expect: { delivered: [false], outcomes: [], restored: true, notifications: 0, writes: [] },
  },
  {
    name: 'guard-own-call',
    title: "the guard's own call fed back -> ignored",
    steps: [
      { api: 'AttachRolePolicy', input: { RoleName: ROLE, PolicyArn: SUPPORT_ACCESS }, actor: ACTORS.guard },
    ],
    expect: { delivered: [false], outcomes: [], restored: true, notifications: 0, writes: [] },
  },
  {
    name: 'detect-mode',
    title: 'detect mode: nothing changed, drift reported',
    mode: 'detect',
    steps: [
      { api: 'AttachRolePolicy', input: { RoleName: ROLE, PolicyArn: ADMIN_ACCESS }, actor: ACTORS.alice },
    ],
    expect: {
      delivered: [true],
      outcomes: ['drift-detected'],
      restored: false,
      notifications: 1,
      writes: [],
    },
  },
];
