import { ACCOUNT, REGION } from './cfn-resolve.js';

/** Who makes the calls in these events: an administrator's assumed-role session. */
export const ATTACKER = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEADMIN00001:mallory',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/mallory`,
  accountId: ACCOUNT,
  accessKeyId: 'ASIAEXAMPLE000000001',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: 'AROAEXAMPLEADMIN00001',
      arn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
      accountId: ACCOUNT,
      userName: 'Admin',
    },
    attributes: { creationDate: '2026-11-28T10:00:00Z', mfaAuthenticated: 'false' },
  },
};

let counter = 0;

export type CloudTrailEvent = Record<string, unknown> & { detail: Record<string, unknown> };

/**
 * An "AWS API Call via CloudTrail" event as EventBridge delivers it, with the CloudTrail record in
 * `detail` in the documented shape (eventVersion 1.08 fields: userIdentity, eventSource,
 * requestParameters, responseElements, resources where the service records them, ...).
 */
export function cloudTrailEvent(
  service: string,
  eventName: string,
  requestParameters: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): CloudTrailEvent {
  counter += 1;
  const eventId = `0000${counter.toString(16).padStart(4, '0')}-1111-2222-3333-444455556666`;
  return {
    version: '0',
    id: `e${eventId.slice(1)}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${service}`,
    account: ACCOUNT,
    time: '2026-11-28T10:15:00Z',
    region: REGION,
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: ATTACKER,
      eventTime: '2026-11-28T10:15:00Z',
      eventSource: `${service}.amazonaws.com`,
      eventName,
      awsRegion: REGION,
      sourceIPAddress: '203.0.113.7',
      userAgent: 'aws-cli/2.15.30 md/Botocore#1.34.30',
      requestParameters,
      responseElements: null,
      requestID: `req-${eventId}`,
      eventID: eventId,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
      ...extra,
    },
  };
}

/** A KMS record: KMS names the key's ARN in `resources` whichever form the caller passed. */
export function kmsEvent(eventName: string, keyArn: string, requestParameters: Record<string, unknown>) {
  return cloudTrailEvent('kms', eventName, requestParameters, {
    responseElements: { keyId: keyArn },
    resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: keyArn }],
  });
}
