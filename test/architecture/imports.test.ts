// The project's import graph: no circles (type-only imports included) and arrows that point one way
// (cli -> workflows -> tasks -> engine, cli -> bpmn -> engine). Read from the sources, so a new file is checked too.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_DIRS = ['engine', 'bpmn', 'tasks', 'workflows', 'cli', 'bench', 'scripts'];

/** Every .ts source file under the source folders, relative to the root. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const rel = join(dir, name);
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(ROOT, d))) walk(d);
  return out.sort();
}

const IMPORT =
  /(?:^|[^.\w])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** The project files `file` imports (static, re-exports, type-only and literal dynamic imports), relative to the root. */
export function importsOf(file: string, source = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const deps = new Set<string>();
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    const target = relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts');
    const candidates = [target, `${target}.ts`, join(target, 'index.ts')];
    const hit = candidates.find((c) => c.endsWith('.ts') && existsSync(join(ROOT, c)));
    if (hit) deps.add(hit);
  }
  return [...deps];
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles();
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const layer = (file: string) => file.split('/')[0];

describe('the import graph', () => {
  it('has the source files it is meant to check', () => {
    expect(files).toContain('engine/runner.ts');
    expect(graph.get('engine/runner.ts')).toContain('engine/execution.ts');
  });

  it('has no import circle among the project files (type-only imports count)', () => {
    expect(circles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it.each([
    ['engine', ['engine']],
    ['bpmn', ['bpmn', 'engine']],
    ['tasks', ['tasks', 'engine']],
    ['workflows', ['workflows', 'tasks', 'engine']],
  ])('lets %s/ import only from %j', (from, allowed) => {
    const wrong = files
      .filter((f) => layer(f) === from)
      .flatMap((f) =>
        graph
          .get(f)!
          .filter((d) => !allowed.includes(layer(d)))
          .map((d) => `${f} -> ${d}`),
      );
    expect(wrong).toEqual([]);
  });

  it('names the engine barrel exports one by one (no export * leaking helpers)', () => {
    expect(readFileSync(join(ROOT, 'engine/index.ts'), 'utf8')).not.toMatch(/export\s+\*/);
  });
});

describe('the circle finder', () => {
  it('finds a circle of three, a self-import and no circle in a chain', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['f']],
      ['f', []],
    ]);
    expect(circles(g)).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('reads type-only, re-export and dynamic imports', () => {
    const src =
      "import type { A } from './run-types.js';\nexport { b } from './runner.js';\nconst c = await import('./resume.js');\nimport x from 'xstate';";
    expect(importsOf('engine/probe.ts', src).sort()).toEqual([
      'engine/resume.ts',
      'engine/run-types.ts',
      'engine/runner.ts',
    ]);
  });
});
