/** ARN and name formats the guard validates, and the partition helpers (pure, no SDK). */

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-eusc'] as const;
export type Partition = (typeof PARTITIONS)[number];

const PARTITION_RE = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-eusc)';
const IAM_PATH_NAME = '(?:/[\\x21-\\x7e]*)?[\\w+=,.@-]+';

/** IAM role name: 1-64 characters of letters, digits and + = , . @ _ - */
export const ROLE_NAME_RE = /^[\w+=,.@-]{1,64}$/;
/** IAM path: "/" or "/segments/" of printable ASCII, at most 512 characters. */
export const ROLE_PATH_RE = /^\/(?:[\x21-\x7e]*\/)?$/;

/** Principals a trust policy may name: account root, IAM user, IAM role, assumed-role session. */
export const TRUST_PRINCIPAL_ARN_RE = new RegExp(
  `^arn:${PARTITION_RE}:(?:iam::\\d{12}:(?:root|user${IAM_PATH_NAME}|role${IAM_PATH_NAME})|sts::\\d{12}:assumed-role/[\\w+=,.@-]+/[\\w+=,.@-]+)$`,
);
export const POLICY_ARN_RE = new RegExp(`^arn:${PARTITION_RE}:iam::(?:aws|\\d{12}):policy${IAM_PATH_NAME}$`);
export const ROLE_ARN_RE = new RegExp(`^arn:${PARTITION_RE}:iam::\\d{12}:role${IAM_PATH_NAME}$`);
export const TOPIC_ARN_RE = new RegExp(
  `^arn:${PARTITION_RE}:sns:[a-z0-9-]+:\\d{12}:[\\w-]{1,256}(?:\\.fifo)?$`,
);
export const EVENT_BUS_RE =
  /^(?:[\w.\-/]{1,256}|arn:[\w-]+:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256})$/;

/** The partition of a region name (`cn-north-1` → `aws-cn`); `aws` when unknown. */
export function partitionOfRegion(region: string | undefined): Partition {
  if (!region) return 'aws';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/** The partition field of an ARN, or undefined for anything that is not an ARN. */
export function partitionOfArn(arn: string): string | undefined {
  return /^arn:([\w-]+):/.exec(arn)?.[1];
}

/** The account field of an ARN (empty for AWS managed policies), or undefined. */
export function accountOfArn(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** The AWS managed AWSSupportAccess policy of a partition. */
export function supportAccessPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/AWSSupportAccess`;
}

/** The last path segment of a policy or role ARN (`.../policy/job-function/X` → `X`). */
export function nameOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
