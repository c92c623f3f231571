/**
 * The stack's context keys (`cdk deploy -c key=value`) and the environment variable of the guard
 * each one feeds: one definition for infra/settings.ts (which builds the stack from them) and
 * `support-role-guard init` (which prints them for the role as it is).
 */
export const CONTEXT_TO_ENV = {
  supportRoleName: 'SUPPORT_ROLE_NAME',
  trustedPrincipalArns: 'TRUSTED_PRINCIPAL_ARNS',
  requiredPolicyArns: 'REQUIRED_POLICY_ARNS',
  mode: 'GUARD_MODE',
  supportRolePath: 'SUPPORT_ROLE_PATH',
  supportRoleDescription: 'SUPPORT_ROLE_DESCRIPTION',
  supportRoleTags: 'SUPPORT_ROLE_TAGS',
  maxSessionDuration: 'SUPPORT_ROLE_MAX_SESSION_DURATION',
  permissionsBoundaryArn: 'PERMISSIONS_BOUNDARY_ARN',
  requireMfa: 'REQUIRE_MFA',
  eventBusName: 'EVENT_BUS_NAME',
  stormWindowSeconds: 'STORM_WINDOW_SECONDS',
  securityHubAnnotate: 'SECURITY_HUB_ANNOTATE',
  securityHubImportFindings: 'SECURITY_HUB_IMPORT_FINDINGS',
  revokeSessions: 'REVOKE_SESSIONS',
  requiredPolicyDocuments: 'REQUIRED_POLICY_DOCUMENTS',
} as const;

/** A context key of the guard's configuration. */
export type ContextKey = keyof typeof CONTEXT_TO_ENV;

/** The support role's name when the context does not give one. */
export const DEFAULT_ROLE_NAME = 'AWSSupportRole';

/** The guard's environment for a context (what infra/settings.ts gives the function). */
export function environmentOf(
  context: Readonly<Partial<Record<ContextKey, string>>>,
  region: string,
): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: region, SUPPORT_ROLE_NAME: DEFAULT_ROLE_NAME };
  for (const [key, name] of Object.entries(CONTEXT_TO_ENV)) {
    const value = context[key as ContextKey];
    if (value !== undefined && String(value).trim() !== '') env[name] = String(value);
  }
  return env;
}
