import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudFormationStacks } from '../../functions/adapters/cloudformation-stacks.js';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { guardClients, settings, testClients, topicWithInbox, uniqueName, WireLog } from '../support/aws.js';
import { ACCOUNT, guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { enabledMetrics } from '../support/emf.js';
import { fixture } from '../support/events.js';
import { lambdaContext } from '../support/lambda.js';

/**
 * Which CloudFormation stack holds the support role. CloudFormation never tags IAM roles with its
 * aws:cloudformation:* system tags, so the guard asks CloudFormation: DescribeStackResources with
 * the role name as PhysicalResourceId and no StackName. moto 5.2.1 implements DescribeStackResources
 * by StackName only (it ignores PhysicalResourceId), so this is a contract test on the SDK's
 * request at the wire: a stub that answers in CloudFormation's Query/XML format as the API
 * reference documents it, and records each request as the SDK sent it.
 */

const STACK_ID = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/security-baseline/0a1b2c3d`;
const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

type Answer =
  | { readonly kind: 'holds'; readonly status?: string; readonly type?: string }
  | { readonly kind: 'error'; readonly status: number; readonly code: string; readonly message: string };

const resourcesXml = (
  roleName: string,
  status: string,
  type: string,
) => `<DescribeStackResourcesResponse xmlns="${NS}">
  <DescribeStackResourcesResult>
    <StackResources>
      <member>
        <StackId>${STACK_ID}</StackId>
        <StackName>security-baseline</StackName>
        <LogicalResourceId>SupportRole</LogicalResourceId>
        <PhysicalResourceId>${roleName}</PhysicalResourceId>
        <ResourceType>${type}</ResourceType>
        <Timestamp>2026-11-27T00:00:00Z</Timestamp>
        <ResourceStatus>${status}</ResourceStatus>
      </member>
    </StackResources>
  </DescribeStackResourcesResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</DescribeStackResourcesResponse>`;

const errorXml = (code: string, message: string) =>
  `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`;

async function cloudFormationStub() {
  const requests: URLSearchParams[] = [];
  let answer: Answer = { kind: 'holds' };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      requests.push(form);
      const roleName = form.get('PhysicalResourceId') ?? '';
      if (answer.kind === 'error') {
        res.writeHead(answer.status, { 'content-type': 'text/xml' });
        return res.end(errorXml(answer.code, answer.message.replace('NAME', roleName)));
      }
      res.writeHead(200, { 'content-type': 'text/xml' });
      return res.end(
        resourcesXml(roleName, answer.status ?? 'CREATE_COMPLETE', answer.type ?? 'AWS::IAM::Role'),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    client: new CloudFormationClient({ ...settings(), endpoint, maxAttempts: 1 }),
    requests,
    answer: (next: Answer) => {
      answer = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let stub: Awaited<ReturnType<typeof cloudFormationStub>>;
beforeAll(async () => {
  stub = await cloudFormationStub();
});
afterAll(() => stub.close());

describe('CloudFormationStacks: contract test on the DescribeStackResources request at the wire', () => {
  it('asks by PhysicalResourceId = the role name, without StackName, and names the stack that holds it', async () => {
    // Prepare
    stub.requests.length = 0;
    stub.answer({ kind: 'holds' });

    // Act
    const found = await new CloudFormationStacks(stub.client).stackHolding('AWSSupportRole');

    // Assess
    expect(stub.requests).toHaveLength(1);
    expect(Object.fromEntries(stub.requests[0] ?? [])).toEqual({
      Action: 'DescribeStackResources',
      Version: '2010-05-15',
      PhysicalResourceId: 'AWSSupportRole',
    });
    expect(found).toEqual({ stackName: 'security-baseline', stackId: STACK_ID, logicalId: 'SupportRole' });
  });

  it('no stack holds the role ("Stack for … does not exist"), or only a deleted one, or another type: none', async () => {
    const stacks = new CloudFormationStacks(stub.client);
    stub.answer({
      kind: 'error',
      status: 400,
      code: 'ValidationError',
      message: 'Stack for NAME does not exist',
    });
    expect(await stacks.stackHolding('AWSSupportRole')).toBeUndefined();
    stub.answer({ kind: 'holds', status: 'DELETE_COMPLETE' });
    expect(await stacks.stackHolding('AWSSupportRole')).toBeUndefined();
    stub.answer({ kind: 'holds', type: 'AWS::IAM::InstanceProfile' });
    expect(await stacks.stackHolding('AWSSupportRole')).toBeUndefined();
  });

  it('a refusal is an error, not "no stack" (the caller says it could not tell)', async () => {
    stub.answer({ kind: 'error', status: 403, code: 'AccessDenied', message: 'not authorized' });
    await expect(new CloudFormationStacks(stub.client).stackHolding('AWSSupportRole')).rejects.toThrow(
      /not authorized/,
    );
  });
});

const silent = () => new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });

async function setUp() {
  const aws = testClients();
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('guard-topic'));
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: roleName,
      NOTIFY_TOPIC_ARN: topic.topicArn,
      GUARD_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/SupportRoleGuardFunctionRole`,
    }),
    { requireTopic: true },
  );
  const created = await reconcile({
    desired: config.desired,
    mode: 'enforce',
    store: new IamRoleStore(aws.iam),
    partition: 'aws',
  });
  if (created.error) throw created.error;
  const handler = createHandler({
    config,
    clients: { ...guardClients(new WireLog()), cloudformation: stub.client },
    logger: silent(),
    metrics: enabledMetrics(),
  });
  return {
    roleName,
    topic,
    invoke: (event: unknown) => handler(event, lambdaContext()),
    detach: async () => {
      await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
      return fixture('detach-role-policy', { roleName, requestParameters: { policyArn: SUPPORT_ACCESS } });
    },
  };
}

describe('the guard names the stack that holds the role (emulator for IAM and SNS, the stub for CloudFormation)', () => {
  it('a repair: the message says CloudFormation manages the role and that the desired state disagrees', async () => {
    // Prepare
    const guard = await setUp();
    stub.requests.length = 0;
    stub.answer({ kind: 'holds' });

    // Act
    const result = await guard.invoke(await guard.detach());

    // Assess
    expect(result.outcome).toBe('remediated');
    expect(stub.requests.map((r) => r.get('PhysicalResourceId'))).toEqual([guard.roleName]);
    const [message] = await guard.topic.notifications();
    expect(message?.document).toMatchObject({
      managedBy: {
        tool: 'CloudFormation',
        evidence: 'stack security-baseline, resource SupportRole',
        desiredStateDisagrees: true,
      },
    });
  });

  it('a compliant sweep asks CloudFormation nothing; a failed lookup leaves the message without it', async () => {
    // Prepare
    const guard = await setUp();
    stub.requests.length = 0;
    stub.answer({ kind: 'error', status: 403, code: 'AccessDenied', message: 'not authorized' });

    // Act
    const sweep = await guard.invoke(fixture('scheduled-sweep'));
    const asked = stub.requests.length;
    const repaired = await guard.invoke(await guard.detach());

    // Assess
    expect(sweep.outcome).toBe('compliant');
    expect(asked).toBe(0);
    expect(repaired.outcome).toBe('remediated');
    const [message] = await guard.topic.notifications();
    expect(message?.document.outcome).toBe('remediated');
    expect(message?.document).not.toHaveProperty('managedBy');
  });
});
