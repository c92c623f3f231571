import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, type IDestination, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GUARD_ROLE_PATH } from '../../functions/core/guard-roles.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/core/telemetry.js';
import { notifyPolicyStatements } from '../guard-policy.js';
import type { GuardSettings } from '../settings.js';
import { failedEventQueue } from './failed-event-queue.js';
import { guardBundling } from './guard-bundling.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface GuardFunctionProps {
  readonly settings: GuardSettings;
  readonly topic: Topic;
  readonly key: Key;
  /** What the guard may do besides notifying: repair the local support role, or (organization mode) reach the members. */
  readonly permissions: readonly PolicyStatement[];
  /** More environment variables (organization mode). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly description?: string;
  /** The entry point in functions/handler/ (central.ts for organization mode). */
  readonly entry?: 'index.ts' | 'central.ts';
  /** 60 s for one account; the central guard's sweep over many accounts needs longer. */
  readonly timeout?: Duration;
  /** The role's exact name (under GUARD_ROLE_PATH), which the optional SCP exempts. */
  readonly roleName: string;
}

/**
 * The guard Lambda: bundled and minified (AWS SDK included), nodejs24.x on arm64, its own log
 * group with retention, a role with exactly the guard's permissions, and failed asynchronous
 * invocations kept in an encrypted queue.
 */
export class GuardFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly failureQueue: Queue;
  /** How long one invocation may run. */
  readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: GuardFunctionProps) {
    super(scope, id);
    const { settings, topic, key } = props;
    const stack = Stack.of(this);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      roleName: props.roleName,
      path: GUARD_ROLE_PATH,
      description: props.description ?? 'support-role-guard: may repair only the AWS Support role',
    });
    const eventBus = settings.guard.eventBusName;
    const eventBusArn = eventBus
      ? eventBus.startsWith('arn:')
        ? eventBus
        : stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBus })
      : undefined;
    const notify = notifyPolicyStatements({
      topicArn: topic.topicArn,
      keyArn: key.keyArn,
      ...(eventBusArn ? { eventBusArn } : {}),
    });
    for (const statement of [...props.permissions, ...notify]) this.role.addToPolicy(statement);

    const logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logGroup.grantWrite(this.role);
    this.failureQueue = failedEventQueue(this, 'FailedInvocations', key);
    this.timeout = props.timeout ?? Duration.seconds(60);

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(ROOT, 'functions', 'handler', props.entry ?? 'index.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: this.timeout,
      ...(settings.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: settings.reservedConcurrency }
        : {}),
      role: this.role,
      logGroup,
      tracing: Tracing.ACTIVE,
      description: `support-role-guard: keeps ${settings.guard.desired.roleName} in its desired state`,
      environment: {
        ...settings.environment,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        GUARD_ROLE_ARN: this.role.roleArn,
        SWEEP_PERIOD_SECONDS: String(settings.sweepPeriodSeconds),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: guardBundling({
        securityHub:
          settings.guard.securityHub.annotateControlFindings ||
          settings.guard.securityHub.importTamperingFindings,
        eventBus: Boolean(settings.guard.eventBusName),
      }),
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      projectRoot: ROOT,
    });
    // The on-failure destination, granted by hand: SendMessage on this queue, and the key use the
    // guard already has (kms:GenerateDataKey, kms:Decrypt) instead of the CDK's broader grant.
    const queue = this.failureQueue;
    const onFailure: IDestination = { bind: () => ({ destination: queue.queueArn }) };
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'KeepFailedInvocations',
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
      }),
    );
    this.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure });
  }
}
