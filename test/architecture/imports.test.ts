// The project's import graph: no circles (type-only imports included) and arrows that point one way
// (cli -> workflows -> tasks -> engine, cli -> bpmn -> engine). Read from the sources, so a new file is checked too.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_DIRS = ['engine', 'bpmn', 'tasks', 'workflows', 'cli', 'server', 'bench', 'scripts'];

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

/**
 * What code outside engine/ may import from it: the barrel (everything) and the light entry points, each a part of it
 * that loads none of the engine's heavy libraries, for the commands that must start fast (docs/architecture.md).
 */
const LIGHT_ENTRY_POINTS = ['engine/authoring.ts', 'engine/records.ts', 'engine/errors.ts', 'engine/store/index.ts'];
const ENTRY_POINTS = ['engine/index.ts', ...LIGHT_ENTRY_POINTS];
/** Libraries that each cost a large share of a start (~100 files for zod and execa): imported where used, on demand. */
const HEAVY = ['zod', 'execa', 'xstate', 'feelin', 'proper-lockfile', 'pino', 'listr2', 'handlebars'];

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:([^'";]*?)\s+from\s+)?['"]([^'"]+)['"]/gm;

/**
 * What `file` loads when it is loaded: its static imports and re-exports, not the type-only ones (TypeScript drops
 * them) nor the dynamic ones (loaded when the code runs), as specifiers (`./x.js`, `zod`, `node:fs`).
 */
function staticImportsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of source.matchAll(STATIC_IMPORT)) {
    const names = m[1]?.match(/^\{([^}]*)\}$/)?.[1];
    const onlyTypes = names !== undefined && names.split(',').every((n) => !n.trim() || /^type\s/.test(n.trim()));
    if (!onlyTypes && !m[2].startsWith('node:')) out.push(m[2]);
  }
  return out;
}

/** The packages loading `entry` loads with it, through its static imports, its files' and theirs. */
function packagesLoadedBy(entry: string): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const spec of staticImportsOf(f)) {
      if (spec.startsWith('.')) visit(importsOf(f, `import x from '${spec}';`)[0] ?? spec);
      else
        packages.add(
          spec
            .split('/')
            .slice(0, spec.startsWith('@') ? 2 : 1)
            .join('/'),
        );
    }
  };
  visit(entry);
  return [...packages].sort();
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
    // the server is a shell like the CLI: it shares the CLI's app (store, registry, catalog), never its commands
    ['server', ['server', 'cli', 'workflows', 'tasks', 'bpmn', 'engine']],
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
    for (const entry of ENTRY_POINTS) expect(readFileSync(join(ROOT, entry), 'utf8'), entry).not.toMatch(/export\s+\*/);
  });

  it('lets server/ take from cli/ only its app (the store, registry and catalog every command shares) and version', () => {
    const wrong = files
      .filter((f) => layer(f) === 'server')
      .flatMap((f) =>
        graph
          .get(f)!
          .filter((d) => layer(d) === 'cli' && !['cli/app.ts', 'cli/load.ts', 'cli/version.ts'].includes(d))
          .map((d) => `${f} -> ${d}`),
      );
    expect(wrong).toEqual([]);
  });

  it('lets cli/, server/, bpmn/, tasks/ and workflows/ import engine/ through its entry points only', () => {
    const wrong = files
      .filter((f) => ['cli', 'server', 'bpmn', 'tasks', 'workflows'].includes(layer(f)))
      .flatMap((f) =>
        graph
          .get(f)!
          .filter((d) => layer(d) === 'engine' && !ENTRY_POINTS.includes(d))
          .map((d) => `${f} -> ${d}`),
      );
    expect(wrong).toEqual([]);
  });

  it('sees the heavy libraries the barrel loads (the walk below works)', () => {
    expect(packagesLoadedBy('engine/index.ts').filter((p) => HEAVY.includes(p))).toEqual(
      expect.arrayContaining(['zod', 'xstate', 'feelin']),
    );
  });

  it.each(LIGHT_ENTRY_POINTS)(`lets the light entry point %s load none of ${HEAVY.join(', ')} up front`, (entry) => {
    expect(packagesLoadedBy(entry).filter((p) => HEAVY.includes(p))).toEqual([]);
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
