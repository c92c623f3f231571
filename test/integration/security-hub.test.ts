import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { DetachRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  EnableSecurityHubCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { guardClients, settings, testClients, topicWithInbox, uniqueName, WireLog } from '../support/aws.js';
import { ACCOUNT, guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { captureEmf, enabledMetrics } from '../support/emf.js';
import { fixture } from '../support/events.js';
import { lambdaContext } from '../support/lambda.js';

/**
 * Security Hub on the emulator where it implements the API, on the wire where it does not.
 * moto 5.2.1 implements EnableSecurityHub, GetFindings (ignoring Filters) and BatchImportFindings
 * (an update by Id), but not BatchUpdateFindings: the annotation of IAM.18 findings is therefore
 * proven by a contract test on the SDK's request at the wire (a stub that answers like Security
 * Hub and records what it was sent), and on the emulator by what happens when it fails.
 */

const silent = () => new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });
const GUARD_ROLE = `arn:aws:iam::${ACCOUNT}:role/SupportRoleGuardFunctionRole`;
const AWS_PRODUCT = 'arn:aws:securityhub:us-east-1::product/aws/securityhub';

let aws: ReturnType<typeof testClients>;
let hub: SecurityHubClient;
beforeAll(async () => {
  aws = testClients();
  hub = new SecurityHubClient(settings());
  await hub.send(new EnableSecurityHubCommand({ EnableDefaultStandards: false }));
});

/** An IAM.18 control finding as Security Hub itself writes it (consolidated control findings). */
function controlFinding(id: string, overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
  return {
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: AWS_PRODUCT,
    GeneratorId: 'security-control/IAM.18',
    AwsAccountId: ACCOUNT,
    Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    CreatedAt: '2026-11-27T00:00:00.000Z',
    UpdatedAt: '2026-11-27T00:00:00.000Z',
    Severity: { Label: 'LOW' },
    Title: 'Ensure a support role has been created to manage incidents with AWS Support',
    Description: 'IAM.18',
    Resources: [{ Type: 'AwsAccount', Id: `AWS::::Account:${ACCOUNT}` }],
    Compliance: { Status: 'FAILED', SecurityControlId: 'IAM.18' },
    Workflow: { Status: 'NEW' },
    RecordState: 'ACTIVE',
    ...overrides,
  };
}

/** The guarded role in desired state, its topic and inbox, and the handler with Security Hub on. */
async function setUp(env: Record<string, string>, securityHub: SecurityHubClient = hub, iam?: IAMClient) {
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('guard-topic'));
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: roleName,
      NOTIFY_TOPIC_ARN: topic.topicArn,
      GUARD_ROLE_ARN: GUARD_ROLE,
      ...env,
    }),
    { requireTopic: true },
  );
  const store = new IamRoleStore(aws.iam);
  const created = await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
  if (created.error) throw created.error;
  const metrics = enabledMetrics();
  const handler = createHandler({
    config,
    clients: { ...guardClients(new WireLog()), securityHub, ...(iam ? { iam } : {}) },
    logger: silent(),
    metrics,
  });
  const detach = (eventId: string) =>
    fixture('detach-role-policy', { roleName, eventId, requestParameters: { policyArn: SUPPORT_ACCESS } });
  const invoke = (event: unknown) => handler(event, lambdaContext());
  const attached = async () =>
    (
      (await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? []
    ).map((p) => p.PolicyArn);
  /** The act itself (the event that reports it is given to the handler separately). */
  const tamper = () =>
    aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
  return { roleName, topic, invoke, detach, attached, tamper, config };
}

const ourFindings = async (prefix: string): Promise<AwsSecurityFinding[]> =>
  ((await hub.send(new GetFindingsCommand({ MaxResults: 100 }))).Findings ?? []).filter((f) =>
    f.Id?.startsWith(prefix),
  );

