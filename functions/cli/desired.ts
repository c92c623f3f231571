import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CLIENT_SETTINGS } from '../adapters/aws-clients.js';
import type { GuardConfig } from '../core/config.js';
import type { DesiredRole } from '../core/desired-state.js';
import { hasPlaceholders, resolveDesired } from '../core/placeholders.js';

/**
 * The desired state for the account these credentials act in: placeholders in the trusted
 * principals (\${AccountId}, \${Partition}) resolved with that account (STS GetCallerIdentity,
 * asked only when there is a placeholder).
 */
export async function desiredForCaller(config: GuardConfig): Promise<DesiredRole> {
  if (!config.desired.trustedPrincipalArns.some(hasPlaceholders)) return config.desired;
  const sts = new STSClient({ ...CLIENT_SETTINGS, region: config.region });
  const { Account } = await sts.send(new GetCallerIdentityCommand({}));
  return resolveDesired(config.desired, { account: Account ?? '', partition: config.partition });
}
