import {
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
  type IAMClient,
  paginateListAttachedRolePolicies,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { GuardConfig } from '../core/config.js';

/** The drill would not touch this account (wrong account, or the role is not in a state to drill). */
export class LiveDrillRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveDrillRefused';
  }
}

export interface LiveDrillOptions {
  readonly config: GuardConfig;
  /** The account the operator means to drill; must equal the credentials' account. */
  readonly account: string;
  readonly iam: IAMClient;
  readonly sts: STSClient;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly onProgress?: (elapsedMs: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface LiveDrillResult {
  readonly account: string;
  readonly roleName: string;
  readonly policyArn: string;
  /** Who put the policy back: the deployed guard (success) or the drill itself (the guard did not). */
  readonly restoredBy: 'guard' | 'drill';
  readonly secondsToRestore: number | null;
  readonly timeoutSeconds: number;
}

async function attached(iam: IAMClient, roleName: string): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: roleName })) {
    for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) arns.push(p.PolicyArn);
  }
  return arns;
}

/**
 * One reversible tamper on a real account where the guard is deployed: detach the first required
 * policy, wait (bounded) for the guard to put it back, and measure how long it took. The drill
 * always leaves the policy attached: if the guard did not restore it in time, the drill does.
 */
export async function liveDrill(options: LiveDrillOptions): Promise<LiveDrillResult> {
  const { iam, sts, config } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const roleName = config.desired.roleName;
  const policyArn = config.desired.requiredPolicyArns[0];
  if (!policyArn) throw new LiveDrillRefused('no required policy is configured');
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  if (identity.Account !== options.account) {
    throw new LiveDrillRefused(
      `the credentials belong to account ${identity.Account ?? 'unknown'} (${identity.Arn ?? 'unknown'}), not --account ${options.account}; nothing was changed`,
    );
  }
  if (!(await attached(iam, roleName)).includes(policyArn)) {
    throw new LiveDrillRefused(
      `${policyArn} is not attached to ${roleName} now; run "support-role-guard audit" first; nothing was changed`,
    );
  }

  await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  const started = Date.now();
  let restoredBy: 'guard' | 'drill' = 'drill';
  let seconds: number | null = null;
  try {
    while (Date.now() - started < options.timeoutMs) {
      await sleep(options.pollMs);
      const elapsed = Date.now() - started;
      options.onProgress?.(elapsed);
      if ((await attached(iam, roleName)).includes(policyArn)) {
        restoredBy = 'guard';
        seconds = Math.round(elapsed / 100) / 10;
        break;
      }
    }
  } finally {
    if (restoredBy === 'drill')
      await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  }
  return {
    account: options.account,
    roleName,
    policyArn,
    restoredBy,
    secondsToRestore: seconds,
    timeoutSeconds: Math.round(options.timeoutMs / 1000),
  };
}