async function allFindings(): Promise<AwsSecurityFinding[]> {
  const found: AwsSecurityFinding[] = [];
  let NextToken: string | undefined;
  do {
    const out = await hub.send(
      new GetFindingsCommand({ MaxResults: 100, ...(NextToken ? { NextToken } : {}) }),
    );
    found.push(...(out.Findings ?? []));
    NextToken = out.NextToken || undefined;
  } while (NextToken);
  return found;
}

describe('Security Hub: one imported finding per tampering act (emulator)', () => {
  it('imports who did what from where, and a retried event updates its finding instead of adding one', async () => {
    // Prepare
    const guard = await setUp({ SECURITY_HUB_IMPORT_FINDINGS: 'true' });
    const first = `sh-${uniqueName('evt')}`;
    const second = `sh-${uniqueName('evt')}`;

    // Act: the same act delivered twice (a retry), then a second act.
    await guard.invoke(guard.detach(first));
    await guard.tamper();
    await guard.invoke(guard.detach(first));
    await guard.tamper();
    await guard.invoke(guard.detach(second));

    // Assess
    const findings = (await allFindings()).filter((f) => f.Id?.endsWith(first) || f.Id?.endsWith(second));
    expect(findings.map((f) => f.Id).sort()).toEqual(
      [`support-role-guard/tampering/${first}`, `support-role-guard/tampering/${second}`].sort(),
    );
    const finding = findings.find((f) => f.Id?.endsWith(first));
    expect(finding).toMatchObject({
      SchemaVersion: '2018-10-08',
      ProductArn: `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`,
      GeneratorId: 'support-role-guard/tampering',
      AwsAccountId: ACCOUNT,
      Types: [
        'TTPs/Defense Evasion',
        'Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark',
      ],
      FirstObservedAt: '2026-11-27T20:11:31Z',
      Resources: [
        { Type: 'AwsIamRole', Id: `arn:aws:iam::${ACCOUNT}:role/${guard.roleName}` },
        { Type: 'Other', Id: 'arn:aws:sts::123456789012:assumed-role/AdminRole/alice@example.com' },
      ],
      Action: {
        ActionType: 'AWS_API_CALL',
        AwsApiCallAction: {
          Api: 'DetachRolePolicy',
          CallerType: 'remoteip',
          RemoteIpDetails: { IpAddressV4: '203.0.113.24' },
        },
      },
      ProductFields: expect.objectContaining({
        'support-role-guard/eventId': first,
        'support-role-guard/outcome': 'remediated',
      }),
      RecordState: 'ACTIVE',
    });
    expect(finding?.Description).toContain('The guard restored the role and verified it.');
    expect(await guard.attached()).toEqual([SUPPORT_ACCESS]);
  });

  it('imports nothing when switched off (the default), and nothing for a compliant sweep', async () => {
    // Prepare
    const off = await setUp({});
    const on = await setUp({ SECURITY_HUB_IMPORT_FINDINGS: 'true' });
    const offId = `sh-${uniqueName('off')}`;
    const sweepId = `sh-${uniqueName('sweep')}`;

    // Act
    await off.invoke(off.detach(offId));
    const sweep = fixture('scheduled-sweep');
    sweep.id = sweepId;
    const result = await on.invoke(sweep);

    // Assess
    expect(result.outcome).toBe('compliant');
    expect(await ourFindings(`support-role-guard/tampering/${offId}`)).toEqual([]);
    expect((await allFindings()).filter((f) => f.Id?.includes(sweepId))).toEqual([]);
  });
});

