import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  type IFunction,
  Function as LambdaFunction,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { transformSync } from 'esbuild';
import type { GuardMode } from '../../functions/core/config.js';
import { SCHEDULED_DETAIL_TYPE } from '../../functions/core/event-pattern.js';

/** CloudFormation's limit on inline Lambda code (ZipFile). */
const INLINE_CODE_LIMIT = 4096;
/** The provider waits this much longer than the guard may run, so the guard's own timeout is reported. */
const PROVIDER_MARGIN = Duration.seconds(30);
/** CloudFormation waits this much longer than the provider may run before it gives up on an answer. */
const SERVICE_MARGIN = Duration.seconds(60);

export interface InitialReconcileProps {
  readonly function: IFunction;
  /** The guard function's timeout: the provider waits longer than that. */
  readonly functionTimeout: Duration;
  readonly mode: GuardMode;
  /**
   * Organization mode: the deployment passes a completed sweep unless more than this share of the
   * accounts failed (one broken member account must not block every central deployment).
   */
  readonly maxFailedPercent?: number;
  /** Anything whose change should trigger a new reconcile (the guard's configuration). */
  readonly configuration: Readonly<Record<string, string>>;
}

/** The provider's code, minified to fit CloudFormation's inline limit (checked at synth). */
export function providerCode(): string {
  const source = readFileSync(new URL('../deploy-reconcile/provider.cjs', import.meta.url), 'utf8');
  const { code } = transformSync(source, { loader: 'js', format: 'cjs', minify: true, target: 'node20' });
  if (code.length > INLINE_CODE_LIMIT)
    throw new Error(
      `the deploy-time reconcile provider is ${code.length} bytes minified, over the ${INLINE_CODE_LIMIT}-byte inline limit`,
    );
  return code;
}

/**
 * Makes the account compliant at deploy time, and fails the deployment when it cannot: on create
 * and on every configuration change, a custom resource invokes the guard synchronously with a
 * sweep (infra/deploy-reconcile/provider.cjs) and answers CloudFormation from the outcome, with
 * the guard's reason when it failed. Each deployment's sweep has its own id and time, so the
 * guard's idempotency never hands back an earlier deployment's result. On stack deletion nothing
 * happens: the support role is kept (it is not a CloudFormation resource).
 */
export class InitialReconcile extends Construct {
  readonly resource: CustomResource;
  readonly provider: LambdaFunction;

  constructor(scope: Construct, id: string, props: InitialReconcileProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const hash = createHash('sha256').update(JSON.stringify(props.configuration)).digest('hex').slice(0, 16);
    const sweep = {
      version: '0',
      id: `deploy-${hash}`,
      'detail-type': SCHEDULED_DETAIL_TYPE,
      source: 'aws.events',
      account: stack.account,
      time: '', // set by the provider to the time of the deployment
      region: stack.region,
      resources: [],
      detail: { configuration: hash },
    };
    const role = new Role(this, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'support-role-guard: the deploy-time reconcile provider; may only invoke the guard',
    });
    role.addToPolicy(
      new PolicyStatement({
        sid: 'InvokeTheGuard',
        actions: ['lambda:InvokeFunction'],
        resources: [props.function.functionArn],
      }),
    );
    const logGroup = new LogGroup(this, 'ProviderLogs', {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    const timeout = props.functionTimeout.plus(PROVIDER_MARGIN);
    this.provider = new LambdaFunction(this, 'Provider', {
      description:
        'support-role-guard: deploy-time reconcile (invokes the guard; fails the deployment when it fails)',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: Code.fromInline(providerCode()),
      memorySize: 256,
      timeout,
      role,
      logGroup,
    });
    this.resource = new CustomResource(this, 'Reconcile', {
      serviceToken: this.provider.functionArn,
      resourceType: 'Custom::SupportRoleReconcile',
      serviceTimeout: timeout.plus(SERVICE_MARGIN),
      properties: {
        FunctionName: props.function.functionName,
        Mode: props.mode,
        ConfigurationHash: hash,
        Event: stack.toJsonString(sweep),
        ...(props.maxFailedPercent === undefined ? {} : { MaxFailedPercent: String(props.maxFailedPercent) }),
      },
    });
    const acknowledgments = [
      [
        'Serverless::Serverless-LambdaDLQ',
        'invoked synchronously by CloudFormation, which reports a failure itself; there is no asynchronous event to keep',
      ],
      [
        'Serverless::Serverless-LambdaTracing',
        'runs only during deployments and makes one lambda:InvokeFunction call; its log names the outcome',
      ],
    ] as const;
    for (const [ruleId, reason] of acknowledgments)
      Validations.of(this.provider).acknowledge({ id: ruleId, reason });
  }
}
