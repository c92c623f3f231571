/**
 * The organization sweep at fleet scale: 1,000 emulated member accounts (STS AssumeRole on the
 * emulator gives each account its own IAM), with a realistic per-call latency injected on the
 * wire by a loopback proxy: 60 ms per IAM call, 40 ms per STS call. Part of `npm run bench`;
 * `npm run bench:org` runs it alone and rewrites its section of docs/benchmarks.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { IamRoleStore } from '../functions/adapters/iam-role-store.js';
import { organizationPorts } from '../functions/adapters/member-access.js';
import { parseConfig } from '../functions/core/config.js';
import type { OrganizationResult } from '../functions/core/handle-org-event.js';
import { reconcile } from '../functions/core/reconcile.js';
import { createHandler } from '../functions/handler/create-handler.js';
import {
  createPerAccountPrincipal,
  emulatedAccountCredentials,
  emulatorSettings,
} from '../functions/local/emulated-accounts.js';
import { startEmulator } from '../functions/local/emulator.js';
import { topicWithInbox } from '../functions/local/inbox.js';
import { LATENCY_MS, latencyProxy } from './latency-proxy.js';

const ACCOUNTS = Number(process.env.SRG_BENCH_ACCOUNTS ?? 1000);
const CONCURRENCIES = [8, 16, 32];
const TIMEOUT_S = 300;
const SUPPORT_ACCESS = 'arn:aws:iam::aws:policy/AWSSupportAccess';

async function pool<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
    }),
  );
}

/** Measures the sweep and returns the lines for docs/benchmarks.md. */
export async function benchOrganizationSweep(endpoint: string): Promise<string[]> {
  // A loaded machine's emulator can take longer than the guard's 10 s request timeout to answer.
  const settings = {
    ...emulatorSettings(endpoint),
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000, throwOnRequestTimeout: true },
  };
  const sts = new STSClient(settings);
  const sns = new SNSClient(settings);
  const topic = await topicWithInbox(
    { sns, sqs: new SQSClient(settings), eventBridge: new EventBridgeClient(settings) },
    'bench-org-topic',
  );
  const env = {
    AWS_REGION: 'us-east-1',
    SUPPORT_ROLE_NAME: 'AWSSupportRole',
    TRUSTED_PRINCIPAL_ARNS:
      'arn:aws:iam::111122223333:role/CentralSupport,arn:${Partition}:iam::${AccountId}:role/OpsSupport',
    NOTIFY_TOPIC_ARN: topic.topicArn,
    MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
  };
  const ids = Array.from({ length: ACCOUNTS }, (_, i) => String(500_000_000_000 + i));
  const setupStarted = performance.now();
  const desired = parseConfig(env).desired;
  const { resolveDesired } = await import('../functions/core/placeholders.js');
  const memberIam = new Map<string, IAMClient>();
  await pool(ids, 8, async (id) => {
    const iam = new IAMClient({
      ...settings,
      credentials: await emulatedAccountCredentials(sts, id, 'bench'),
    });
    memberIam.set(id, iam);
    // The per-account principal the trust policy names must exist (IAM refuses it otherwise).
    await createPerAccountPrincipal(iam, id);
    // The role in its desired state in two calls (a reconcile would also read and verify, 1,000 times).
    const d = resolveDesired(desired, { account: id, partition: 'aws' });
    await iam.send(
      new CreateRoleCommand({
        RoleName: d.roleName,
        Path: d.path,
        Description: d.description,
        MaxSessionDuration: d.maxSessionDuration,
        AssumeRolePolicyDocument: JSON.stringify(d.trustPolicy),
        Tags: Object.entries(d.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    for (const PolicyArn of d.requiredPolicyArns)
      await iam.send(new AttachRolePolicyCommand({ RoleName: d.roleName, PolicyArn }));
  });
  // One account checked the guard's way: the setup left it in its desired state.
  const first = await reconcile({
    desired: resolveDesired(desired, { account: ids[0] ?? '', partition: 'aws' }),
    mode: 'detect',
    store: new IamRoleStore(memberIam.get(ids[0] ?? '') as IAMClient),
    partition: 'aws',
  });
  if (first.drift.length > 0) throw new Error(`bench setup left drift: ${JSON.stringify(first.drift)}`);
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  process.stderr.write(`  organization bench: ${ACCOUNTS} accounts set up in ${setupSeconds.toFixed(0)} s\n`);

  const proxy = await latencyProxy(endpoint);
  const logger = new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });
  const context = {
    functionName: 'bench',
    awsRequestId: 'bench',
    getRemainingTimeInMillis: () => 300_000,
  } as never;
  const rows: string[] = [];
  let summaryBytes = 0;
  try {
    for (const [index, concurrency] of CONCURRENCIES.entries()) {
      // Every tenth account drifted (AWSSupportAccess detached): the sweep repairs 100 of 1,000.
      for (const id of ids.filter((_, i) => i % 10 === index))
        await memberIam
          .get(id)
          ?.send(new DetachRolePolicyCommand({ RoleName: 'AWSSupportRole', PolicyArn: SUPPORT_ACCESS }));
      const handler = createHandler({
        config: parseConfig(
          { ...env, MEMBER_ACCOUNT_IDS: ids.join(','), SWEEP_CONCURRENCY: String(concurrency) },
          { requireTopic: true },
        ),
        clients: {
          iam: new IAMClient(settings),
          sns,
          eventBridge: new EventBridgeClient(settings),
          sts: new STSClient({ ...settings, endpoint: proxy.endpoint }),
        },
        logger,
        memberClientSettings: { endpoint: proxy.endpoint },
        organizationPorts,
      });
      proxy.reset();
      const started = performance.now();
      const result = (await handler(
        {
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          id: `bench-org-${concurrency}`,
          time: `bench-org-${concurrency}`,
          detail: {},
        },
        context,
      )) as OrganizationResult;
      const seconds = (performance.now() - started) / 1000;
      const calls = proxy.stats.byService;
      const repaired = (result.accounts ?? []).filter((a) => a.outcome === 'remediated').length;
      const failed = (result.accounts ?? []).filter((a) => a.outcome === 'failed').length;
      const [message] = await topic.notifications();
      summaryBytes = Math.max(summaryBytes, Buffer.byteLength(JSON.stringify(message?.document ?? {})));
      rows.push(
        `| ${concurrency}${concurrency === 8 ? ' (default)' : ''} | ${seconds.toFixed(1)} s | ${(TIMEOUT_S / seconds).toFixed(1)}x | ${repaired} remediated, ${failed} failed | ${(((calls.sts ?? 0) + (calls.iam ?? 0)) / ACCOUNTS).toFixed(2)} (STS ${((calls.sts ?? 0) / ACCOUNTS).toFixed(2)}, IAM ${((calls.iam ?? 0) / ACCOUNTS).toFixed(2)}) | ${proxy.stats.peak} |`,
      );
      process.stderr.write(`  organization sweep, concurrency ${concurrency}: ${seconds.toFixed(1)} s\n`);
    }
  } finally {
    await proxy.close();
  }
  return [
    '## Organization sweep at fleet scale',
    '',
    `Command: \`npm run bench:org\` (scripts/bench-org.ts; also part of \`npm run bench\`), ${new Date().toISOString()}. ${ACCOUNTS} emulated member accounts (STS AssumeRole on the emulator gives each its own IAM), set up in ${setupSeconds.toFixed(0)} s. Latency injected on the wire by a loopback proxy: **${LATENCY_MS.iam} ms per IAM call, ${LATENCY_MS.sts} ms per STS call** (why: IAM's control plane is served from us-east-1 and answers reads in tens of milliseconds from inside AWS, more under load; STS is regional and faster; both are round numbers on the slow side of what SDK traces show from Lambda, so the figures are not optimistic). Each sweep repairs 100 accounts (AWSSupportAccess detached) and finds 900 compliant; the trusted principals use \`\${AccountId}\`, resolved per account. One invocation, the central function's timeout is ${TIMEOUT_S} s.`,
    '',
    '| SWEEP_CONCURRENCY | Wall time | Timeout margin | Outcome | Calls per account | Peak concurrent requests |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `- Largest summary document (100 accounts listed): ${(summaryBytes / 1024).toFixed(1)} KiB (SNS allows 256 KiB for the whole message; a larger summary is cut to fit, failed accounts first, and logged in full: docs/reliability.md).`,
    '- A compliant account costs AssumeRole + the reads of the role; a repaired one adds the write and the read-back. Peak concurrent requests stay at the sweep concurrency (one call in flight per account being swept).',
    "- Not measured: the benchmark passes the 1,000 ids through `MEMBER_ACCOUNT_IDS`, which a deployed function cannot hold (about 13 KB, over Lambda's 4 KB for all environment variables; deployed, the sweep walks `targetOuIds`), so the Organizations calls of a deployed sweep (DescribeOrganization, ListAccountsForParent at 20 accounts a page, ListOrganizationalUnitsForParent) are left out; no account is unreachable or not enrolled, so ListStackInstances is never called; calls per account count STS and IAM only.",
    '',
  ];
}

const SECTION_START = '<!-- organization-sweep:start -->';
const SECTION_END = '<!-- organization-sweep:end -->';

/** Replaces (or appends) the organization section of docs/benchmarks.md. */
export function writeOrganizationSection(lines: readonly string[]) {
  const file = join(process.cwd(), 'docs', 'benchmarks.md');
  const doc = readFileSync(file, 'utf8');
  const section = `${SECTION_START}\n${lines.join('\n')}\n${SECTION_END}`;
  const start = doc.indexOf(SECTION_START);
  const end = doc.indexOf(SECTION_END);
  writeFileSync(
    file,
    start >= 0 && end > start
      ? `${doc.slice(0, start)}${section}${doc.slice(end + SECTION_END.length)}`
      : `${doc.trimEnd()}\n\n${section}\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const emulator = await startEmulator({ install: true });
  try {
    const lines = await benchOrganizationSweep(emulator.endpoint);
    writeOrganizationSection(lines);
    console.log(`${lines.join('\n')}\nwritten: docs/benchmarks.md`);
  } finally {
    await emulator.stop();
  }
}
