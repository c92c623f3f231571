import { createHash } from 'node:crypto';
import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { SCHEDULED_DETAIL_TYPE } from '../../functions/core/event-pattern.js';

export interface InitialReconcileProps {
  readonly function: IFunction;
  /** Anything whose change should trigger a new reconcile (the guard's configuration). */
  readonly configuration: Readonly<Record<string, string>>;
}

/**
 * Makes the account compliant at deploy time: on create and on every configuration change, the
 * stack invokes the guard with a sweep event, so the support role is created or repaired before
 * `cdk deploy` returns. On stack deletion nothing happens: the support role is kept (it is not a
 * CloudFormation resource, so removing the guard never removes the control it guarded).
 */
export class InitialReconcile extends Construct {
  readonly resource: AwsCustomResource;

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
      time: '1970-01-01T00:00:00Z',
      region: stack.region,
      resources: [],
      detail: {},
    };
    const call = {
      service: 'Lambda',
      action: 'invoke',
      parameters: {
        FunctionName: props.function.functionName,
        InvocationType: 'RequestResponse',
        Payload: stack.toJsonString(sweep),
      },
      physicalResourceId: PhysicalResourceId.of(`support-role-guard-initial-reconcile-${hash}`),
    };
    this.resource = new AwsCustomResource(this, 'Invoke', {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.function.functionArn] }),
      ]),
    });
    // The CDK's provider function behind AwsCustomResource (one per stack) runs only while
    // CloudFormation deploys; its findings are the CDK's, acknowledged here on it alone.
    const provider = stack.node.tryFindChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider) {
      const acknowledgments = [
        [
          'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          'the CDK-managed AwsCustomResource provider only writes its own logs; it runs during deployments only',
        ],
        [
          'Serverless::Serverless-LambdaDLQ',
          'invoked synchronously by CloudFormation, which reports a failure itself; there is no asynchronous event to keep',
        ],
        [
          'Serverless::Serverless-LambdaDefaultMemorySize',
          'CDK-managed provider function; its memory is set by the CDK and it runs only during deployments',
        ],
        [
          'Serverless::Serverless-LambdaTracing',
          'CDK-managed provider function that only calls lambda:InvokeFunction during deployments; nothing to trace',
        ],
      ] as const;
      for (const [id, reason] of acknowledgments) Validations.of(provider).acknowledge({ id, reason });
    }
  }
}
