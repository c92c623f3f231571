/**
 * IAM refuses a trust policy that names a principal that does not exist: "MalformedPolicyDocument:
 * Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/OpsSupport"". With a
 * per-account principal (`${AccountId}`) that is the usual first failure in an account where that
 * role was never created. The error says which principal and in which account, and what to trust
 * instead, rather than IAM's bare words.
 */
export class InvalidPrincipalError extends Error {
  override readonly name = 'InvalidPrincipalError';
}

const INVALID_PRINCIPAL_RE = /invalid principal in policy/i;

/** The explained error for IAM's "Invalid principal in policy"; any other error unchanged. */
export function explainInvalidPrincipal(
  error: unknown,
  trustedPrincipalArns: readonly string[] = [],
): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { Code?: unknown }).Code ?? error.name;
  if (code !== 'MalformedPolicyDocument' && code !== 'MalformedPolicyDocumentException') return error;
  if (!INVALID_PRINCIPAL_RE.test(error.message)) return error;
  const named = /arn:[^"\s,}]+/.exec(error.message)?.[0];
  const principals = named ? [named] : trustedPrincipalArns.filter((p) => /^arn:/.test(p));
  const accounts = [
    ...new Set(principals.map((p) => p.split(':')[4]).filter((a) => a && /^\d{12}$/.test(a))),
  ];
  const which =
    principals.length === 1
      ? `the trusted principal ${principals[0]} does not exist`
      : principals.length > 1
        ? `one of the trusted principals ${principals.join(', ')} does not exist`
        : 'a trusted principal does not exist';
  const where = accounts.length > 0 ? `create it in account ${accounts.join(', ')}` : 'create it';
  return new InvalidPrincipalError(
    `IAM refused the trust policy: ${which} (MalformedPolicyDocument: Invalid principal in policy). ` +
      `IAM accepts only principals that exist: ${where}, or trust one that exists in every account, such as arn:\${Partition}:iam::\${AccountId}:root`,
    { cause: error },
  );
}
