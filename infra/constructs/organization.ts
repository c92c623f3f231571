import { Aws, CfnStackSet } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { OrganizationPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { DesiredRole } from '../../functions/core/desired-state.js';
import { GUARD_ROLE_PATH, MEMBER_STACK_SET_NAME } from '../../functions/core/guard-roles.js';
import { memberTemplate } from '../member-stack.js';
import type { OrganizationSettings } from '../organization-settings.js';

/** The central bus: PutEvents is accepted from accounts of the organization only. */
export class CentralBus extends Construct {
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: { readonly organizationId: string }) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { eventBusName: 'support-role-guard' });
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OrganizationMembersForwardIamEvents',
        principals: [new OrganizationPrincipal(props.organizationId)],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
      }),
    );
  }
}

/** Policy statements of the central guard: reach each member account's remediation role, list the accounts. */
export function centralGuardStatements(organization: OrganizationSettings): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'AssumeMemberRemediationRoleInsideTheOrganization',
      actions: ['sts:AssumeRole'],
      resources: [`arn:${Aws.PARTITION}:iam::*:role${GUARD_ROLE_PATH}${organization.memberRoleName}`],
      conditions: { StringEquals: { 'aws:ResourceOrgID': organization.organizationId } },
    }),
    new PolicyStatement({
      sid: 'ListTargetOuAccounts',
      actions: [
        'organizations:DescribeOrganization',
        'organizations:ListAccounts',
        'organizations:ListAccountsForParent',
        'organizations:ListOrganizationalUnitsForParent',
        // ListStackInstances with CallAs=DELEGATED_ADMIN checks that the caller is a delegated
        // administrator with it; without it: "Account used is not a delegated administrator".
        'organizations:ListDelegatedAdministrators',
      ],
      // DescribeOrganization, ListAccounts and ListDelegatedAdministrators have no resource-level
      // permissions; the nested OUs (and the management account in their ARNs) are not known at synth.
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: 'ReadWhichAccountsAreEnrolled',
      actions: ['cloudformation:ListStackInstances'],
      // The StackSet lives in the management account; the guard reads it as delegated administrator.
      resources: [`arn:${Aws.PARTITION}:cloudformation:${Aws.REGION}:*:stackset/${MEMBER_STACK_SET_NAME}:*`],
    }),
  ];
}

export interface MemberStackSetProps {
  readonly desired: DesiredRole;
  readonly organization: OrganizationSettings;
  readonly revokeSessions?: boolean;
  readonly centralBusArn: string;
  readonly centralGuardRoleArn: string;
}

/**
 * The member template, rolled out by CloudFormation StackSets with service-managed permissions:
 * every account in the target OUs gets it, and new accounts get it automatically.
 */
export class MemberStackSet extends Construct {
  readonly stackSet: CfnStackSet;

  constructor(scope: Construct, id: string, props: MemberStackSetProps) {
    super(scope, id);
    const { organization } = props;
    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName: MEMBER_STACK_SET_NAME,
      description: 'support-role-guard member accounts: event forwarding, remediation role, support role',
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: {
        enabled: true,
        retainStacksOnAccountRemoval: organization.retainStacksOnAccountRemoval,
      },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      callAs: 'DELEGATED_ADMIN',
      operationPreferences: {
        failureTolerancePercentage: organization.failureTolerancePercentage,
        maxConcurrentPercentage: organization.maxConcurrentPercentage,
        regionConcurrencyType: 'SEQUENTIAL',
      },
      parameters: [
        { parameterKey: 'CentralBusArn', parameterValue: props.centralBusArn },
        { parameterKey: 'CentralGuardRoleArn', parameterValue: props.centralGuardRoleArn },
      ],
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...organization.targetOuIds] },
          regions: [...organization.regions],
        },
      ],
      templateBody: JSON.stringify(
        memberTemplate({
          desired: props.desired,
          organization,
          ...(props.revokeSessions === undefined ? {} : { revokeSessions: props.revokeSessions }),
        }),
      ),
    });
  }
}
