// What every command shares: the data dir and its store, the task registry, the catalog, definition loading. Only the
// store is opened up front: the registry (every task node and their libraries), the catalog (the engine under it), the
// loader (the BPMN code) and pino are imported the first time a command asks for them, so a command that only reads
// runs loads none of them.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Definition, EngineOptions, RunEvent, RunRecord, Store, TaskRegistry } from '../engine/index.js';
import { createJsonStore, defaultDataDir } from '../engine/store/index.js';
import type { LoadContext } from './load.js';

/** Global options of every command. */
export interface GlobalOptions {
  dataDir?: string;
}

/** The catalog and its lookups (workflows/index.ts). */
export interface Catalog {
  workflows: Definition[];
  findWorkflow(id: string): Definition | undefined;
  suggestWorkflows(id: string): string[];
}

/** The pieces a command works with; those behind a function are loaded on first use and kept. */
export interface App {
  dataDir: string;
  store: Store;
  registry(): Promise<TaskRegistry>;
  catalog(): Promise<Catalog>;
  /** What running a workflow needs: the store, the registry, the catalog, every event logged to gravity.log. */
  engine(onEvent?: (e: RunEvent) => void, root?: string): Promise<EngineOptions>;
  /** What the definition loader needs (cli/load.ts). */
  loader(): Promise<LoadContext>;
  /** A catalog id, a definition file (.json), a BPMN file (.bpmn, with optional task mappings) or a scenario module. */
  load(ref: string, mappings?: Record<string, string>): Promise<{ def: Definition; source: RunRecord['source'] }>;
  close(): Promise<void>;
}

/** `make()` the first time it is called, the same promise afterwards. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** Opens the data dir (`--data-dir`, `GRAVITY_HOME`, `~/.gravity`); the rest is loaded when asked for. */
export async function createApp(o: GlobalOptions): Promise<App> {
  const dataDir = resolve(o.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true });
  const store = await createJsonStore(dataDir);
  const registry = once(async () => (await import('../tasks/index.js')).createDefaultRegistry());
  const catalog = once(async (): Promise<Catalog> => {
    const { catalog: workflows, findWorkflow, suggestWorkflows } = await import('../workflows/index.js');
    return { workflows, findWorkflow, suggestWorkflows };
  });
  const loader = once(async (): Promise<LoadContext> => {
    const { findWorkflow, suggestWorkflows } = await catalog();
    return {
      registry: await registry(),
      findWorkflow,
      suggestWorkflows,
      warn: (line) => process.stderr.write(`${line}\n`),
    };
  });
  // every run event and task output line also goes to <data dir>/logs/gravity.log (JSON lines, pino); of a step's
  // output, the first OUTPUT_TAIL_BYTES characters only (a command's full output is in the run's files folder)
  const eventLog = once(async () => {
    const [{ destination, pino }, { OUTPUT_TAIL_BYTES }] = await Promise.all([
      import('pino'),
      import('../engine/index.js'),
    ]);
    let logger: Logger | undefined;
    // characters of task output logged so far per running step (`<run> <step>`), forgotten when the step ends
    const logged = new Map<string, number>();
    return (e: RunEvent) => {
      logger ??= pino(
        { base: undefined },
        destination({ dest: join(dataDir, 'logs', 'gravity.log'), mkdir: true, sync: true }),
      );
      const { type, runId, ...rest } = e;
      if (e.type === 'task.log') {
        const key = `${runId} ${e.step}`;
        const before = logged.get(key) ?? 0;
        if (before >= OUTPUT_TAIL_BYTES) return;
        const room = OUTPUT_TAIL_BYTES - before;
        logged.set(key, before + e.text.length);
        logger.info({ runId, step: e.step, stream: e.level }, e.text.slice(0, room).trimEnd());
        if (e.text.length > room)
          logger.info({ runId, step: e.step }, 'further output of this step is not logged here');
        return;
      }
      if (type === 'task.finished' || type === 'task.failed' || type === 'task.cancelled')
        logged.delete(`${runId} ${e.step}`);
      logger[type.endsWith('failed') ? 'error' : 'info']({ runId, ...rest }, type);
    };
  });
  return {
    dataDir,
    store,
    registry,
    catalog,
    async engine(onEvent, root) {
      const [log, reg, { findWorkflow }] = await Promise.all([eventLog(), registry(), catalog()]);
      return {
        store,
        registry: reg,
        resolveWorkflow: findWorkflow,
        onEvent: (e) => {
          log(e);
          onEvent?.(e);
        },
        root: root ? resolve(root) : process.cwd(),
        filesDir: (runId) => join(dataDir, 'files', runId),
      };
    },
    loader,
    async load(ref, mappings) {
      const { loadDefinition } = await import('./load.js');
      const { def, source } = await loadDefinition(ref, await loader(), mappings);
      return { def, source };
    },
    close: () => store.close(),
  };
}
