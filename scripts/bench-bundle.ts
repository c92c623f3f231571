/**
 * `npm run bench:bundle`: the guard Lambda's bundle size and import time, technique by technique.
 * Builds the single-account handler once per variant with esbuild (the options of
 * infra/constructs/guard-bundling.ts, which the stack uses, with one technique changed), checks
 * that the variant with every kept technique is byte for byte what `cdk synth` bundles, times each
 * import in fresh node processes (scripts/cold-imports.ts, as `npm run bench` does) and writes the
 * table into docs/benchmarks.md. Not part of `npm test` (timings are this machine's).
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { App } from 'aws-cdk-lib';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { buildApp } from '../infra/build-app.js';
import { guardBundling } from '../infra/constructs/guard-bundling.js';
import { type ColdImportFigures, coldImports } from './cold-imports.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 20);
const ENTRY = join(ROOT, 'functions', 'handler', 'index.ts');
const LEGAL = '--legal-comments';
const EVENTBRIDGE_ALIAS = '--alias:@aws-sdk/client-eventbridge';
const CREDENTIALS_ALIAS = '--alias';

/** The esbuild options the CDK's NodejsFunction derives from `bundling` (local bundling, ESM). */
function esbuildOptions(bundling: BundlingOptions, outfile: string): BuildOptions {
  const alias: Record<string, string> = {};
  let legalComments: BuildOptions['legalComments'];
  for (const [key, value] of Object.entries(bundling.esbuildArgs ?? {})) {
    if (key === '--alias' && typeof value === 'string') {
      const [from, to] = value.split('=');
      if (from && to) alias[from] = to;
    } else if (key.startsWith('--alias:') && typeof value === 'string') alias[key.slice(8)] = value;
    else if (key === LEGAL) legalComments = value as BuildOptions['legalComments'];
    else throw new Error(`esbuild argument not translated: ${key}`);
  }
  return {
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    outfile,
    absWorkingDir: ROOT,
    logLevel: 'error',
    metafile: true,
    ...(bundling.target ? { target: bundling.target } : {}),
    ...(bundling.format ? { format: bundling.format as BuildOptions['format'] } : {}),
    ...(bundling.minify ? { minify: true } : {}),
    ...(bundling.sourceMap ? { sourcemap: true } : {}),
    ...(bundling.sourcesContent === false ? { sourcesContent: false } : {}),
    ...(bundling.mainFields ? { mainFields: [...bundling.mainFields] } : {}),
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    ...(legalComments ? { legalComments } : {}),
    alias,
  };
}

const without = (bundling: BundlingOptions, key: string): BundlingOptions => {
  const { [key]: _, ...rest } = bundling.esbuildArgs ?? {};
  return { ...bundling, esbuildArgs: rest };
};

/** Replaces functions/adapters/idempotency.ts, as the handler imports it, with a lazy-loading one. */
const lazyIdempotency: Plugin = {
  name: 'lazy-idempotency',
  setup(b) {
    b.onResolve({ filter: /adapters\/idempotency\.js$/ }, (args) =>
      args.importer.endsWith(join('handler', 'create-handler.ts'))
        ? { path: join(ROOT, 'scripts', 'bundle-variants', 'idempotency-lazy.ts') }
        : undefined,
    );
    b.onResolve({ filter: /adapters\/idempotency\.js$/ }, (args) => ({
      path: resolve(dirname(args.importer), args.path.replace(/\.js$/, '.ts')),
    }));
  },
};