describe('Security Hub failures never stop the repair or the message (emulator)', () => {
  it('BatchUpdateFindings is not implemented by the emulator: logged and metered, the role repaired, on-call told', async () => {
    // Prepare: an open IAM.18 finding for the guard to annotate.
    const guard = await setUp({ SECURITY_HUB_ANNOTATE: 'true', SECURITY_HUB_IMPORT_FINDINGS: 'true' });
    await hub.send(new BatchImportFindingsCommand({ Findings: [controlFinding(uniqueName('iam18'))] }));
    await guard.tamper();
    const eventId = `sh-${uniqueName('fail')}`;

    // Act
    let result: Awaited<ReturnType<typeof guard.invoke>> | undefined;
    const emf = await captureEmf(async () => {
      result = await guard.invoke(guard.detach(eventId));
    });

    // Assess
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect(await guard.attached()).toEqual([SUPPORT_ACCESS]);
    const [message] = await guard.topic.notifications();
    expect(message?.document).toMatchObject({ outcome: 'remediated', trigger: { eventId } });
    expect(emf[0]).toMatchObject({ Remediated: 1, SecurityHubFailed: 1, SecurityHubFindingsImported: 1 });
  });

  it('an unreachable Security Hub is logged and metered, and changes nothing else', async () => {
    // Prepare: a client pointed at a closed port.
    const dead = new SecurityHubClient({ ...settings(), endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const guard = await setUp({ SECURITY_HUB_ANNOTATE: 'true', SECURITY_HUB_IMPORT_FINDINGS: 'true' }, dead);
    await guard.tamper();

    // Act
    let result: Awaited<ReturnType<typeof guard.invoke>> | undefined;
    const emf = await captureEmf(async () => {
      result = await guard.invoke(guard.detach(`sh-${uniqueName('dead')}`));
    });

    // Assess
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect(await guard.topic.notifications()).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Remediated: 1, SecurityHubFailed: 2 });
  });
});

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/**
 * A stub that answers like Security Hub for GetFindings (the given findings), BatchUpdateFindings
 * and BatchImportFindings (all processed), and records each request as the SDK sent it.
 */
