import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME, SWEEP_METRIC } from '../../functions/core/telemetry.js';

export interface GuardAlarmsProps {
  readonly function: IFunction;
  readonly queues: Readonly<Record<string, Queue>>;
  readonly topic: ITopic;
  readonly sweepPeriodSeconds: number;
}

/**
 * Alarms routed to the topic: function errors, messages in a failed-event queue, missing sweeps.
 * Each has a fixed name (`<stack>-<id>`), so that the topic policy can name exactly these alarms
 * as the sources CloudWatch may publish for (aws:SourceArn) without a dependency cycle.
 */
export class GuardAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  /** The ARNs of the alarms, built from their fixed names. */
  readonly alarmArns: string[] = [];
  /** Their fixed names (what CloudWatch's API calls name them by). */
  readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: GuardAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const action = new SnsAction(props.topic);
    const add = (alarm: Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    };
    const named = (alarmId: string) => {
      const alarmName = `${stack.stackName}-${alarmId}`;
      this.alarmNames.push(alarmName);
      this.alarmArns.push(
        stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: alarmName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
      return alarmName;
    };
    add(
      new Alarm(this, 'FunctionErrors', {
        alarmName: named('FunctionErrors'),
        alarmDescription:
          'support-role-guard: the guard function failed (remediation or notification); see its logs',
        metric: props.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const [name, queue] of Object.entries(props.queues)) {
      add(
        new Alarm(this, `${name}Visible`, {
          alarmName: named(`${name}Visible`),
          alarmDescription: `support-role-guard: events in ${name} were not handled; inspect and redrive them (docs/deploy.md)`,
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    add(
      new Alarm(this, 'SweepMissing', {
        alarmName: named('SweepMissing'),
        alarmDescription:
          'support-role-guard: no successful sweep for two schedule periods; the guard may be broken or disabled',
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: SWEEP_METRIC,
          dimensionsMap: { service: SERVICE_NAME },
          statistic: 'Sum',
          period: Duration.seconds(props.sweepPeriodSeconds),
        }),
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
      }),
    );
  }
}