interface Variant {
  readonly technique: string;
  readonly bundling: BundlingOptions;
  readonly plugins?: Plugin[];
  /** Node options at import (Lambda: NODE_OPTIONS, which the stack sets to --enable-source-maps). */
  readonly nodeArgs?: string[];
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'srg-bench-bundle-'));
  const kept = guardBundling({ securityHub: false, eventBus: false });
  // Before issue #13's changes: the EventBridge client bundled, esbuild's legal comments kept.
  const baseline = without(guardBundling({ securityHub: false, eventBus: true }), LEGAL);
  const variants: Variant[] = [
    { technique: 'baseline (before #13)', bundling: baseline },
    {
      technique: 'lazy idempotency layer (import on first use)',
      bundling: baseline,
      plugins: [lazyIdempotency],
    },
    {
      technique: 'no EventBridge client without an event bus',
      bundling: {
        ...baseline,
        esbuildArgs: {
          ...baseline.esbuildArgs,
          [EVENTBRIDGE_ALIAS]: kept.esbuildArgs?.[EVENTBRIDGE_ALIAS] ?? '',
        },
      },
    },
    {
      technique: 'legal comments none',
      bundling: { ...baseline, esbuildArgs: { ...baseline.esbuildArgs, [LEGAL]: 'none' } },
    },
    {
      technique: 'undone: SDK CommonJS builds (mainFields main)',
      bundling: { ...baseline, mainFields: ['main'] },
    },
    {
      technique: 'undone: full credential chain (no env-only alias)',
      bundling: without(baseline, CREDENTIALS_ALIAS),
    },
    { technique: 'baseline without --enable-source-maps', bundling: baseline, nodeArgs: [] },
    { technique: 'all kept (the stack now)', bundling: kept },
  ];

  const built: Record<string, { file: string; bytes: number; deflated: number; nodeArgs: string[] }> = {};
  for (const [i, v] of variants.entries()) {
    const file = join(dir, `v${i}`, 'index.mjs');
    await build({ ...esbuildOptions(v.bundling, file), ...(v.plugins ? { plugins: v.plugins } : {}) });
    const code = readFileSync(file);
    built[`v${i}`] = {
      file,
      bytes: code.length,
      deflated: deflateRawSync(code, { level: 9 }).length,
      nodeArgs: v.nodeArgs ?? ['--enable-source-maps'],
    };
  }

  // The reference: what `cdk synth` bundles for the default stack.
  const outdir = join(dir, 'cdk');
  buildApp(
    new App({
      outdir,
      context: { trustedPrincipalArns: 'arn:aws:iam::123456789012:role/OpsSupport', region: 'us-east-1' },
    }),
  ).app.synth();
  const synthesized = readdirSync(outdir)
    .filter((d) => d.startsWith('asset.'))
    .map((d) => join(outdir, d, 'index.mjs'))
    .find(
      (f) => statSync(f, { throwIfNoEntry: false }) && readFileSync(f, 'utf8').includes('SUPPORT_ROLE_NAME'),
    );
  if (!synthesized) throw new Error('the synthesized bundle was not found');
  const keptFile = built[`v${variants.length - 1}`]?.file ?? '';
  const same = readFileSync(synthesized).equals(readFileSync(keptFile));
  if (!same) throw new Error(`the "all kept" variant differs from what cdk synth bundles (${synthesized})`);

  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, 'export const handler = async () => ({});\n');
  // As deployed: a topic, the idempotency table (so the idempotency middleware is built at import).
  const env = {
    AWS_REGION: 'us-east-1',
    SUPPORT_ROLE_NAME: 'AWSSupportRole',
    TRUSTED_PRINCIPAL_ARNS: 'arn:aws:iam::123456789012:role/OpsSupport',
    NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:guard',
    GUARD_ROLE_ARN: 'arn:aws:iam::123456789012:role/support-role-guard/guard',
    IDEMPOTENCY_TABLE_NAME: 'guard-table',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  const started = new Date().toISOString();
  const cold: Record<string, ColdImportFigures> = coldImports(
    {
      ...Object.fromEntries(
        Object.entries(built).map(([k, b]) => [k, { file: b.file, nodeArgs: b.nodeArgs }]),
      ),
      empty: { file: empty, nodeArgs: [] },
    },
    { runs: RUNS, env },
  );
  const loadAfter = loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  const base = cold.empty;
  if (!base) throw new Error('no empty-module figures');

  const kib = (n: number) => (n / 1024).toFixed(1);
  const header = [
    'Technique',
    'KiB min',
    'KiB deflated',
    'import ms p50',
    'process ms p50',
    'process / empty',
  ];
  const rows = variants.map((v, i) => {
    const b = built[`v${i}`];
    const c = cold[`v${i}`];
    if (!b || !c) throw new Error(`no figures for ${v.technique}`);
    return [
      v.technique,
      kib(b.bytes),
      kib(b.deflated),
      c.import.toFixed(1),
      c.wall.toFixed(1),
      (c.wall / base.wall).toFixed(2),
    ];
  });
  rows.push(['empty module', '0.0', '0.0', base.import.toFixed(1), base.wall.toFixed(1), '1.00']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const table = [line(header), ...rows.map(line)].join('\n');
  console.log(table);

  const section = [
    '<!-- bundle-techniques:start -->',
    '## Bundle and import time, technique by technique',
    '',
    `Command: \`npm run bench:bundle\` (scripts/bench-bundle.ts), ${started}, on ${cpus()[0]?.model.trim() ?? 'unknown CPU'} x ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}; load average (1 / 5 / 15 min, \`os.loadavg\`) ${load} before the timings, ${loadAfter} after. The single-account handler, bundled with esbuild per variant from the stack's options (infra/constructs/guard-bundling.ts) with one technique changed; the "all kept" bundle is checked to be byte for byte what \`cdk synth\` bundles. Each variant is imported in ${RUNS} fresh node processes, interleaved with the others and with an empty module (scripts/cold-imports.ts, as \`npm run bench\` does), under \`--enable-source-maps\` as the stack runs it unless the row says otherwise, with the deployed configuration (idempotency table set). "import" is the import statement alone, timed in the process; "process" is start to exit. Target: the bundle <= 400 KiB minified; the process <= 2x the empty module. "undone" rows take a technique already in place away, to show what it buys.`,
    '',
    '```',
    table,
    '```',
    '<!-- bundle-techniques:end -->',
  ].join('\n');
  const docFile = join(ROOT, 'docs', 'benchmarks.md');
  const doc = readFileSync(docFile, 'utf8');
  const start = doc.indexOf('<!-- bundle-techniques:start -->');
  const end = doc.indexOf('<!-- bundle-techniques:end -->');
  const next =
    start >= 0 && end > start
      ? `${doc.slice(0, start)}${section}${doc.slice(end + '<!-- bundle-techniques:end -->'.length)}`
      : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docFile, next);
  console.log(`\nwritten to ${docFile}`);
}

await main();
