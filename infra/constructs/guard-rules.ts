import { Duration, Stack } from 'aws-cdk-lib';
import { type EventPattern, type IEventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { roleMutationPattern } from '../../functions/core/event-pattern.js';
import { failedEventQueue } from './failed-event-queue.js';

export interface GuardRulesProps {
  readonly function: IFunction;
  readonly roleName: string;
  readonly guardRoleArn: string;
  /** Customer-managed policies whose content is pinned: their version changes match too. */
  readonly pinnedPolicyArns?: readonly string[];
  readonly sweepSchedule: string;
  readonly key: Key;
  /** Where the role-mutation events arrive: the default bus, or (organization mode) the central bus. */
  readonly eventBus?: IEventBus;
}

/** Our pattern (plain EventBridge JSON) in the shape the CDK's Rule expects. */
export function toCdkPattern(pattern: Record<string, unknown>): EventPattern {
  const { source, 'detail-type': detailType, detail, ...rest } = pattern;
  if (Object.keys(rest).length > 0)
    throw new Error(`unsupported pattern keys: ${Object.keys(rest).join(', ')}`);
  return { source, detailType, detail } as EventPattern;
}

/**
 * The two triggers of the guard on the default bus: the role-mutation rule (built from the one
 * pattern definition in functions/core/event-pattern.ts) and the scheduled sweep. Both deliver to
 * the function with retries, and keep what could not be delivered in an encrypted DLQ.
 */
export class GuardRules extends Construct {
  readonly mutations: Rule;
  readonly sweep: Rule;
  readonly deadLetterQueue: Queue;
  /** The rules' physical names (fixed, so that self-protection can name them without a cycle). */
  readonly ruleNames: readonly string[];

  constructor(scope: Construct, id: string, props: GuardRulesProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.deadLetterQueue = failedEventQueue(this, 'UndeliveredEvents', props.key);
    const target = new LambdaFunction(props.function, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    });
    this.ruleNames = [`${stackName}-RoleMutations`, `${stackName}-Sweep`];
    this.mutations = new Rule(this, 'RoleMutations', {
      ruleName: this.ruleNames[0],
      description: `support-role-guard: successful IAM calls that change ${props.roleName}`,
      eventPattern: toCdkPattern(
        roleMutationPattern({
          roleName: props.roleName,
          guardRoleArn: props.guardRoleArn,
          ...(props.pinnedPolicyArns ? { pinnedPolicyArns: props.pinnedPolicyArns } : {}),
        }),
      ),
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      targets: [target],
    });
    this.sweep = new Rule(this, 'Sweep', {
      ruleName: this.ruleNames[1],
      description: 'support-role-guard: scheduled sweep (CloudTrail delivery to EventBridge is best effort)',
      schedule: Schedule.expression(props.sweepSchedule),
      targets: [target],
    });
  }
}
