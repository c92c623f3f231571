import { Stack, Validations } from 'aws-cdk-lib';
import { EventField, type IEventBus, type IRuleTarget, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy, bindBaseTargetConfig } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type GuardResources,
  memberRoleChangesPattern,
  watchesFor,
  watchPattern,
  watchRuleIds,
} from '../../functions/core/self-protection.js';
import { toCdkPattern } from './guard-rules.js';

export interface SelfProtectionProps {
  readonly topic: ITopic;
  /** The second channel (not encrypted with the topic's key) for alerts about the topic and its key. */
  readonly fallbackTopic: ITopic;
  /** The chat topic, when chat is configured: watched as the topics are. */
  readonly chatTopic?: ITopic;
  readonly function: IFunction;
  /** Names of the guard's other rules (the watch rules add their own). */
  readonly ruleNames: readonly string[];
  /** Where alerts that could not be delivered to the topic are kept. */
  readonly deadLetterQueue: IQueue;
  /** The topic's key, as KMS calls name it. */
  readonly keyId: string;
  readonly keyArn: string;
  readonly alarmNames: readonly string[];
  /** The dead-letter queues, by name (a watch matches the end of any of their URLs). */
  readonly queueNames: readonly string[];
  readonly guardRoleArn: string;
  readonly guardRoleNames: readonly string[];
  /** Organization mode: the central bus, and the member remediation role whose changes members forward to it. */
  readonly centralBus?: IEventBus;
  readonly memberRoleName?: string;
}

/**
 * Tells on-call when someone changes what the guard is made of, one rule per entry of the watch
 * table in functions/core/self-protection.ts (two for a twin). Plain EventBridge rules with
 * readable text (an input transformer), so they work even when the function is gone.
 */
export class SelfProtection extends Construct {
  readonly rules: Rule[] = [];
  /** The rules' ARNs, built from their fixed names: the only rules EventBridge may publish to the topic for. */
  readonly ruleArns: string[] = [];
  /** The rules that also publish to the second channel. */
  readonly fallbackRuleArns: string[] = [];

  constructor(scope: Construct, id: string, props: SelfProtectionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const ruleName = (ruleId: string) => `${stack.stackName}-Watch${ruleId}`;
    const base: Omit<GuardResources, 'ruleNames'> = {
      functionName: props.function.functionName,
      topicArn: props.topic.topicArn,
      otherTopicArns: [props.fallbackTopic.topicArn, ...(props.chatTopic ? [props.chatTopic.topicArn] : [])],
      keyId: props.keyId,
      keyArn: props.keyArn,
      alarmNames: props.alarmNames,
      account: stack.account,
      queueNames: props.queueNames,
      guardRoleArn: props.guardRoleArn,
      guardRoleNames: props.guardRoleNames,
      ...(props.centralBus ? { centralBusName: props.centralBus.eventBusName } : {}),
    };
    const watches = watchesFor({ ...base, ruleNames: [] });
    const memberWatch = props.centralBus && props.memberRoleName ? 'MemberRoleChanges' : undefined;
    const resources: GuardResources = {
      ...base,
      ruleNames: [
        ...props.ruleNames,
        ...[...watches.flatMap(watchRuleIds), ...(memberWatch ? [memberWatch] : [])].map(ruleName),
      ],
    };
    for (const watch of watches) {
      for (const ruleId of watchRuleIds(watch)) {
        const arn = stack.formatArn({ service: 'events', resource: 'rule', resourceName: ruleName(ruleId) });
        this.ruleArns.push(arn);
        if (watch.secondChannel) this.fallbackRuleArns.push(arn);
        const rule = new Rule(this, ruleId, {
          ruleName: ruleName(ruleId),
          description: `support-role-guard self-protection: changes to ${watch.what}`,
          eventPattern: toCdkPattern(watchPattern(watch, resources)),
          targets: [
            alertTarget(props.topic, alertText(watch.what), props.deadLetterQueue),
            ...(watch.secondChannel ? [alertTarget(props.fallbackTopic, alertText(watch.what))] : []),
          ],
        });
        this.rules.push(rule);
        if (watch.secondChannel)
          Validations.of(rule).acknowledge({
            id: 'Serverless::Serverless-EventBusDLQ',
            reason:
              "the second-channel target has no dead-letter queue: the guard's queues are encrypted with the key whose breakage this channel reports (the first target keeps its queue)",
          });
      }
    }
    if (memberWatch && props.centralBus && props.memberRoleName) {
      // Changes to a member's remediation role happen in the member account: its forwarding rule
      // (infra/member-stack.ts) sends them here, with the same pattern.
      const bus = props.centralBus;
      this.ruleArns.push(
        stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: `${bus.eventBusName}/${ruleName(memberWatch)}`,
        }),
      );
      this.rules.push(
        new Rule(this, memberWatch, {
          ruleName: ruleName(memberWatch),
          description: "support-role-guard self-protection: changes to a member account's remediation role",
          eventBus: bus,
          eventPattern: toCdkPattern(memberRoleChangesPattern(props.memberRoleName)),
          targets: [
            alertTarget(props.topic, alertText("a member account's remediation role"), props.deadLetterQueue),
          ],
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
function alertTarget(topic: ITopic, message: RuleTargetInput, deadLetterQueue?: IQueue): IRuleTarget {
  return {
    bind: (rule) => {
      if (deadLetterQueue) addToDeadLetterQueueResourcePolicy(rule, deadLetterQueue);
      return {
        ...bindBaseTargetConfig(deadLetterQueue ? { deadLetterQueue } : {}),
        arn: topic.topicArn,
        input: message,
        targetResource: topic,
      };
    },
  };
}

/**
 * The readable alert, filled in by EventBridge's input transformer. Only fields AWS sets go into
 * the text (event name, time, account, region, event id; the source address is an IP or an AWS
 * service name): the caller's ARN is left out, since its session name is the caller's choice and
 * may read as a link (`assumed-role/Admin/login.evil.com`). The CloudTrail console link shows who
 * made the call.
 */
function alertText(what: string): RuleTargetInput {
  const region = EventField.fromPath('$.region');
  const eventId = EventField.fromPath('$.detail.eventID');
  return RuleTargetInput.fromText(
    [
      `support-role-guard SELF-PROTECTION: someone changed ${what}.`,
      `Call: ${EventField.fromPath('$.detail.eventName')}`,
      `from ${EventField.fromPath('$.detail.sourceIPAddress')} at ${EventField.fromPath('$.detail.eventTime')}`,
      `in account ${EventField.fromPath('$.account')}, region ${region}.`,
      `CloudTrail event id: ${eventId}; who made the call: https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${eventId}`,
      'If this was not a planned deployment, the guard may be disabled: check the stack and redeploy it.',
    ].join(' '),
  );
}
