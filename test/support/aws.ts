import { randomBytes } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import type { AwsClients } from '../../functions/adapters/aws-clients.js';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import { recordIamCalls, WireLog } from '../../functions/local/wire-log.js';

export { WireLog };

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The moto server started by test/support/global-setup.ts. */
export function emulatorEndpoint(): string {
  return inject('emulatorEndpoint');
}

const settings = () => ({
  ...CLIENT_SETTINGS,
  region: REGION,
  endpoint: emulatorEndpoint(),
  credentials: CREDENTIALS,
});

/** An IAM client that records each HTTP request's Action (the guard's client in tests). */
export function recordingIam(log: WireLog): IAMClient {
  return recordIamCalls(new IAMClient(settings()), log);
}

export function guardClients(log: WireLog): AwsClients {
  return {
    iam: recordingIam(log),
    sns: new SNSClient(settings()),
    eventBridge: new EventBridgeClient(settings()),
  };
}

/** Clients for the test itself (the "attacker" and the observer). */
export function testClients() {
  return {
    iam: new IAMClient(settings()),
    sns: new SNSClient(settings()),
    sqs: new SQSClient(settings()),
    eventBridge: new EventBridgeClient(settings()),
  };
}

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export {
  busWithInbox,
  Inbox,
  type ReceivedNotification,
  topicWithInbox,
} from '../../functions/local/inbox.js';
