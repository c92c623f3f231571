/**
 * The cold start proxy shared by `npm run bench` and `npm run bench:bundle`: fresh node processes,
 * each importing one module once.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** A module to import in a fresh process, with the node options to run it under. */
export interface ColdImportVariant {
  readonly file: string;
  readonly nodeArgs: readonly string[];
}

export interface ColdImportFigures {
  /** Median of the whole process: start, import, exit (ms). */
  readonly wall: number;
  /** Median of the import statement alone, timed inside the process (ms). */
  readonly import: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.5 * s.length))] ?? Number.NaN;
};

/**
 * Median over `runs` fresh node processes per variant: the whole process (start, import, exit) and
 * the import alone. The variants run interleaved (one of each per round), so that a change in the
 * machine's load during the measurement hits them all alike. `env` is added to this process's
 * environment (with dummy credentials, which the SDK clients may read at construction).
 */
export function coldImports<K extends string>(
  variants: Record<K, ColdImportVariant>,
  options: { runs: number; env?: Record<string, string | undefined> },
): Record<K, ColdImportFigures> {
  const wall: Record<string, number[]> = {};
  const imports: Record<string, number[]> = {};
  for (let i = 0; i < options.runs; i++) {
    for (const [name, { file, nodeArgs }] of Object.entries(variants) as [K, ColdImportVariant][]) {
      const started = performance.now();
      const run = spawnSync(
        process.execPath,
        [
          ...nodeArgs,
          '--no-warnings',
          '--input-type=module',
          '-e',
          `const t=performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now()-t));`,
        ],
        {
          env: { ...process.env, ...options.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' },
          encoding: 'utf8',
        },
      );
      wall[name] = [...(wall[name] ?? []), performance.now() - started];
      imports[name] = [...(imports[name] ?? []), run.status === 0 ? Number(run.stdout) : Number.NaN];
      if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr}`);
    }
  }
  return Object.fromEntries(
    Object.keys(variants).map((name) => [
      name,
      { wall: median(wall[name] ?? []), import: median(imports[name] ?? []) },
    ]),
  ) as Record<K, ColdImportFigures>;
}
