import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = join(import.meta.dirname, '../../functions/core');

/** Each core module's relative imports: static, re-exports and `import('./x.js')` type references. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(CORE).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(CORE, file), 'utf8');
    const targets = [...source.matchAll(/(?:from\s+|import\s*\(\s*)'\.\/([\w-]+)\.js'/g)].map(
      (m) => `${m[1]}.ts`,
    );
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every import cycle, each as the path from its first module back to itself. */
function cycles(graph: Map<string, string[]>): string[] {
  const found = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const cycle = path.slice(at);
      const start = cycle.indexOf([...cycle].sort()[0] ?? node);
      found.add([...cycle.slice(start), ...cycle.slice(0, start), cycle[start]].join(' -> '));
      return;
    }
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
  };
  for (const node of graph.keys()) visit(node, []);
  return [...found].sort();
}

describe('the core layering', () => {
  const graph = importGraph();

  it('has no import cycle: each module imports only from modules below it', () => {
    expect(graph.size).toBeGreaterThan(10);
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps ports on plain data types, not on the modules that render or decide', () => {
    const deciding = ['notification.ts', 'reconcile.ts', 'guard-result.ts', 'handle-event.ts'];
    expect(graph.get('ports.ts')?.filter((m) => deciding.includes(m))).toEqual([]);
  });

  it('imports no AWS SDK or middleware', () => {
    for (const file of graph.keys()) {
      const source = readFileSync(join(CORE, file), 'utf8');
      expect(source, file).not.toMatch(/from '(@aws-sdk|@middy|@aws-lambda-powertools)/);
    }
  });
});
