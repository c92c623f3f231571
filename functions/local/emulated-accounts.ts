import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
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

/**
 * The per-account principal the drill, the tests and the benchmark trust (`${AccountId}`):
 * IAM refuses a trust policy naming a role that does not exist ("Invalid principal in policy"),
 * so each emulated account gets its own `OpsSupport` role first, as a real organization must.
 * (The emulator would accept a missing principal; AWS would not.)
 */
export const PER_ACCOUNT_ROLE_NAME = 'OpsSupport';

export async function createPerAccountPrincipal(iam: IAMClient, account: string): Promise<void> {
  await iam
    .send(
      new CreateRoleCommand({
        RoleName: PER_ACCOUNT_ROLE_NAME,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    )
    .catch((error: Error) => {
      if (error.name !== 'EntityAlreadyExistsException') throw error;
    });
}

/**
 * AWS refuses AssumeRole when the role does not exist in the target account (AccessDenied); the
 * emulator issues credentials for any role ARN. This adds that rule to an STS client, so that
 * an account without the remediation role (not enrolled yet, or its role deleted) is unreachable
 * locally as it would be in AWS. It looks the role up, path included, in the target account.
 */
export function refuseAssumeRoleOfMissingRole<T extends STSClient>(
  sts: T,
  settings: Record<string, unknown>,
): T {
  const lookup = new STSClient(settings);
  sts.middlewareStack.add(
    (next, context) => async (args) => {
      const roleArn = (args.input as { RoleArn?: unknown }).RoleArn;
      if (context.commandName === 'AssumeRoleCommand' && typeof roleArn === 'string') {
        const [, , , , account = '', resource = ''] = roleArn.split(':');
        const name = resource.slice(resource.lastIndexOf('/') + 1);
        const iam = new IAMClient({
          ...settings,
          credentials: await emulatedAccountCredentials(lookup, account),
        });
        const found = await iam
          .send(new GetRoleCommand({ RoleName: name }))
          .then((r) => r.Role?.Arn)
          .catch(() => undefined);
        if (found !== roleArn) {
          const error = new Error(
            `User: arn:aws:sts::123456789012:assumed-role/central/guard is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          );
          error.name = 'AccessDenied';
          Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 403 } });
          throw error;
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'refuseAssumeRoleOfMissingRole' },
  );
  return sts;
}
