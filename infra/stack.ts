import {
  Annotations,
  Aws,
  CfnOutput,
  CfnRule,
  Duration,
  Fn,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { mfaWarnings } from '../functions/core/audit.js';
import { pinnedPolicyArns } from '../functions/core/desired-state.js';
import {
  CENTRAL_GUARD_ROLE_NAME,
  DEFAULT_MEMBER_ROLE_NAME,
  GUARD_ROLE_NAME,
  GUARD_ROLE_PATH,
  MEMBER_STACK_SET_NAME,
} from '../functions/core/guard-roles.js';
import { ChatChannel } from './constructs/chat-channel.js';
import { GuardAlarms } from './constructs/guard-alarms.js';
import { GuardFunction } from './constructs/guard-function.js';
import { GuardRules } from './constructs/guard-rules.js';
import { IdempotencyTable } from './constructs/idempotency-table.js';
import { InitialReconcile } from './constructs/initial-reconcile.js';
import { NotificationTopic } from './constructs/notification-topic.js';
import { CentralBus, centralGuardStatements, MemberStackSet } from './constructs/organization.js';
import { SelfProtection } from './constructs/self-protection.js';
import { repairPolicyStatements, securityHubPolicyStatements, stackLookupStatement } from './guard-policy.js';
import type { OrganizationSettings } from './organization-settings.js';
import { supportRoleScp } from './scp.js';

/**
 * Organization mode: the central deployment fails when more than this share of the accounts
 * failed its deploy-time sweep (a configuration that cannot be applied), not for a few broken or
 * not-enrolled member accounts, which the published summary names (docs/organizations.md).
 */
export const DEPLOY_SWEEP_MAX_FAILED_PERCENT = 10;

import type { GuardSettings } from './settings.js';

export const STACK_NAME = 'SupportRoleGuard';
export const CENTRAL_STACK_NAME = 'SupportRoleGuardCentral';
/** IAM is global: its CloudTrail events reach EventBridge only in us-east-1. */
export const IAM_EVENTS_REGION = 'us-east-1';

export interface SupportRoleGuardStackProps extends StackProps {
  readonly settings: GuardSettings;
  /** Organization mode: this is the central guard, and member accounts get the StackSet. */
  readonly organization?: OrganizationSettings;
}

export class RegionError extends Error {
  constructor(region: string) {
    super(
      `SupportRoleGuard must be deployed in ${IAM_EVENTS_REGION}, not ${region}: IAM is a global service and its ` +
        `CloudTrail events ("AWS API Call via CloudTrail", source aws.iam) reach EventBridge only in ${IAM_EVENTS_REGION}, ` +
        `so a guard in ${region} would never hear of a change to the support role. Deploy with ` +
        `"cdk deploy -c region=${IAM_EVENTS_REGION}" (or AWS_REGION=${IAM_EVENTS_REGION}); the guard protects the ` +
        'role for the whole account from there.',
    );
    this.name = 'RegionError';
  }
}

/** The whole guard for one account: topic, function, rules, alarms, self-protection, initial reconcile. */
export class SupportRoleGuardStack extends Stack {
  readonly guard: GuardFunction;
  readonly notifications: NotificationTopic;
  readonly rules: GuardRules;

  constructor(scope: Construct, id: string, props: SupportRoleGuardStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const desired = settings.guard.desired;
    if (!Token.isUnresolved(this.region) && this.region !== IAM_EVENTS_REGION)
      throw new RegionError(this.region);
    if (Token.isUnresolved(this.region)) {
      // Environment-agnostic synth: CloudFormation itself refuses other regions at deploy time.
      new CfnRule(this, 'DeployInUsEast1', {
        assertions: [
          {
            assert: Fn.conditionEquals(Aws.REGION, IAM_EVENTS_REGION),
            assertDescription: new RegionError('this region').message,
          },
        ],
      });
    }

    // Lambda keeps 100 executions of the account unreserved: said at synth, before a deploy fails on it.
    Annotations.of(this).addInfo(
      settings.reservedConcurrency !== undefined
        ? `reservedConcurrency=${settings.reservedConcurrency}: the account's Lambda concurrency quota must be at least ${100 + settings.reservedConcurrency} (Lambda keeps 100 unreserved), or the deploy fails; use -c reservedConcurrency=none there (docs/deploy.md)`
        : 'reservedConcurrency=none: no concurrency reserved for the guard function; other functions can starve it (docs/deploy.md)',
    );
    // A configuration that makes the role unassumable for some of its principals: said by name at synth.
    mfaWarnings(desired).forEach((warning, i) => {
      Annotations.of(this).addWarningV2(`support-role-guard:requireMfa${i}`, warning);
    });

    const supportRoleArn = this.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${desired.path}${desired.roleName}`.replace(/^\//, ''),
    });
    this.notifications = new NotificationTopic(this, 'Notifications', {
      emails: settings.notifyEmails,
      httpsEndpoints: settings.notifyHttpsEndpoints,
    });
    const { topic, key } = this.notifications;
    const organization = props.organization;
    this.guard = new GuardFunction(this, 'Guard', {
      settings,
      roleName: organization ? CENTRAL_GUARD_ROLE_NAME : GUARD_ROLE_NAME,
      topic,
      key,
      permissions: organization
        ? centralGuardStatements(organization)
        : [
            ...repairPolicyStatements({
              supportRoleArn,
              requiredPolicyArns: desired.requiredPolicyArns,
              revokeSessions: settings.guard.revokeSessions,
              pinnedPolicyArns: pinnedPolicyArns(desired),
              ...(desired.permissionsBoundaryArn
                ? { permissionsBoundaryArn: desired.permissionsBoundaryArn }
                : {}),
            }),
            stackLookupStatement(
              this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*/*' }),
            ),
            ...securityHubPolicyStatements({
              hubArn: this.formatArn({ service: 'securityhub', resource: 'hub', resourceName: 'default' }),
              productArn: this.formatArn({
                service: 'securityhub',
                resource: 'product',
                resourceName: `${this.account}/default`,
              }),
              account: this.account,
              annotate: settings.guard.securityHub.annotateControlFindings,
              importFindings: settings.guard.securityHub.importTamperingFindings,
            }),
          ],
      ...(organization
        ? {
            environment: {
              MEMBER_ROLE_NAME: organization.memberRoleName,
              ORGANIZATION_ID: organization.organizationId,
              SWEEP_CONCURRENCY: String(organization.sweepConcurrency),
              TARGET_OU_IDS: organization.targetOuIds.join(','),
              NOT_ENROLLED_GRACE_HOURS: String(organization.notEnrolledGraceHours),
            },
            description:
              'support-role-guard (central): repairs the AWS Support role of member accounts through their remediation role',
            entry: 'central.ts' as const,
            timeout: Duration.minutes(5),
          }
        : {}),
    });
    const centralBus = organization
      ? new CentralBus(this, 'CentralBus', { organizationId: organization.organizationId })
      : undefined;
    const chat = settings.chat
      ? new ChatChannel(this, 'Chat', { chat: settings.chat, key, publisher: this.guard.role })
      : undefined;
    if (chat) this.guard.function.addEnvironment('CHAT_TOPIC_ARN', chat.topic.topicArn);
    const idempotency = new IdempotencyTable(this, 'Idempotency', { role: this.guard.role });
    this.guard.function.addEnvironment('IDEMPOTENCY_TABLE_NAME', idempotency.table.tableName);
    this.rules = new GuardRules(this, 'Triggers', {
      function: this.guard.function,
      roleName: desired.roleName,
      guardRoleArn: this.guard.role.roleArn,
      pinnedPolicyArns: pinnedPolicyArns(desired),
      sweepSchedule: settings.sweepSchedule,
      key,
      ...(centralBus ? { eventBus: centralBus.bus } : {}),
    });
    let members: MemberStackSet | undefined;
    if (organization && centralBus) {
      members = new MemberStackSet(this, 'Members', {
        desired,
        organization,
        revokeSessions: settings.guard.revokeSessions,
        centralBusArn: centralBus.bus.eventBusArn,
        centralGuardRoleArn: this.guard.role.roleArn,
      });
    }
    const alarms = new GuardAlarms(this, 'Alarms', {
      function: this.guard.function,
      queues: {
        UndeliveredEvents: this.rules.deadLetterQueue,
        FailedInvocations: this.guard.failureQueue,
        UndeliveredNotifications: this.notifications.deadLetterQueue,
      },
      topic,
      sweepPeriodSeconds: settings.sweepPeriodSeconds,
    });
    const selfProtection = new SelfProtection(this, 'SelfProtection', {
      topic,
      fallbackTopic: this.notifications.fallbackTopic,
      ...(chat ? { chatTopic: chat.topic } : {}),
      deadLetterQueue: this.rules.deadLetterQueue,
      function: this.guard.function,
      ruleNames: this.rules.ruleNames,
      keyId: key.keyId,
      keyArn: key.keyArn,
      alarmNames: alarms.alarmNames,
      queueNames: [
        this.rules.deadLetterQueue.queueName,
        this.guard.failureQueue.queueName,
        this.notifications.deadLetterQueue.queueName,
      ],
      guardRoleArn: this.guard.role.roleArn,
      guardRoleNames: [organization ? CENTRAL_GUARD_ROLE_NAME : GUARD_ROLE_NAME],
      ...(centralBus && organization
        ? { centralBus: centralBus.bus, memberRoleName: organization.memberRoleName }
        : {}),
    });
    // The topic policy replaces SNS's default one: name every service publisher, scoped to its sources.
    this.notifications.allowAlarms(alarms.alarmArns);
    this.notifications.allowRules(selfProtection.ruleArns);
    this.notifications.allowFallbackRules(selfProtection.fallbackRuleArns);
    const initial = new InitialReconcile(this, 'InitialReconcile', {
      function: this.guard.function,
      functionTimeout: this.guard.timeout,
      mode: settings.guard.mode,
      configuration: settings.environment,
      ...(organization ? { maxFailedPercent: DEPLOY_SWEEP_MAX_FAILED_PERCENT } : {}),
    });
    // The rules and alarms exist before the first reconcile runs, so its notification is not lost.
    initial.node.addDependency(this.rules, topic);
    // In organization mode, after the first enrolment: that sweep creates the support role in each member.
    if (members) initial.node.addDependency(members);

    new CfnOutput(this, 'TopicArn', {
      value: topic.topicArn,
      description: 'SNS topic on-call subscribes to',
    });
    new CfnOutput(this, 'FunctionName', { value: this.guard.function.functionName });
    if (!organization) new CfnOutput(this, 'SupportRoleArn', { value: supportRoleArn });
    if (centralBus) new CfnOutput(this, 'CentralBusArn', { value: centralBus.bus.eventBusArn });
    new CfnOutput(this, 'SupportRoleScp', {
      value: JSON.stringify(
        supportRoleScp({
          mode: organization ? 'organization' : 'single-account',
          supportRoleName: desired.roleName,
          memberRoleName: organization?.memberRoleName ?? DEFAULT_MEMBER_ROLE_NAME,
          ...(settings.breakGlassRole ? { breakGlassRole: settings.breakGlassRole } : {}),
        }),
      ),
      description: 'The optional SCP that keeps everyone but the guard off the support role (docs/scp.md)',
    });
    new CfnOutput(this, 'UndeliveredEventsQueueUrl', { value: this.rules.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'FailedInvocationsQueueUrl', { value: this.guard.failureQueue.queueUrl });
    acknowledgeFindings(this);
    Validations.of(this.guard.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*/${desired.roleName}]`,
      reason:
        'reads only (GetRole, the two lists, GetRolePolicy) of the support role by its name at another path than desired (path drift is reported, never repaired in place); every write is on the desired ARN',
    });
    if (!organization)
      Validations.of(this.guard.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:${Token.isUnresolved(this.region) ? '<AWS::Region>' : this.region}:<AWS::AccountId>:stack/*/*]`,
        reason:
          'DescribeStackResources (read-only) by the support role name: the stack that holds it, if any, is what the call finds out, so it cannot be named at synth; own account and region only',
      });
    if (organization) {
      Validations.of(this.guard.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'organizations:DescribeOrganization/ListAccounts/ListDelegatedAdministrators have no resource-level permissions, nested OUs are not known at synth; neither have X-Ray and iam:ListAccountAliases',
      });
      Validations.of(this.guard.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:*:stackset/${MEMBER_STACK_SET_NAME}:*]`,
        reason:
          'ListStackInstances of the member StackSet only; it lives in the management account (read as delegated administrator), whose id is not known at synth',
      });
      Validations.of(this.guard.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role${GUARD_ROLE_PATH}${organization.memberRoleName}]`,
        reason:
          'the member remediation role in any account, and only inside the organization (aws:ResourceOrgID condition)',
      });
    }
  }
}

/** Every cdk-nag finding we accept on our own resources, each with its specific reason. */
function acknowledgeFindings(stack: SupportRoleGuardStack): void {
  Validations.of(stack.notifications.fallbackTopic).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SNS2',
    reason:
      'the second channel is deliberately not encrypted with the guard key: it carries the alerts that this key was disabled, scheduled for deletion or re-policed, which could not travel through that key',
  });
  const queues = [stack.rules.deadLetterQueue, stack.guard.failureQueue, stack.notifications.deadLetterQueue];
  for (const queue of queues) {
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'this queue is itself the dead-letter queue of the guard (failed deliveries or invocations)',
    });
    Validations.of(queue).acknowledge({
      id: 'Serverless::Serverless-SQSRedrivePolicy',
      reason:
        'this queue is itself the dead-letter queue of the guard; nothing consumes it but an operator redrive',
    });
  }
  Validations.of(stack.guard.role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'only xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions',
  });
  Validations.of(stack.guard.function).acknowledge({
    id: 'Serverless::Serverless-LambdaDLQ',
    reason:
      'failed asynchronous invocations go to an on-failure destination (encrypted SQS), which keeps more context than a DLQ',
  });
}
