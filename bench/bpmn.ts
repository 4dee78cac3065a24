// BPMN benchmarks: import+export against bpmn-moddle alone, and the same BPMN files run in gravity and in bpmn-engine.
import { EventEmitter } from 'node:events';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from 'bpmn-engine';
import {
  APPROVAL_TASK,
  createMemoryStore,
  MESSAGE_TASK,
  resumeRun,
  SEND_TASK,
  startRun,
  type AnswerRequest,
  type Definition,
  type StateConfig,
} from '../engine/index.js';
import { createModdle } from '../bpmn/moddle.js';
import { importBpmn } from '../bpmn/import.js';
import { exportBpmn } from '../bpmn/export.js';
import { checkBpmnText, readBpmnFile } from '../bpmn/read-xml.js';
import {
  TASK_TYPES,
  conformanceMappings,
  corpusDir,
  createConformanceRegistry,
  findBpmnFiles,
  flowElementsOf,
  runConformance,
  subsetVerdict,
} from '../bpmn/conformance.js';
import { measure, round } from './harness.js';
import type { BenchResult, Cell } from './report.js';

/** How one instance ended and the task-like activities it completed, in order (BPMN element ids). */
export interface InstanceTrace {
  status: string;
  tasks: string[];
}

/**
 * Prepares runs of `processId` in bpmn-engine 25, parsed once: service tasks without an implementation are
 * dummies, services named as `services.<name>` are no-ops, waiting activities (user/receive tasks) are signalled
 * at once, like the no-op task they map to in gravity. Only activities of `processId` are traced.
 */
