// `gravity validate` agrees with `gravity run`: for every file of the BPMN corpora and every catalog export, with no
// mapping, with every task type mapped to a no-op, and with every task type mapped to log.info (the README's example,
// which once validated and then failed on its input), either validate finds a problem, or the run does not fail on
// import, mapping or input validation. The run is real (the engine, the real input schemas), its tasks' work replaced by
// nothing: what is checked is what happens before a task's work.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { conformanceMappings, conformanceNoop, corpusDir, findBpmnFiles } from '../../bpmn/conformance.js';
import { dialectNames, exportBpmn, loadBpmnFile, validateBpmnFile } from '../../bpmn/index.js';
import {
  createMemoryStore,
  createRegistry,
  expressionsIn,
  startRun,
  type Definition,
  type StateConfig,
  type TaskDefinition,
} from '../../engine/index.js';
import { createDefaultRegistry } from '../../tasks/index.js';
import { catalog, findWorkflow } from '../../workflows/index.js';
import { tempDir } from '../support/git-fixtures.js';

const registry = createDefaultRegistry().register(conformanceNoop);
// the same task ids and input schemas, doing nothing: the run goes through import, mapping and input validation only
// (the built-in tasks, approval, message wait and send, are in every registry already: the waits do nothing until
// answered, a send delivers to the runs of this memory store, none)
const builtIn = createRegistry();
const hollow = createRegistry(
  ...registry
    .list()
    .filter((t) => !builtIn.has(t.id))
    .map((t): TaskDefinition => ({
      ...t,
      output: z.unknown(),
      isSupervised: () => false,
      isIdempotent: () => true,
      run: async () => ({}),
    })),
);

const corpus = corpusDir(fileURLToPath(new URL('../..', import.meta.url)));
const exportsDir = tempDir('gravity-agree-');
mkdirSync(exportsDir, { recursive: true });

/** Every task step of a definition with its input template. */
function steps(def: Definition): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (states: Record<string, StateConfig>) => {
    for (const [k, s] of Object.entries(states)) {
      if (s.invoke) out.set(k, s.invoke.input);
      if (s.states) walk(s.states);
    }
  };
  walk(def.machine.states);
  return out;
}

/** A value of each declared param (its default, or one of its type), as a user would give. */
function paramsOf(def: Definition): Record<string, unknown> {
  const sample: Record<string, unknown> = { string: 'x', number: 1, integer: 1, boolean: true, array: [], object: {} };
  return Object.fromEntries(
    Object.entries(def.params ?? {}).map(([k, p]) => [k, p.default ?? p.enum?.[0] ?? sample[p.type] ?? 'x']),
  );
}

/**
 * Why the run failed before a task's work, or undefined when it did not: an import or mapping refusal, or an input
 * the step refused while it was all literals (an input made by expressions depends on what the hollow tasks gave).
 */
async function runFailure(file: string, mappings: Record<string, string>): Promise<string | undefined> {
  let def: Definition;
  try {
    def = (await loadBpmnFile(file, { mappings })).definition;
  } catch (e) {
    return `import: ${(e as Error).message}`;
  }
  const ac = new AbortController();
  // a timer in the process would make the run wait: what comes before it was checked by then
  const timer = setTimeout(() => ac.abort(), 2000);
  try {
    const r = await startRun({ store: createMemoryStore(), registry: hollow, resolveWorkflow: findWorkflow }, def, {
      params: paramsOf(def),
      signal: ac.signal,
    }).catch((e: Error & { code?: string }) => ({
      status: 'refused',
      error: { code: e.code, message: e.message, step: undefined },
    }));
    if (r.status === 'refused') return `start: ${r.error?.message}`;
    const err = r.error as { code?: string; step?: string; message: string } | undefined;
    if (r.status === 'failed' && err?.code === 'VALIDATION' && err.step) {
      const input = steps(def).get(err.step);
      if ([...expressionsIn(input, 'input')].length === 0) return `input of <${err.step}>: ${err.message}`;
    }
    if (r.status === 'failed' && (err?.code === 'UNKNOWN_TASK' || err?.code === 'INVALID_DEFINITION'))
      return `${err.code}: ${err.message}`;
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

const mappingSets: Array<[string, Record<string, string>]> = [
  ['no mapping', {}],
  ['tasks mapped to a no-op', conformanceMappings()],
  ['tasks mapped to log.info', Object.fromEntries(Object.keys(conformanceMappings()).map((t) => [t, 'log.info']))],
];

async function catalogExports(): Promise<string[]> {
  const files: string[] = [];
  for (const def of catalog)
    for (const dialect of dialectNames) {
      const f = join(exportsDir, `${def.id.replace(':', '_')}.${dialect}.bpmn`);
      writeFileSync(f, await exportBpmn(def, { dialect }));
      files.push(f);
    }
  return files;
}

describe('validate agrees with run', () => {
  it('on every corpus file and every catalog export: validate refuses, or run passes import, mapping and inputs', async () => {
    const files = [
      ...findBpmnFiles(join(corpus, 'miwg')),
      ...findBpmnFiles(join(corpus, 'engine-fixtures')),
      ...(await catalogExports()),
    ];
    expect(files.length).toBeGreaterThan(84);
    const disagreements: string[] = [];
    let valid = 0;
    for (const file of files)
      for (const [label, mappings] of mappingSets) {
        const v = await validateBpmnFile(file, registry, { mappings });
        if (v.problems.length) continue;
        valid++;
        const why = await runFailure(file, mappings);
        if (why) disagreements.push(`${file} (${label}): validate says valid, run fails: ${why}`);
      }
    expect(disagreements).toEqual([]);
    // not vacuous: many files validate, among them every catalog export
    expect(valid).toBeGreaterThanOrEqual(20);
  }, 300_000);

  it("refuses what log.info would refuse: the README's mapping of a plain task is caught by validate", async () => {
    const file = join(corpus, 'miwg', 'A.1.0.bpmn');
    const v = await validateBpmnFile(file, registry, { mappings: { 'bpmn:Task': 'log.info' } });
    expect(v.problems.map((p) => p.message)).toEqual(
      Array(3).fill('input of log.info is invalid: message: Invalid input: expected string, received undefined'),
    );
    // and run refuses it before anything runs, for the same reason
    expect(await runFailure(file, { 'bpmn:Task': 'log.info' })).toMatch(/input of log\.info is invalid: message/);
  });
});
