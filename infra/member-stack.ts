import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aws, CfnParameter, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { ArnPrincipal, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DesiredRole } from '../functions/core/desired-state.js';
import { roleMutationPattern } from '../functions/core/event-pattern.js';
import { GUARD_ROLE_PATH, MEMBER_RULE_NAMES } from '../functions/core/guard-roles.js';
import { memberRoleChangesPattern } from '../functions/core/self-protection.js';
import { toCdkPattern } from './constructs/guard-rules.js';
import { repairPolicyStatements } from './guard-policy.js';
import type { OrganizationSettings } from './organization-settings.js';

export const MEMBER_STACK_NAME = 'SupportRoleGuardMember';

export interface MemberStackProps {
  readonly desired: DesiredRole;
  readonly organization: OrganizationSettings;
  /** REVOKE_SESSIONS of the central guard (default true). */
  readonly revokeSessions?: boolean;
}

/**
 * What every member account gets (through a service-managed StackSet): a us-east-1 rule that
 * forwards the support role's IAM events to the central bus, and the remediation role the central
 * guard assumes (trusted only by the central guard's role, inside the organization, with the same
 * least-privilege permissions as the single-account guard). Never the support role itself:
 * CloudFormation cannot adopt an existing named role, so a template that creates it rolls back
 * wherever the role already exists. The guard creates it (first sweep, or first event) where it is
 * missing and repairs it where it exists. No Lambda code, so no asset buckets in member accounts.
 */
export class MemberStack extends Stack {
  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, {
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      description:
        'support-role-guard member: forwards IAM events to the central guard; the remediation role',
    });
    const { desired, organization } = props;
    const centralBusArn = new CfnParameter(this, 'CentralBusArn', {
      type: 'String',
      description: 'ARN of the central guard event bus',
    }).valueAsString;
    const centralGuardRoleArn = new CfnParameter(this, 'CentralGuardRoleArn', {
      type: 'String',
      description:
        'ARN of the central guard function role (the only principal that may assume the remediation role)',
    }).valueAsString;
    const supportRoleArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${desired.path}${desired.roleName}`;
    const remediationRole = new Role(this, 'RemediationRole', {
      roleName: organization.memberRoleName,
      path: GUARD_ROLE_PATH,
      description: 'support-role-guard: the central guard repairs the AWS Support role through this role',
      assumedBy: new ArnPrincipal(centralGuardRoleArn).withConditions({
        StringEquals: { 'aws:PrincipalOrgID': organization.organizationId },
      }),
    });
    new Policy(this, 'RemediationPolicy', {
      roles: [remediationRole],
      statements: repairPolicyStatements({
        supportRoleArn,
        requiredPolicyArns: desired.requiredPolicyArns,
        revokeSessions: props.revokeSessions ?? true,
        ...(desired.permissionsBoundaryArn ? { permissionsBoundaryArn: desired.permissionsBoundaryArn } : {}),
      }),
    });

    const forwardRole = new Role(this, 'ForwardRole', {
      // Under the guard path, where the optional SCP lets only the StackSet change it.
      path: GUARD_ROLE_PATH,
      assumedBy: new ServicePrincipal('events.amazonaws.com'),
      description: 'support-role-guard: forwards the support role IAM events to the central bus',
    });
    forwardRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['events:PutEvents'], resources: [centralBusArn] }),
    );
    const centralBus = EventBus.fromEventBusArn(this, 'CentralBus', centralBusArn);
    // Exact names: the optional SCP lets only the StackSet change or remove these rules.
    new Rule(this, 'ForwardRoleMutations', {
      ruleName: MEMBER_RULE_NAMES[0],
      description: `support-role-guard: IAM changes to ${desired.roleName}, to the central guard`,
      eventPattern: toCdkPattern(
        roleMutationPattern({ roleName: desired.roleName, guardRoleArn: remediationRole.roleArn }),
      ),
      targets: [new EventBusTarget(centralBus, { role: forwardRole })],
    });
    // Changes to the remediation role itself: whoever re-trusts or re-permits it acts as the guard,
    // whose calls are not reported. The central stack alerts on these (self-protection).
    new Rule(this, 'ForwardRemediationRoleChanges', {
      ruleName: MEMBER_RULE_NAMES[1],
      description: 'support-role-guard: IAM changes to the remediation role, to the central guard',
      eventPattern: toCdkPattern(memberRoleChangesPattern(organization.memberRoleName)),
      targets: [new EventBusTarget(centralBus, { role: forwardRole })],
    });
  }
}

/** The member template as JSON, synthesized offline (it has no assets). */
export function memberTemplate(props: MemberStackProps): Record<string, unknown> {
  // Its own output folder: never the CLI's cdk.out, where it would pass for a stack to deploy.
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'srg-member-')),
    analyticsReporting: false,
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new MemberStack(app, MEMBER_STACK_NAME, props);
  return app.synth().getStackArtifact(stack.artifactId).template as Record<string, unknown>;
}
