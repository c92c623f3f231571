import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient } from '@aws-sdk/client-sts';

/**
 * SDK client settings, chosen for a Lambda with a 60 s timeout: up to 5 attempts with the
 * standard retry mode (exponential backoff with jitter; throttling errors back off longer), a 3 s
 * connection timeout and a 10 s request timeout that really aborts the request
 * (`throwOnRequestTimeout`: without it the SDK only logs a warning and keeps waiting), so one
 * stuck call cannot eat the whole invocation: 5 x 10 s + backoff stays under 60 s.
 * The standard AWS variables (AWS_REGION, AWS_ENDPOINT_URL, credentials) apply unchanged.
 */
export const CLIENT_SETTINGS = {
  maxAttempts: 5,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
} as const;

/**
 * Security Hub is best effort (it must never hold up the repair or the message): 2 attempts and a
 * 5 s request timeout, so it costs at most ~11 s of the invocation even when it hangs.
 */
export const SECURITY_HUB_CLIENT_SETTINGS = {
  maxAttempts: 2,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
} as const;

export interface AwsClients {
  readonly iam: IAMClient;
  readonly sns: SNSClient;
  /** When EVENT_BUS_NAME is set (the stack bundles a stand-in that throws without it). */
  readonly eventBridge?: EventBridgeClient;
  /** For the idempotency table (when IDEMPOTENCY_TABLE_NAME is set). */
  readonly dynamodb?: DynamoDBClient;
  /** Organization mode: assuming the member roles, and listing the accounts. */
  readonly sts?: STSClient;
  readonly organizations?: OrganizationsClient;
  /**
   * Organization mode: the member StackSet's instances (which accounts are enrolled). Single
   * account: the stack that holds the support role, if any (DescribeStackResources).
   */
  readonly cloudformation?: CloudFormationClient;
  /** When SECURITY_HUB_ANNOTATE or SECURITY_HUB_IMPORT_FINDINGS is on. */
  readonly securityHub?: SecurityHubClient;
}

/** IAM is global: its endpoint lives in us-east-1 of the partition unless AWS_ENDPOINT_URL says otherwise. */
export function createClients(
  region: string,
  options: { dynamodb?: boolean; eventBridge?: boolean; organization?: boolean; securityHub?: boolean } = {},
): AwsClients {
  return {
    iam: new IAMClient({ ...CLIENT_SETTINGS, region }),
    sns: new SNSClient({ ...CLIENT_SETTINGS, region }),
    cloudformation: new CloudFormationClient({ ...CLIENT_SETTINGS, region }),
    ...(options.eventBridge ? { eventBridge: new EventBridgeClient({ ...CLIENT_SETTINGS, region }) } : {}),
    ...(options.dynamodb ? { dynamodb: new DynamoDBClient({ ...CLIENT_SETTINGS, region }) } : {}),
    ...(options.securityHub
      ? { securityHub: new SecurityHubClient({ ...SECURITY_HUB_CLIENT_SETTINGS, region }) }
      : {}),
  };
}
