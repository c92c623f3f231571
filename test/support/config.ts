import { type GuardConfig, parseConfig } from '../../functions/core/config.js';

export const ACCOUNT = '123456789012';
export const SUPPORT_ACCESS = 'arn:aws:iam::aws:policy/AWSSupportAccess';
export const OPS_ROLE = `arn:aws:iam::${ACCOUNT}:role/OpsSupport`;
export const AUDIT_USER = `arn:aws:iam::${ACCOUNT}:user/auditor`;

/** A valid environment for the guard, with overrides. */
export function guardEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    AWS_REGION: 'us-east-1',
    SUPPORT_ROLE_NAME: 'AWSSupportRole',
    TRUSTED_PRINCIPAL_ARNS: `${OPS_ROLE},${AUDIT_USER}`,
    NOTIFY_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:support-role-guard`,
    ...overrides,
  };
}

export function guardConfig(overrides: Record<string, string | undefined> = {}): GuardConfig {
  return parseConfig(guardEnv(overrides), { requireTopic: true });
}