export async function bpmnEngineRunner(
  xml: string,
  processId: string,
  timeoutMs = 10_000,
): Promise<() => Promise<InstanceTrace>> {
  const context = await createModdle().fromXML(xml);
  const own = new Set(flowElementsOf([context.elementsById[processId]]).map((e) => e.id));
  const noop = (...args: unknown[]) => (args.at(-1) as ((e: null) => void) | undefined)?.(null);
  const services = Object.fromEntries([...xml.matchAll(/services\.(\w+)/g)].map((m) => [m[1], noop]));
  return async () => {
    const tasks: string[] = [];
    const listener = new EventEmitter();
    const engine = new Engine({
      name: processId,
      moddleContext: context,
      settings: { enableDummyService: true },
      services,
    });
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<string>((resolve) => {
      engine.once('end', () => resolve('succeeded'));
      engine.once('error', () => resolve('failed'));
      listener.on('activity.end', (api: { id: string; type: string }) => {
        if (TASK_TYPES.has(api.type) && own.has(api.id)) tasks.push(api.id);
        if (tasks.length > 1000) resolve('runaway');
      });
      listener.on('wait', (api: { signal(): void }) => api.signal());
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    await engine.execute({ listener, services }).catch(() => undefined);
    const status = await ended;
    clearTimeout(timer);
    if (status !== 'succeeded') await engine.stop();
    return { status, tasks };
  };
}

/** Prepares runs of a definition in gravity (memory store, persist false), every task a no-op; traces finished steps as element ids. */
export function gravityRunner(def: Definition): () => Promise<InstanceTrace & { ran: string[] }> {
  const ids: Record<string, string> = {};
  const walk = (states: Record<string, StateConfig> = {}) => {
    for (const [k, s] of Object.entries(states))
      ((ids[k] = String((s.meta?.bpmn as { id?: string } | undefined)?.id ?? k)), walk(s.states));
  };
  walk(def.machine.states);
  let trace = { tasks: [] as string[], ran: [] as string[] };
  const registry = createConformanceRegistry(def, (step) => trace.ran.push(ids[step] ?? step));
  const engine = {
    store: createMemoryStore(),
    registry,
    persist: false,
    // a message catch or throw event is a built-in step of gravity's, but no task to bpmn-engine: not traced
    onEvent: (e: { type: string; step?: string; task?: string }) =>
      e.type === 'task.finished' &&
      e.task !== MESSAGE_TASK &&
      e.task !== SEND_TASK &&
      trace.tasks.push(ids[e.step!] ?? e.step!),
  };
  // a definition that waits (approvals, message waits) is answered at once, as bpmn-engine's runner signals its waits:
  // each answer resumes the parked run, which needs it persisted (in memory)
  const waits =
    JSON.stringify(def.machine).includes(`"${APPROVAL_TASK}"`) ||
    JSON.stringify(def.machine).includes(`"${MESSAGE_TASK}"`);
  const driven = waits ? { ...engine, persist: true } : engine;
  return async () => {
    trace = { tasks: [], ran: [] };
    let r = await startRun(driven, def, { params: {} });
    for (let i = 0; r.status === 'waiting' && i < 10_000; i++) {
      const w = r.waiting![0];
      const answer: AnswerRequest =
        w.kind === 'approval'
          ? { kind: 'approve', step: w.step }
          : { kind: 'message', step: w.step, name: w.message, ...(w.key === undefined ? {} : { key: w.key }) };
      r = await resumeRun(driven, r.runId, { answer });
    }
    return { status: r.status, ...trace };
  };
}

/** A BPMN text of start -> `n` plain tasks -> end (no diagram). */
export function sequenceBpmn(n: number): string {
  const ids = ['start', ...Array.from({ length: n }, (_, i) => `t${i + 1}`), 'end'];
  const nodes = ids.map((id, i) =>
    i === 0
      ? `<startEvent id="${id}"/>`
      : i === ids.length - 1
        ? `<endEvent id="${id}"/>`
        : `<task id="${id}" name="Step ${i}"/>`,
  );
  const flows = ids.slice(1).map((id, i) => `<sequenceFlow id="f${i}" sourceRef="${ids[i]}" targetRef="${id}"/>`);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Defs_seq${n}" targetNamespace="https://gravity.kytes.dev/bench">` +
    `<process id="seq${n}" isExecutable="true">${nodes.join('')}${flows.join('')}</process></definitions>`
  );
}

/** Instances per second and CPU per instance of `run`, sequentially, for about `budgetMs` after a warm-up. */
async function throughput(
  run: () => Promise<InstanceTrace>,
  budgetMs: number,
): Promise<{ perSec: number; cpuUs: number; n: number }> {
  for (let i = 0; i < 3; i++) await run();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (n < 5 || (performance.now() - t0 < budgetMs && n < 20_000)) {
    const r = await run();
    if (r.status !== 'succeeded') throw new Error(`bench instance ended ${r.status}`);
    n++;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: n / (wallMs / 1000), cpuUs: (cpu.user + cpu.system) / n, n };
}

/** Options: where the corpus is, and the time budget of each measurement. */
export interface BpmnBenchOptions {
  corpus?: string;
  budgetMs?: number;
}

/** (a) import+export vs bpmn-moddle fromXML+toXML on each executable MIWG model; (b) gravity vs bpmn-engine on the comparable files. */
export async function bpmnBench(o: BpmnBenchOptions = {}): Promise<BenchResult> {
  const t0 = performance.now();
  const corpus = o.corpus ?? corpusDir(fileURLToPath(new URL('..', import.meta.url)));
  const budgetMs = o.budgetMs ?? 800;
  const rows: Array<Record<string, Cell>> = [];
  const notes: string[] = [];
  const row = (part: string, file: string, cells: Record<string, Cell>) =>
    rows.push({
      part,
      file,
      gravityMs: null,
      refMs: null,
      ratio: null,
      gravityPerSec: null,
      refPerSec: null,
      gravityCpuUs: null,
      refCpuUs: null,
      ...cells,
    });

  const miwg = (await runConformance(findBpmnFiles(join(corpus, 'miwg')))).filter((r) => r.executable);
  const reps = { min: 5, max: 200, budgetMs: budgetMs / 2, warmup: 2 };
  for (const { file } of miwg) {
    const xml = await readBpmnFile(file);
    const moddle = createModdle();
    const ref = await measure(
      { run: async () => moddle.toXML((await moddle.fromXML(xml)).rootElement, { format: true }) },
      reps,
    );
    const grav = await measure(
      { run: async () => exportBpmn((await importBpmn(xml, { mappings: conformanceMappings() })).definition) },
      reps,
    );
    row('import+export', relative(corpus, file), {
      gravityMs: round(grav.medianMs, 3),
      refMs: round(ref.medianMs, 3),
      ratio: round(grav.medianMs / ref.medianMs, 2),
    });
  }

  const runnable: Array<{ name: string; xml: string; def: Definition; processId: string }> = [];
  for (const file of findBpmnFiles(join(corpus, 'engine-fixtures'))) {
    const v = await subsetVerdict(file);
    if (v.definition)
      runnable.push({ name: relative(corpus, file), xml: v.xml, def: v.definition, processId: v.processId! });
  }
  const seq = checkBpmnText(sequenceBpmn(20), 'generated 20-task sequence');
  runnable.push({
    name: 'generated: 20-task sequence',
    xml: seq,
    def: (await importBpmn(seq, { mappings: conformanceMappings() })).definition,
    processId: 'seq20',
  });
  for (const r of runnable) {
    const [gravity, other] = [gravityRunner(r.def), await bpmnEngineRunner(r.xml, r.processId)];
    const [a, b] = [await gravity(), await other()];
    if (a.tasks.join() !== b.tasks.join())
      notes.push(`${r.name}: traces differ (gravity ${a.tasks.join(',')} vs bpmn-engine ${b.tasks.join(',')})`);
    const g = await throughput(gravity, budgetMs);
    const e = await throughput(other, budgetMs);
    row('run', r.name, {
      gravityMs: round(1000 / g.perSec, 3),
      refMs: round(1000 / e.perSec, 3),
      ratio: round(e.perSec / g.perSec, 2),
      gravityPerSec: round(g.perSec, 0),
      refPerSec: round(e.perSec, 0),
      gravityCpuUs: round(g.cpuUs, 0),
      refCpuUs: round(e.cpuUs, 0),
    });
    if (/timer/.test(r.name))
      notes.push(
        `${r.name}: waits on a real 50 ms timer in both engines, so instances/s measure the timer; compare CPU/instance`,
      );
  }
  return {
    name: 'bpmn',
    title: 'BPMN: import+export vs bpmn-moddle, and running BPMN in gravity vs bpmn-engine 25',
    explain: [
      'import+export: importBpmn (gate already passed) + exportBpmn (gravity dialect) of each executable MIWG model, against',
      '  bpmn-moddle fromXML + toXML of the same text alone (ref). x ref = gravity ms / ref ms (median after warm-up).',
      'run: one instance at a time, every task a no-op; gravity = startRun(memory store, persist: false) of the imported',
      '  definition; ref = bpmn-engine 25 (model parsed once, dummy services, waits signalled at once); ms = 1000 / inst/s;',
      '  CPU us/inst = process.cpuUsage (user + system) over the whole measurement / instances.',
      'x ref = gravity ms / ref ms in both parts: above 1 gravity is slower, below 1 faster.',
    ],
    columns: [
      { key: 'part', label: 'part' },
      { key: 'file', label: 'file' },
      { key: 'gravityMs', label: 'gravity ms', digits: 3 },
      { key: 'refMs', label: 'ref ms', digits: 3 },
      { key: 'ratio', label: 'x ref', digits: 2 },
      { key: 'gravityPerSec', label: 'gravity inst/s' },
      { key: 'refPerSec', label: 'bpmn-engine inst/s' },
      { key: 'gravityCpuUs', label: 'gravity CPU us/inst' },
      { key: 'refCpuUs', label: 'bpmn-engine CPU us/inst' },
    ],
    rows,
    notes,
    elapsedMs: performance.now() - t0,
  };
}
