import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { inject } from 'vitest';
import type { AwsClients } from '../../functions/adapters/aws-clients.js';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import { emulatedAccountCredentials } from '../../functions/local/emulated-accounts.js';
import { recordIamCalls, WireLog } from '../../functions/local/wire-log.js';

export { WireLog };

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The moto server started by test/support/global-setup.ts. */
export function emulatorEndpoint(): string {
  return inject('emulatorEndpoint');
}

/** SDK client settings for the emulator (direct, no proxy). */
export const settings = () => ({
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

/** The standard variables that point a child process (the CLI, a bundle) at the emulator's default account. */
export const emulatorEnv = () => ({
  AWS_REGION: REGION,
  AWS_ENDPOINT_URL: emulatorEndpoint(),
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
});

/** A fresh emulated account (moto keeps state per account; STS AssumeRole returns its credentials). */
export async function isolatedAccount() {
  const account = String(100_000_000_000 + Math.floor(Math.random() * 800_000_000_000));
  const sts = new STSClient(settings());
  const credentials = await emulatedAccountCredentials(sts, account, 'test');
  const scoped = { ...settings(), credentials };
  return {
    account,
    /** The standard variables that point a child process at this account on the emulator. */
    env: {
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: emulatorEndpoint(),
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    },
    clients: {
      iam: new IAMClient(scoped),
      sns: new SNSClient(scoped),
      sqs: new SQSClient(scoped),
      eventBridge: new EventBridgeClient(scoped),
      sts: new STSClient(scoped),
    },
  };
}

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export {
  busWithInbox,
  Inbox,
  type ReceivedNotification,
  topicWithInbox,
} from '../../functions/local/inbox.js';

/**
 * An idempotency table as the stack creates it (partition key `id`, TTL on `expiration`), and a
 * client for it. DynamoDB applies a conditional write atomically; moto's threaded server checks
 * the condition and writes in two steps, so two concurrent conditional PutItems can both succeed
 * there. The client therefore sends its requests one at a time — restoring the atomicity the real
 * service has, which the exactly-once tests depend on — while the guard's invocations still run
 * concurrently.
 */
export async function idempotencyTable(name: string): Promise<DynamoDBClient> {
  const dynamodb = new DynamoDBClient(settings());
  let queue: Promise<unknown> = Promise.resolve();
  dynamodb.middlewareStack.add(
    (next) => (args) => {
      const run = queue.then(() => next(args));
      queue = run.catch(() => undefined);
      return run;
    },
    { step: 'finalizeRequest', name: 'serializeLikeDynamoDB' },
  );
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    }),
  );
  return dynamodb;
}
