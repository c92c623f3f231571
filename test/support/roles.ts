import type { DesiredRole } from '../../functions/core/desired-state.js';
import type { PresentRole } from '../../functions/core/role-snapshot.js';

/** A role snapshot exactly in desired state, with overrides. */
export function compliantRole(desired: DesiredRole, overrides: Partial<PresentRole> = {}): PresentRole {
  return {
    exists: true,
    roleName: desired.roleName,
    arn: `arn:aws:iam::123456789012:role${desired.path}${desired.roleName}`,
    path: desired.path,
    description: desired.description,
    maxSessionDuration: desired.maxSessionDuration,
    trustPolicy: encodeURIComponent(JSON.stringify(desired.trustPolicy)),
    ...(desired.permissionsBoundaryArn ? { permissionsBoundaryArn: desired.permissionsBoundaryArn } : {}),
    tags: { ...desired.tags },
    attachedPolicyArns: [...desired.requiredPolicyArns],
    inlinePolicyNames: [],
    ...overrides,
  };
}