async function securityHubStub(findings: AwsSecurityFinding[]) {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/findings') return res.end(JSON.stringify({ Findings: findings }));
      if (req.url === '/findings/batchupdate') {
        const ids = body.FindingIdentifiers as unknown[];
        return res.end(JSON.stringify({ ProcessedFindings: ids, UnprocessedFindings: [] }));
      }
      return res.end(JSON.stringify({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    client: new SecurityHubClient({ ...settings(), endpoint }),
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Security Hub annotations: contract test on the SDK request at the wire (BatchUpdateFindings is not in the emulator)', () => {
  const open = controlFinding(
    'arn:aws:securityhub:us-east-1:123456789012:security-control/IAM.18/finding/open',
  );
  const findings = [
    open,
    controlFinding('suppressed', { Workflow: { Status: 'SUPPRESSED' } }),
    controlFinding('passed', { Compliance: { Status: 'PASSED', SecurityControlId: 'IAM.18' } }),
    controlFinding('other-control', { Compliance: { Status: 'FAILED', SecurityControlId: 'IAM.1' } }),
    controlFinding('archived', { RecordState: 'ARCHIVED' }),
    controlFinding('other-account', { AwsAccountId: '999988887777' }),
    controlFinding('other-product', {
      ProductArn: `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`,
    }),
  ];
  let stub: Awaited<ReturnType<typeof securityHubStub>>;
  beforeAll(async () => {
    stub = await securityHubStub(findings);
  });
  afterAll(() => stub.close());

  it('after a verified repair: GetFindings filtered on IAM.18 / FAILED / ACTIVE, then NOTIFIED (Security Hub resolves it itself) with a note of at most 512 characters', async () => {
    // Prepare
    stub.requests.length = 0;
    const guard = await setUp({ SECURITY_HUB_ANNOTATE: 'true' }, stub.client);
    await guard.tamper();
    const eventId = `sh-${uniqueName('resolved')}`;

    // Act
    await guard.invoke(guard.detach(eventId));

    // Assess
    const [get, update, ...rest] = stub.requests;
    expect(rest).toEqual([]);
    expect(get).toMatchObject({
      method: 'POST',
      path: '/findings',
      body: {
        Filters: {
          AwsAccountId: [{ Value: ACCOUNT, Comparison: 'EQUALS' }],
          ProductArn: [{ Value: AWS_PRODUCT, Comparison: 'EQUALS' }],
          ComplianceSecurityControlId: [{ Value: 'IAM.18', Comparison: 'EQUALS' }],
          ComplianceStatus: [{ Value: 'FAILED', Comparison: 'EQUALS' }],
          RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
          WorkflowStatus: [{ Value: 'SUPPRESSED', Comparison: 'NOT_EQUALS' }],
        },
      },
    });
    expect(update?.method).toBe('PATCH');
    expect(update?.path).toBe('/findings/batchupdate');
    expect(update?.body).toEqual({
      FindingIdentifiers: [{ Id: open.Id, ProductArn: AWS_PRODUCT }],
      Note: { Text: expect.any(String), UpdatedBy: 'support-role-guard' },
      Workflow: { Status: 'NOTIFIED' },
    });
    const note = (update?.body.Note as { Text: string } | undefined)?.Text ?? '';
    expect(note.length).toBeLessThanOrEqual(512);
    expect(note).toContain(`restored ${guard.roleName} in ${ACCOUNT} and verified it`);
    expect(note).toContain('Security Hub resolves this finding when IAM.18 next passes');
    expect(note).toContain(`CloudTrail event ${eventId}`);
    expect(note).toContain(`attach ${SUPPORT_ACCESS}`);
  });

  it('in detect mode: NOTIFIED, the note says nothing was changed', async () => {
    // Prepare
    stub.requests.length = 0;
    const guard = await setUp({ SECURITY_HUB_ANNOTATE: 'true', GUARD_MODE: 'detect' }, stub.client);
    await guard.tamper();

    // Act
    const result = await guard.invoke(guard.detach(`sh-${uniqueName('detect')}`));

    // Assess
    expect(result.outcome).toBe('drift-detected');
    const update = stub.requests.find((r) => r.path === '/findings/batchupdate');
    expect(update?.body.Workflow).toEqual({ Status: 'NOTIFIED' });
    expect((update?.body.Note as { Text: string } | undefined)?.Text).toContain(
      'detect mode, nothing changed',
    );
  });

  it("annotates the findings of the guard's own account, never of the account an event names", async () => {
    // Prepare: IAM cannot be reached (the role's ARN is unknown) and the event names another account.
    stub.requests.length = 0;
    const deadIam = new IAMClient({ ...settings(), endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const guard = await setUp({ SECURITY_HUB_ANNOTATE: 'true' }, stub.client, deadIam);
    const event = guard.detach(`sh-${uniqueName('foreign')}`);
    event.account = '999988887777';
    event.detail.recipientAccountId = '999988887777';

    // Act
    const result = await guard.invoke(event).catch((error: unknown) => error);

    // Assess
    expect(result).toBeInstanceOf(Error);
    const get = stub.requests.find((r) => r.path === '/findings');
    expect(get?.body.Filters).toMatchObject({ AwsAccountId: [{ Value: ACCOUNT, Comparison: 'EQUALS' }] });
    const update = stub.requests.find((r) => r.path === '/findings/batchupdate');
    expect(update?.body.FindingIdentifiers).toEqual([{ Id: open.Id, ProductArn: AWS_PRODUCT }]);
    expect(update?.body.Workflow).toEqual({ Status: 'NOTIFIED' });
  });

  it('a compliant sweep touches no finding', async () => {
    // Prepare
    stub.requests.length = 0;
    const guard = await setUp(
      { SECURITY_HUB_ANNOTATE: 'true', SECURITY_HUB_IMPORT_FINDINGS: 'true' },
      stub.client,
    );

    // Act
    const result = await guard.invoke(fixture('scheduled-sweep'));

    // Assess
    expect(result.outcome).toBe('compliant');
    expect(stub.requests).toEqual([]);
  });
});
