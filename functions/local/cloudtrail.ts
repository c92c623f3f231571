import { randomUUID } from 'node:crypto';
import { CLOUDTRAIL_DETAIL_TYPE, IAM_EVENT_SOURCE, IAM_SOURCE } from '../core/event-pattern.js';

/**
 * CloudTrail-shaped EventBridge events ("AWS API Call via CloudTrail", the documented format) for
 * the IAM calls the drill makes: the emulator does not emit CloudTrail, so the drill writes the
 * event AWS would deliver for each call it makes.
 */

export interface Actor {
  readonly label: string;
  readonly userIdentity: Readonly<Record<string, unknown>>;
  readonly sourceIp: string;
  readonly userAgent: string;
}

export const DRILL_ACCOUNT = '123456789012';

const assumedRole = (role: string, session: string, principalId: string, accessKeyId: string) => ({
  type: 'AssumedRole',
  principalId: `${principalId}:${session}`,
  arn: `arn:aws:sts::${DRILL_ACCOUNT}:assumed-role/${role}/${session}`,
  accountId: DRILL_ACCOUNT,
  accessKeyId,
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId,
      arn: `arn:aws:iam::${DRILL_ACCOUNT}:role/${role}`,
      accountId: DRILL_ACCOUNT,
      userName: role,
    },
    webIdFederationData: {},
    attributes: { creationDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), mfaAuthenticated: 'false' },
  },
});

const cli = (command: string) =>
  `aws-cli/2.22.35 md/awscrt#0.23.8 ua/2.1 os/linux#6.1.0-28-amd64 md/arch#x86_64 lang/python#3.12.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#iam.${command}`;

/** The people (and the guard) whose calls the drill makes. */
export const ACTORS = {
  alice: {
    label: 'alice (AdminRole session, AWS CLI)',
    userIdentity: assumedRole(
      'AdminRole',
      'alice@example.com',
      'AROA3EXAMPLEADMIN01',
      'ASIA3EXAMPLEKEY00001',
    ),
    sourceIp: '203.0.113.24',
    userAgent: cli('detach-role-policy'),
  },
  bob: {
    label: 'bob (IAM user, console)',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDA3EXAMPLEBOB0001',
      arn: `arn:aws:iam::${DRILL_ACCOUNT}:user/bob`,
      accountId: DRILL_ACCOUNT,
      accessKeyId: 'ASIA3EXAMPLEKEY00002',
      userName: 'bob',
      sessionContext: { attributes: { creationDate: '2026-11-27T19:40:00Z', mfaAuthenticated: 'true' } },
    },
    sourceIp: '198.51.100.7',
    userAgent: 'AWS Internal',
  },
  guard: {
    label: 'the guard itself',
    userIdentity: assumedRole(
      'SupportRoleGuard-GuardRole-drill',
      'support-role-guard',
      'AROA3EXAMPLEGUARD01',
      'ASIA3EXAMPLEKEY00003',
    ),
    sourceIp: '54.210.10.20',
    userAgent:
      'aws-sdk-js/3.1169.0 ua/2.1 os/linux#5.10 lang/js md/nodejs#24.11.0 api/iam#3.1169.0 exec-env/AWS_Lambda_nodejs24.x',
  },
} as const satisfies Record<string, Actor>;

export const GUARD_ROLE_ARN = `arn:aws:iam::${DRILL_ACCOUNT}:role/SupportRoleGuard-GuardRole-drill`;

/** SDK input (PascalCase, Tags as {Key, Value}) → CloudTrail requestParameters (camelCase). */
export function requestParameters(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(requestParameters);
  if (typeof input !== 'object' || input === null) return input;
  return Object.fromEntries(
    Object.entries(input).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), requestParameters(v)]),
  );
}

export interface CallEventInput {
  readonly eventName: string;
  readonly input: Record<string, unknown>;
  readonly actor: Actor;
  readonly error?: { readonly code: string; readonly message: string };
  readonly time?: Date;
}

/** The EventBridge event CloudTrail delivers for one IAM call. */
export function cloudTrailEvent(call: CallEventInput): Record<string, unknown> {
  const time = (call.time ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': CLOUDTRAIL_DETAIL_TYPE,
    source: IAM_SOURCE,
    account: DRILL_ACCOUNT,
    time,
    region: 'us-east-1',
    resources: [],
    detail: {
      eventVersion: '1.10',
      userIdentity: call.actor.userIdentity,
      eventTime: time,
      eventSource: IAM_EVENT_SOURCE,
      eventName: call.eventName,
      awsRegion: 'us-east-1',
      sourceIPAddress: call.actor.sourceIp,
      userAgent: call.actor.userAgent,
      ...(call.error ? { errorCode: call.error.code, errorMessage: call.error.message } : {}),
      requestParameters: requestParameters(call.input),
      responseElements: null,
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: DRILL_ACCOUNT,
      eventCategory: 'Management',
      tlsDetails: {
        tlsVersion: 'TLSv1.3',
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        clientProvidedHostHeader: 'iam.amazonaws.com',
      },
    },
  };
}
