import type { Logger } from '@aws-lambda-powertools/logger';
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
} from '@aws-sdk/client-cloudformation';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { IamRoleStore } from '../adapters/iam-role-store.js';
import { organizationPorts } from '../adapters/member-access.js';
import { parseConfig } from '../core/config.js';
import { DEFAULT_MEMBER_ROLE_NAME, GUARD_ROLE_PATH, MEMBER_STACK_SET_NAME } from '../core/guard-roles.js';
import type { OrganizationResult } from '../core/handle-org-event.js';
import { resolveDesired } from '../core/placeholders.js';
import { reconcile } from '../core/reconcile.js';
import { createHandler } from '../handler/create-handler.js';
import {
  createPerAccountPrincipal,
  emulatedAccountCredentials,
  PER_ACCOUNT_ROLE_NAME,
  refuseAssumeRoleOfMissingRole,
} from './emulated-accounts.js';

/** The per-account principal the drill's sweep adds: each account's own OpsSupport role (created first). */
export const PER_ACCOUNT_PRINCIPAL = `arn:\${Partition}:iam::\${AccountId}:role/${PER_ACCOUNT_ROLE_NAME}`;

/**
 * The member StackSet's template as the emulator deploys it (a self-managed StackSet: each instance
 * creates the remediation role in its account, as the member template does); the drill and the
 * organization benchmark use it.
 */
export const EMULATED_MEMBER_TEMPLATE = JSON.stringify({
  Resources: {
    RemediationRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: DEFAULT_MEMBER_ROLE_NAME,
        Path: GUARD_ROLE_PATH,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::123456789012:root' },
              Action: 'sts:AssumeRole',
            },
          ],
        },
      },
    },
  },
});

export interface EnrolmentSweepAccount {
  readonly account: string;
  readonly enrolled: boolean;
  readonly outcome: string;
  readonly reason?: string;
  /** The trusted principals for this account, placeholders resolved. */
  readonly trustedPrincipals: readonly string[];
}

export interface EnrolmentSweepReport {
  readonly passed: boolean;
  readonly accounts: readonly EnrolmentSweepAccount[];
}

export interface EnrolmentSweepInput {
  readonly env: Record<string, string>;
  readonly settings: Record<string, unknown> & { endpoint: string };
  readonly roleName: string;
  readonly enrolled: readonly string[];
  readonly logger: Logger;
  readonly sns: SNSClient;
  readonly eventBridge: EventBridgeClient;
}

/**
 * One organization sweep after the scenarios: the member StackSet (emulated: its instances create
 * the remediation role, as the member template does) reaches the drill's accounts but not one more
 * account that just joined; the desired state trusts each account's own OpsSupport role
 * (`${AccountId}`), resolved per account. STS refuses AssumeRole where the role does not exist, as
 * AWS does (the emulator would not).
 */
export async function runEnrolmentSweep(input: EnrolmentSweepInput): Promise<EnrolmentSweepReport> {
  const { settings, roleName, enrolled } = input;
  const cloudformation = new CloudFormationClient(settings);
  await cloudformation
    .send(
      new CreateStackSetCommand({
        StackSetName: MEMBER_STACK_SET_NAME,
        TemplateBody: EMULATED_MEMBER_TEMPLATE,
        PermissionModel: 'SELF_MANAGED',
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    )
    .catch((error: Error) => {
      if (error.name !== 'NameAlreadyExistsException') throw error;
    });
  await cloudformation.send(
    new CreateStackInstancesCommand({
      StackSetName: MEMBER_STACK_SET_NAME,
      Accounts: [...enrolled],
      Regions: ['us-east-1'],
    }),
  );
  const newcomer = String(400_000_000_000 + Math.floor(Math.random() * 99_999_999_999));
  const all = [...enrolled, newcomer];
  const config = parseConfig(
    {
      ...input.env,
      TRUSTED_PRINCIPAL_ARNS: `${input.env.TRUSTED_PRINCIPAL_ARNS},${PER_ACCOUNT_PRINCIPAL}`,
      MEMBER_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
      MEMBER_ACCOUNT_IDS: all.join(','),
    },
    { requireTopic: true },
  );
  // The newcomer has a support role (someone made it by hand) but no remediation role yet.
  const sts = new STSClient(settings);
  const newcomerIam = new IAMClient({
    ...settings,
    credentials: await emulatedAccountCredentials(sts, newcomer, 'drill'),
  });
  await reconcile({
    desired: parseConfig({ ...input.env, SUPPORT_ROLE_NAME: roleName }).desired,
    mode: 'enforce',
    store: new IamRoleStore(newcomerIam),
    partition: 'aws',
  });
  // Every account has the per-account principal before the guard writes a trust policy naming it.
  await createPerAccountPrincipal(newcomerIam, newcomer);
  for (const account of enrolled)
    await createPerAccountPrincipal(
      new IAMClient({ ...settings, credentials: await emulatedAccountCredentials(sts, account, 'drill') }),
      account,
    );
  const handler = createHandler({
    config,
    clients: {
      iam: new IAMClient(settings),
      sns: input.sns,
      eventBridge: input.eventBridge,
      sts: refuseAssumeRoleOfMissingRole(new STSClient(settings), settings),
      cloudformation,
    },
    logger: input.logger,
    organizationPorts,
    memberClientSettings: { endpoint: settings.endpoint },
  });
  const event = {
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    id: `drill-sweep-${newcomer}`,
    time: new Date().toISOString(),
    account: '123456789012',
    region: 'us-east-1',
    detail: {},
  };
  const result = (await handler(event, {
    awsRequestId: 'drill',
    functionName: 'drill',
    // The central function's timeout: the handler's deadline is taken from it.
    getRemainingTimeInMillis: () => 300_000,
  } as never)) as OrganizationResult;
  const accounts = (result.accounts ?? []).map((a) => ({
    account: a.account,
    enrolled: a.account !== newcomer,
    outcome: a.outcome,
    ...(a.reason ? { reason: a.reason } : {}),
    trustedPrincipals: resolveDesired(config.desired, { account: a.account, partition: 'aws' })
      .trustedPrincipalArns,
  }));
  const passed = accounts.every((a) =>
    a.enrolled ? a.outcome === 'remediated' || a.outcome === 'compliant' : a.outcome === 'not-enrolled',
  );
  return { passed, accounts };
}
