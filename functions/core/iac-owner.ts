/**
 * Who else manages the support role: CloudFormation by the stack that holds the role as a
 * resource (DescribeStackResources with the role name as PhysicalResourceId: CloudFormation puts
 * its `aws:cloudformation:*` system tags on most resources but never on IAM roles, so a role's tags
 * cannot say it), and by the role's tags Control Tower, Landing Zone Accelerator, Terraform (its
 * common tags), or any tool a `managed-by` tag names. When one does and the guard's desired state
 * disagrees with the role, the two will fight: each reverts the other. `audit` and every message
 * say so (docs/deploy.md, "Rollout").
 */
export interface IacOwner {
  readonly tool: string;
  /** The tag that says so, as `key=value`. */
  readonly evidence: string;
}

/** The CloudFormation stack that holds the role as a resource (DescribeStackResources). */
export interface StackRef {
  readonly stackName: string;
  readonly stackId: string;
  readonly logicalId: string;
}

const GUARD = 'support-role-guard';
const MANAGED_BY = /^(managed[-_ ]?by|managedby)$/i;

/**
 * The tool that manages the role, or undefined (nobody, or the guard). `stack` is the stack that
 * holds the role, when it was looked up and found. Control Tower and Landing Zone Accelerator deploy
 * through CloudFormation StackSets: their own tags name them first.
 */
export function iacOwner(tags: Readonly<Record<string, string>>, stack?: StackRef): IacOwner | undefined {
  const entries = Object.entries(tags);
  const tag = (k: string, v: string): string => `${k}=${v}`;
  const find = (test: (k: string, v: string) => boolean) => entries.find(([k, v]) => test(k, v));

  const controlTower = find((k, v) => k.toLowerCase() === 'aws-control-tower' || /^AWSControlTower/i.test(v));
  if (controlTower) return { tool: 'AWS Control Tower', evidence: tag(...controlTower) };
  const lza = find((k, v) => (k === 'Accelerator' && /AWSAccelerator/i.test(v)) || /^AWSAccelerator/.test(v));
  if (lza) return { tool: 'Landing Zone Accelerator', evidence: tag(...lza) };
  if (stack) return cloudFormationOwner(stack);
  const terraform = find(
    (k, v) => /^terraform([:_-].*)?$/i.test(k) || (MANAGED_BY.test(k) && /terraform|opentofu/i.test(v)),
  );
  if (terraform) return { tool: 'Terraform', evidence: tag(...terraform) };
  const other = find((k, v) => MANAGED_BY.test(k) && v.trim() !== '' && v.trim().toLowerCase() !== GUARD);
  if (other) return { tool: other[1].trim(), evidence: tag(...other) };
  return undefined;
}

/** CloudFormation, with the stack and the role's logical id in it as evidence. */
export const cloudFormationOwner = (stack: StackRef): IacOwner => ({
  tool: 'CloudFormation',
  evidence: `stack ${stack.stackName}, resource ${stack.logicalId}`,
});

/**
 * The owner a message names: the tag-based one found with the role (`fromTags`), unless a stack
 * holds the role and no Control Tower / LZA tag names a more specific tool.
 */
export function withStack(fromTags: IacOwner | undefined, stack: StackRef | undefined): IacOwner | undefined {
  if (!stack) return fromTags;
  if (fromTags && (fromTags.tool === 'AWS Control Tower' || fromTags.tool === 'Landing Zone Accelerator'))
    return fromTags;
  return cloudFormationOwner(stack);
}

/** The audit's sentence about it: who manages the role, and whether the guard would fight it. */
export function iacOwnerWarning(owner: IacOwner, driftCount: number): string {
  return iacOwnerSentence(owner, driftCount, (value) => value);
}

/**
 * The same sentence for a message: `show` renders the values read from the role's tags (which
 * whoever can tag the role chose), e.g. defanged in the e-mail or as inline code in chat.
 */
export function iacOwnerSentence(
  owner: IacOwner,
  driftCount: number,
  show: (value: string) => string,
): string {
  const who = `${show(owner.tool)} (${show(owner.evidence)})`;
  return driftCount === 0
    ? `the role is also managed by ${who}; it agrees with the guard's desired state today — keep the two in step (docs/deploy.md, "Rollout")`
    : `the role is also managed by ${who} and the guard's desired state disagrees with it (${driftCount} drift(s)): each would revert the other. Make them agree before enforcing (docs/deploy.md, "Rollout")`;
}

/** What a message's JSON document says about it. */
export interface ManagedBy extends IacOwner {
  /** The role as found differed from the guard's desired state (the two would revert each other). */
  readonly desiredStateDisagrees: boolean;
}
