import { Stack } from 'aws-cdk-lib';
import { EventField, type IRuleTarget, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy, bindBaseTargetConfig } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLOUDTRAIL_DETAIL_TYPE } from '../../functions/core/event-pattern.js';

export interface SelfProtectionProps {
  readonly topic: ITopic;
  readonly function: IFunction;
  /** Names of every rule the guard relies on (its own rules included). */
  readonly ruleNames: readonly string[];
  /** Where alerts that could not be delivered to the topic are kept. */
  readonly deadLetterQueue: IQueue;
}

interface Watch {
  readonly id: string;
  readonly source: string;
  readonly eventNames: readonly (string | { prefix: string })[];
  readonly requestParameters: Record<string, unknown[]>;
  readonly what: string;
}

/**
 * Tells on-call when someone disables the guard itself: deletes, disables or re-points its rules,
 * deletes or reconfigures its function, deletes its topic or a subscription. Plain EventBridge
 * rules with readable text (an input transformer), so it works even when the function is gone.
 */
export class SelfProtection extends Construct {
  readonly rules: Rule[] = [];
  /** The rules' ARNs, built from their fixed names: the only rules EventBridge may publish to the topic for. */
  readonly ruleArns: string[] = [];

  constructor(scope: Construct, id: string, props: SelfProtectionProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const { topic } = props;
    const fn = props.function;
    const watches: Watch[] = [
      {
        id: 'RuleChanges',
        source: 'aws.events',
        eventNames: ['DeleteRule', 'DisableRule', 'PutRule'],
        requestParameters: { name: [...props.ruleNames] },
        what: 'a rule of the guard',
      },
      {
        id: 'TargetChanges',
        source: 'aws.events',
        eventNames: ['RemoveTargets', 'PutTargets'],
        requestParameters: { rule: [...props.ruleNames] },
        what: 'the targets of a rule of the guard',
      },
      {
        id: 'FunctionChanges',
        source: 'aws.lambda',
        // Lambda's CloudTrail event names carry API versions (DeleteFunction20150331, ...).
        eventNames: [
          'DeleteFunction',
          'UpdateFunctionConfiguration',
          'UpdateFunctionCode',
          'PutFunctionConcurrency',
          'DeleteFunctionEventInvokeConfig',
          'PutFunctionEventInvokeConfig',
          'UpdateFunctionEventInvokeConfig',
          'RemovePermission',
        ].map((prefix) => ({ prefix })),
        requestParameters: { functionName: [fn.functionName, fn.functionArn] },
        what: 'the guard function',
      },
      {
        id: 'TopicChanges',
        source: 'aws.sns',
        eventNames: ['DeleteTopic', 'SetTopicAttributes', 'RemovePermission'],
        requestParameters: { topicArn: [topic.topicArn] },
        what: 'the notification topic',
      },
      {
        id: 'SubscriptionChanges',
        source: 'aws.sns',
        eventNames: ['Unsubscribe'],
        requestParameters: { subscriptionArn: [{ prefix: `${topic.topicArn}:` }] },
        what: 'a subscription of the notification topic',
      },
    ];
    for (const watch of watches) {
      const ruleName = `${stackName}-Watch${watch.id}`;
      this.ruleArns.push(
        Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: ruleName }),
      );
      this.rules.push(
        new Rule(this, watch.id, {
          ruleName,
          description: `support-role-guard self-protection: changes to ${watch.what}`,
          eventPattern: {
            source: [watch.source],
            detailType: [CLOUDTRAIL_DETAIL_TYPE],
            detail: {
              eventName: watch.eventNames,
              requestParameters: watch.requestParameters,
              errorCode: [{ exists: false }],
            },
          },
          targets: [alertTarget(topic, alertText(watch.what), props.deadLetterQueue)],
        }),
      );
    }
  }
}

/**
 * The topic as a rule target, without the CDK's SnsTopic grant (an unscoped topic-policy statement
 * and key grant for every EventBridge rule of any account): the topic policy names the guard's
 * rules instead (NotificationTopic.allowRules). Undeliverable alerts go to the dead-letter queue.
 */
function alertTarget(topic: ITopic, message: RuleTargetInput, deadLetterQueue: IQueue): IRuleTarget {
  return {
    bind: (rule) => {
      addToDeadLetterQueueResourcePolicy(rule, deadLetterQueue);
      return {
        ...bindBaseTargetConfig({ deadLetterQueue }),
        arn: topic.topicArn,
        input: message,
        targetResource: topic,
      };
    },
  };
}

/** The readable alert, filled in by EventBridge's input transformer. */
function alertText(what: string): RuleTargetInput {
  return RuleTargetInput.fromText(
    [
      `support-role-guard SELF-PROTECTION: someone changed ${what}.`,
      `Call: ${EventField.fromPath('$.detail.eventName')} by ${EventField.fromPath('$.detail.userIdentity.arn')}`,
      `from ${EventField.fromPath('$.detail.sourceIPAddress')} at ${EventField.fromPath('$.detail.eventTime')}`,
      `in account ${EventField.fromPath('$.account')}, region ${EventField.fromPath('$.region')}.`,
      `CloudTrail event id: ${EventField.fromPath('$.detail.eventID')}.`,
      'If this was not a planned deployment, the guard may be disabled: check the stack and redeploy it.',
    ].join(' '),
  );
}
