import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { CLIENT_SETTINGS } from '../adapters/aws-clients.js';

/** SDK client settings for the local emulator (any credentials do; the default account is 123456789012). */
export function emulatorSettings(
  endpoint: string,
  credentials = { accessKeyId: 'local', secretAccessKey: 'local' },
) {
  return { ...CLIENT_SETTINGS, region: 'us-east-1', endpoint, credentials };
}

/**
 * Credentials of another emulated account: moto keeps state per account, and STS AssumeRole into
 * a role of account X returns credentials that act in X.
 */
export async function emulatedAccountCredentials(sts: STSClient, account: string, session = 'local') {
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`,
      RoleSessionName: session,
    }),
  );
  return {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    sessionToken: c?.SessionToken ?? '',
  };
}
