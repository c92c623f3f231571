import { Logger } from '@aws-lambda-powertools/logger';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler, type GuardHandler } from '../../functions/handler/create-handler.js';
import { type Invocation, handler as provider } from '../../infra/deploy-reconcile/provider.cjs';
import {
  guardClients,
  idempotencyTable,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { resolve } from '../support/cfn-resolve.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { lambdaContext } from '../support/lambda.js';
import { synthGuard } from '../support/stack.js';

/**
 * The deploy-time reconcile end to end: the custom resource's properties from the SYNTHESIZED
 * template, the provider's real code, the guard's real handler against the emulator (IAM, SNS, the
 * idempotency table). Only Lambda's synchronous invoke is a shim, with Lambda's documented
 * contract: a thrown error comes back as FunctionError "Unhandled" and {errorType, errorMessage}.
 */
const silent = () => new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });

function lambdaInvoke(handler: GuardHandler) {
  return async (params: { Payload: string }): Promise<Invocation> => {
    try {
      const result = await handler(JSON.parse(params.Payload), lambdaContext());
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) };
    } catch (error) {
      const e = error as Error;
      return {
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: new TextEncoder().encode(JSON.stringify({ errorType: e.name, errorMessage: e.message })),
      };
    }
  };
}

/** The deploy-time reconcile resource's properties in the template synthesized from `context`. */
function reconcileProperties(context: Record<string, string>): Record<string, unknown> {
  const template = synthGuard(context).template.toJSON();
  const found = Object.values(
    template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
  ).filter((r) => r.Type === 'Custom::SupportRoleReconcile');
  expect(found).toHaveLength(1);
  return resolve(found[0]?.Properties, template) as Record<string, unknown>;
}

async function deploy(properties: Record<string, unknown>, handler: GuardHandler, requestId: string) {
  let answer: Record<string, unknown> = {};
  await provider(
    {
      RequestType: 'Update',
      RequestId: requestId,
      ResponseURL: 'https://example.invalid/response',
      StackId: 'stack',
      LogicalResourceId: 'InitialReconcile',
      ResourceProperties: properties,
    },
    {},
    {
      invoke: lambdaInvoke(handler),
      respond: async (_url, body) => {
        answer = JSON.parse(body);
      },
    },
  );
  return answer;
}

describe('deploy-time reconcile (provider → guard → emulator)', () => {
  it('every deployment reconciles: configuration A, then B, then A again within 48 h', async () => {
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const table = uniqueName('idempotency');
    const dynamodb = await idempotencyTable(table);
    const topic = await topicWithInbox(aws, uniqueName('deploy-topic'));
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        IDEMPOTENCY_TABLE_NAME: table,
      }),
      { requireTopic: true },
    );
    await reconcile({
      desired: config.desired,
      mode: 'enforce',
      store: new IamRoleStore(aws.iam),
      partition: 'aws',
    });
    const handler = createHandler({
      config,
      clients: { ...guardClients(new WireLog()), dynamodb },
      logger: silent(),
    });
    const a = reconcileProperties({ supportRoleTags: 'managed-by=support-role-guard' });
    const b = reconcileProperties({ supportRoleTags: 'managed-by=support-role-guard,team=ops' });
    expect(b.ConfigurationHash).not.toBe(a.ConfigurationHash);

    const answers = [];
    for (const [properties, requestId] of [
      [a, 'req-1'],
      [b, 'req-2'],
      [a, 'req-3'],
    ] as const) {
      // Drift before each deployment: only a reconcile that really runs repairs it.
      await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
      answers.push(await deploy(properties, handler, requestId));
    }

    expect(answers.map((r) => [r.Status, (r.Data as { Outcome?: string }).Outcome])).toEqual([
      ['SUCCESS', 'remediated'],
      ['SUCCESS', 'remediated'],
      ['SUCCESS', 'remediated'],
    ]);
    expect((await topic.notifications()).map((n) => n.document.outcome)).toEqual([
      'remediated',
      'remediated',
      'remediated',
    ]);
  });

  it("a reconcile that fails fails the deployment, with the guard's reason", async () => {
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('deploy-topic'));
    const missing = `arn:aws:iam::aws:policy/${uniqueName('missing')}`; // AWS managed: nothing to pin
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${missing}`,
      }),
      { requireTopic: true },
    );
    const handler = createHandler({ config, clients: guardClients(new WireLog()), logger: silent() });

    const answer = await deploy(reconcileProperties({}), handler, 'req-fail');

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(
      /^the guard could not reconcile the support role at deploy time \(Unhandled\): GuardFailure: /,
    );
    expect(answer.Reason).toContain(missing);
    expect((await topic.notifications()).map((n) => n.document.outcome)).toEqual(['failed']);
  });
});
