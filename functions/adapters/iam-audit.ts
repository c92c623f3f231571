import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  type IAMClient,
  paginateListEntitiesForPolicy,
} from '@aws-sdk/client-iam';

export interface PolicyHolders {
  readonly roles: readonly string[];
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

/** Every role, user and group the managed policy is attached to (ListEntitiesForPolicy, paginated). */
export async function listPolicyHolders(iam: IAMClient, policyArn: string): Promise<PolicyHolders> {
  const roles: string[] = [];
  const users: string[] = [];
  const groups: string[] = [];
  for await (const page of paginateListEntitiesForPolicy({ client: iam }, { PolicyArn: policyArn })) {
    for (const r of page.PolicyRoles ?? []) if (r.RoleName) roles.push(r.RoleName);
    for (const u of page.PolicyUsers ?? []) if (u.UserName) users.push(u.UserName);
    for (const g of page.PolicyGroups ?? []) if (g.GroupName) groups.push(g.GroupName);
  }
  return { roles, users, groups };
}

/** The actions the default version of a managed policy allows (its document, URL-decoded). */
export async function policyAllowedActions(iam: IAMClient, policyArn: string): Promise<string[]> {
  const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
  const { PolicyVersion } = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: Policy?.DefaultVersionId ?? 'v1' }),
  );
  const raw = PolicyVersion?.Document ?? '{}';
  const document = JSON.parse(raw.trimStart().startsWith('{') ? raw : decodeURIComponent(raw)) as {
    Statement?: unknown;
  };
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return statements.flatMap((s) => {
    const statement = (s ?? {}) as { Effect?: string; Action?: unknown };
    if (statement.Effect !== 'Allow') return [];
    return (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).filter(
      (a): a is string => typeof a === 'string',
    );
  });
}
