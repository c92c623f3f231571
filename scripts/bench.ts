/**
 * `npm run bench`: the guard's cost and speed on the embedded emulator, next to a baseline that
 * remediates the way AWS's ASR `ASR-CreateIAMSupportRole` does, in the same run. Prints a table
 * and writes docs/benchmarks.md. Not part of `npm test` (timings are this machine's, not facts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deflateRawSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { App } from 'aws-cdk-lib';
import { IamRoleStore } from '../functions/adapters/iam-role-store.js';
import { organizationPorts } from '../functions/adapters/member-access.js';
import { parseConfig } from '../functions/core/config.js';
import { detectDrift } from '../functions/core/drift.js';
import { reconcile } from '../functions/core/reconcile.js';
import { createHandler } from '../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent, DRILL_ACCOUNT, GUARD_ROLE_ARN } from '../functions/local/cloudtrail.js';
import { type DrillScenario, ROLE, SCENARIOS, SUPPORT_ACCESS } from '../functions/local/drill-scenarios.js';
import { emulatedAccountCredentials, emulatorSettings } from '../functions/local/emulated-accounts.js';
import { startEmulator } from '../functions/local/emulator.js';
import { topicWithInbox } from '../functions/local/inbox.js';
import { recordIamCalls, WireLog } from '../functions/local/wire-log.js';
import { buildApp } from '../infra/build-app.js';
import { benchOrganizationSweep, writeOrganizationSection } from './bench-org.js';

// EMF metrics would go to stdout for every invocation; the benchmark counts on the wire instead.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const RUNS = 50;
const COLD_RUNS = 20;
const ROLE_NAME = 'AWSSupportRole';
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};
const ms = (x: number) => x.toFixed(1);

async function main() {
  const emulator = await startEmulator({ install: true });
  try {
    const settings = emulatorSettings(emulator.endpoint);
    const iam = new IAMClient(settings);
    const sns = new SNSClient(settings);
    const sqs = new SQSClient(settings);
    const eventBridge = new EventBridgeClient(settings);
    const topic = await topicWithInbox({ sns, sqs, eventBridge }, 'bench-topic');
    const env = {
      AWS_REGION: 'us-east-1',
      SUPPORT_ROLE_NAME: ROLE_NAME,
      TRUSTED_PRINCIPAL_ARNS: `arn:aws:iam::${DRILL_ACCOUNT}:role/OpsSupport`,
      NOTIFY_TOPIC_ARN: topic.topicArn,
      GUARD_ROLE_ARN,
    };
    const config = parseConfig(env, { requireTopic: true });
    const store = new IamRoleStore(iam);
    const wire = new WireLog();
    const logger = new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });
    const handler = createHandler({
      config,
      clients: { iam: recordIamCalls(new IAMClient(settings), wire), sns, eventBridge },
      logger,
    });
    const baselineWire = new WireLog();
    const baselineIam = recordIamCalls(new IAMClient(settings), baselineWire);
    const baselineSts = recordIamCalls(
      new STSClient(settings) as unknown as IAMClient,
      baselineWire,
    ) as unknown as STSClient;
    const context = {
      functionName: 'bench',
      awsRequestId: 'bench',
      getRemainingTimeInMillis: () => 60_000,
    } as never;

    /** ASR's remediation: two GetCallerIdentity, GetRole, CreateRole only when missing (trust = account root), AttachRolePolicy always. */
    const baseline = async () => {
      await baselineSts.send(new GetCallerIdentityCommand({}));
      const { Account } = await baselineSts.send(new GetCallerIdentityCommand({}));
      try {
        await baselineIam.send(new GetRoleCommand({ RoleName: ROLE_NAME }));
      } catch {
        const trust = {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${Account}:root` }, Action: 'sts:AssumeRole' },
          ],
        };
        await baselineIam.send(
          new CreateRoleCommand({ RoleName: ROLE_NAME, AssumeRolePolicyDocument: JSON.stringify(trust) }),
        );
      }
      await baselineIam.send(new AttachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: SUPPORT_ACCESS }));
    };

    const sdk = (await import('@aws-sdk/client-iam')) as unknown as Record<string, new (i: unknown) => never>;
    const tamper = async (scenario: DrillScenario | undefined) => {
      await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
      if (!scenario) return fixtureSweep();
      let first: Record<string, unknown> | undefined;
      for (const step of scenario.steps) {
        const input = Object.fromEntries(
          Object.entries(step.input).map(([k, v]) => [k, v === ROLE ? ROLE_NAME : v]),
        );
        const Command = sdk[`${step.api}Command`];
        if (Command) await iam.send(new Command(input));
        first ??= cloudTrailEvent({ eventName: step.api, input, actor: step.actor });
      }
      return first as Record<string, unknown>;
    };
    const fixtureSweep = () => ({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      id: `sweep-${Math.random()}`,
      time: new Date().toISOString(),
      detail: {},
    });

    const cases: (DrillScenario | undefined)[] = [
      undefined,
      ...SCENARIOS.filter((s) => !s.mode && s.expect.delivered.every(Boolean)),
    ];
    const rows: string[][] = [];
    const figures: Record<
      string,
      {
        reads: number;
        writes: number;
        p50: number;
        p95: number;
        baseReads: number;
        baseWrites: number;
        baseP50: number;
        guardOk: boolean;
        baseOk: boolean;
        drifted: number;
      }
    > = {};
    for (const scenario of cases) {
      const name = scenario?.title ?? 'compliant role (sweep)';
      const times: number[] = [];
      const baseTimes: number[] = [];
      let reads = 0,
        writes = 0,
        baseReads = 0,
        baseWrites = 0,
        drifted = 0;
      let guardOk = true,
        baseOk = true;
      for (let i = 0; i < RUNS; i++) {
        const event = await tamper(scenario);
        drifted = detectDrift(config.desired, await store.read(ROLE_NAME)).length;
        wire.clear();
        const t0 = performance.now();
        await handler(event, context);
        times.push(performance.now() - t0);
        if (i === 0) ({ reads, writes } = { reads: wire.reads.length, writes: wire.writes.length });
        guardOk &&= detectDrift(config.desired, await store.read(ROLE_NAME)).length === 0;

        await tamper(scenario);
        baselineWire.clear();
        const t1 = performance.now();
        await baseline();
        baseTimes.push(performance.now() - t1);
        if (i === 0)
          ({ reads: baseReads, writes: baseWrites } = {
            reads: baselineWire.reads.length,
            writes: baselineWire.writes.length,
          });
        baseOk &&= detectDrift(config.desired, await store.read(ROLE_NAME)).length === 0;
      }
      await topic.notifications();
      figures[name] = {
        reads,
        writes,
        p50: quantile(times, 0.5),
        p95: quantile(times, 0.95),
        baseReads,
        baseWrites,
        baseP50: quantile(baseTimes, 0.5),
        guardOk,
        baseOk,
        drifted,
      };
      rows.push([
        name,
        String(drifted),
        `${reads}/${writes}`,
        ms(quantile(times, 0.5)),
        ms(quantile(times, 0.95)),
        guardOk ? 'yes' : 'NO',
        `${baseReads}/${baseWrites}`,
        ms(quantile(baseTimes, 0.5)),
        baseOk ? 'yes' : 'NO',
      ]);
      process.stderr.write(`  measured: ${name}\n`);
    }

    // Bundle, as the stack deploys it.
    const outdir = mkdtempSync(join(tmpdir(), 'srg-bench-'));
    const app = new App({
      outdir,
      context: { trustedPrincipalArns: `arn:aws:iam::${DRILL_ACCOUNT}:root`, region: 'us-east-1' },
    });
    buildApp(app).app.synth();
    const bundle = readdirSync(outdir)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => join(outdir, d, 'index.mjs'))
      .find(
        (f) =>
          statSync(f, { throwIfNoEntry: false }) && readFileSync(f, 'utf8').includes('SUPPORT_ROLE_NAME'),
      );
    if (!bundle) throw new Error('bundle not found');
    const size = statSync(bundle).size;
    const zipped = deflateRawSync(readFileSync(bundle), { level: 9 }).length;
    const empty = join(outdir, 'empty.mjs');
    writeFileSync(empty, 'export const handler = async () => ({});\n');
    /** Median over fresh node processes: the whole process (start, import, exit) and the import alone. */
    const coldImport = (file: string) => {
      const wall: number[] = [];
      const imports: number[] = [];
      for (let i = 0; i < COLD_RUNS; i++) {
        const started = performance.now();
        const run = spawnSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const t=performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now()-t));`,
          ],
          {
            env: { ...process.env, ...env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' },
            encoding: 'utf8',
          },
        );
        wall.push(performance.now() - started);
        imports.push(Number(run.stdout));
      }
      return { wall: quantile(wall, 0.5), import: quantile(imports, 0.5) };
    };
    const coldBundle = coldImport(bundle);
    const coldEmpty = coldImport(empty);

    // Burst: 200 events (25 distinct tampering events x 4 deliveries, 100 of noise), 8 at a time.
    const dynamodb = new DynamoDBClient(settings);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'bench-idempotency',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const burstWire = new WireLog();
    const burstHandler = createHandler({
      config: parseConfig({ ...env, IDEMPOTENCY_TABLE_NAME: 'bench-idempotency' }, { requireTopic: true }),
      clients: { iam: recordIamCalls(new IAMClient(settings), burstWire), sns, eventBridge, dynamodb },
      logger,
    });
    await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
    await iam.send(new DetachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: SUPPORT_ACCESS }));
    const burst: unknown[] = [];
    for (let i = 0; i < 25; i++) {
      const e = cloudTrailEvent({
        eventName: 'DetachRolePolicy',
        input: { RoleName: ROLE_NAME, PolicyArn: SUPPORT_ACCESS },
        actor: ACTORS.alice,
      });
      for (let n = 0; n < 4; n++) burst.push(structuredClone(e));
    }
    for (let i = 0; i < 100; i++)
      burst.push(
        cloudTrailEvent({
          eventName: 'DetachRolePolicy',
          input: { RoleName: 'OtherRole', PolicyArn: SUPPORT_ACCESS },
          actor: ACTORS.bob,
        }),
      );
    const queue = [...burst];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let e = queue.shift(); e; e = queue.shift()) await burstHandler(e, context).catch(() => {});
      }),
    );
    const burstSeconds = (performance.now() - t0) / 1000;
    const burstRate = burst.length / burstSeconds;
    const burstWrites = burstWire.writes.length;

    // Organization sweep: 20 emulated member accounts (STS AssumeRole into each), 8 at a time.
    const memberIds: string[] = [];
    const sts = new STSClient(settings);
    for (let i = 0; i < 20; i++) {
      const id = String(300_000_000_000 + i);
      memberIds.push(id);
      const memberIam = new IAMClient({
        ...settings,
        credentials: await emulatedAccountCredentials(sts, id, 'bench'),
      });
      await reconcile({
        desired: config.desired,
        mode: 'enforce',
        store: new IamRoleStore(memberIam),
        partition: 'aws',
      });
      if (i % 2 === 0)
        await memberIam.send(new DetachRolePolicyCommand({ RoleName: ROLE_NAME, PolicyArn: SUPPORT_ACCESS }));
    }
    const orgHandler = createHandler({
      config: parseConfig(
        {
          ...env,
          MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
          MEMBER_ACCOUNT_IDS: memberIds.join(','),
          SWEEP_CONCURRENCY: '8',
        },
        { requireTopic: true },
      ),
      clients: { iam, sns, eventBridge, sts },
      logger,
      memberClientSettings: { endpoint: emulator.endpoint },
      organizationPorts,
    });
    const sweepStarted = performance.now();
    await orgHandler({ ...fixtureSweep(), time: 'bench-org-sweep' }, context);
    const sweepMs = performance.now() - sweepStarted;
    const compliantStarted = performance.now();
    await orgHandler({ ...fixtureSweep(), time: 'bench-org-sweep-2' }, context);
    const compliantSweepMs = performance.now() - compliantStarted;

    const table = [
      [
        'Scenario',
        'Drifted props',
        'Guard IAM r/w',
        'Guard p50 ms',
        'Guard p95 ms',
        'Guard compliant',
        'ASR calls r/w',
        'ASR p50 ms',
        'ASR compliant',
      ],
      ...rows,
    ];
    const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
    const text = table.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
    const compliant = figures['compliant role (sweep)'];
    const targets = [
      `compliant check: ${compliant?.reads}+${compliant?.writes} IAM calls, ${compliant?.writes} writes (target <= 3 calls, 0 writes; ASR baseline: ${compliant ? compliant.baseReads + compliant.baseWrites : '?'} calls, ${compliant?.baseWrites} write)`,
      `writes per remediation = drifted properties (a missing role is one drift and needs CreateRole plus one AttachRolePolicy per required policy): ${Object.entries(
        figures,
      )
        .filter(([n]) => n !== 'compliant role (sweep)')
        .map(([n, f]) => `${n}: ${f.writes} vs ${f.drifted}`)
        .join('; ')}`,
      `bundle: ${(size / 1024).toFixed(1)} KiB minified (target <= 400 KiB), ${(zipped / 1024).toFixed(1)} KiB deflated (zip)`,
      `cold start proxy (median of ${COLD_RUNS} fresh node processes, start to exit): bundled handler ${ms(coldBundle.wall)} ms, empty module ${ms(coldEmpty.wall)} ms, ratio ${(coldBundle.wall / coldEmpty.wall).toFixed(2)} (target <= 2); the import statement alone: ${ms(coldBundle.import)} ms vs ${ms(coldEmpty.import)} ms`,
      `organization sweep of ${memberIds.length} emulated accounts, 8 at a time: ${ms(sweepMs)} ms with 10 accounts to repair, ${ms(compliantSweepMs)} ms all compliant (${ms(compliantSweepMs / memberIds.length)} ms per account of wall time; each account costs AssumeRole + GetRole + ListAttachedRolePolicies + ListRolePolicies)`,
      `burst: ${burst.length} events (25 distinct tampering x 4 deliveries + 100 for another role), 8 concurrent: ${burstRate.toFixed(0)} events/s, ${burstWrites} IAM writes (${(burstWrites / burst.length).toFixed(3)} per event)`,
    ];
    const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}`;
    const report = [
      '# Benchmarks',
      '',
      `Command: \`npm run bench\` (scripts/bench.ts), ${new Date().toISOString()}, on ${machine}, against the local emulator (moto server) over loopback HTTP. Times are this machine's and include the emulator; counts are facts.`,
      '',
      `Per scenario, ${RUNS} runs each: the guard's handler on the CloudTrail event of the first tampering call, and, in the same run, a baseline remediating the way AWS ASR's \`ASR-CreateIAMSupportRole\` does (two STS GetCallerIdentity, GetRole, CreateRole only when missing with the account root as trust, AttachRolePolicy always). "Compliant" is judged against the guard's desired state.`,
      '',
      '```',
      text,
      '```',
      '',
      ...targets.map((t) => `- ${t}`),
      '',
    ].join('\n');
    writeFileSync(join(process.cwd(), 'docs', 'benchmarks.md'), report);
    // The organization sweep at fleet scale (its own module): appended as its own section.
    writeOrganizationSection(await benchOrganizationSweep(emulator.endpoint));
    console.log(`${text}\n\n${targets.join('\n')}\n\nwritten: docs/benchmarks.md`);
  } finally {
    await emulator.stop();
  }
}

await main();
