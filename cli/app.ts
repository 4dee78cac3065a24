// What every command shares: the data dir and its store, the task registry, the catalog, definition loading.
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { destination, pino, type Logger } from 'pino';
import {
  OUTPUT_TAIL_BYTES,
  type Definition,
  type EngineOptions,
  type RunEvent,
  type RunRecord,
  type Store,
} from '../engine/index.js';
import { createJsonStore, defaultDataDir } from '../engine/store/index.js';
import { createDefaultRegistry } from '../tasks/index.js';
import { catalog, findWorkflow, suggestWorkflows } from '../workflows/index.js';
import { loadDefinition, type LoadContext } from './load.js';

/** Global options of every command. */
export interface GlobalOptions {
  dataDir?: string;
}

/** The pieces a command works with. */
export interface App {
  dataDir: string;
  store: Store;
  registry: ReturnType<typeof createDefaultRegistry>;
  catalog: Definition[];
  engine(onEvent?: (e: RunEvent) => void, root?: string): EngineOptions;
  /** What the definition loader needs (cli/load.ts). */
  loader: LoadContext;
  /** A catalog id, a definition file (.json), a BPMN file (.bpmn, with optional task mappings) or a scenario module. */
  load(ref: string, mappings?: Record<string, string>): Promise<{ def: Definition; source: RunRecord['source'] }>;
  close(): Promise<void>;
}

/** Opens the data dir (`--data-dir`, `GRAVITY_HOME`, `~/.gravity`) and builds the registry. */
export async function createApp(o: GlobalOptions): Promise<App> {
  const dataDir = resolve(o.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true });
  const store = await createJsonStore(dataDir);
  const registry = createDefaultRegistry();
  let logger: Logger | undefined;
  // characters of task output logged so far per running step (`<run> <step>`), forgotten when the step ends
  const logged = new Map<string, number>();
  // every run event and task output line also goes to <data dir>/logs/gravity.log (JSON lines, pino); of a step's
  // output, the first OUTPUT_TAIL_BYTES characters only (a command's full output is in the run's files folder)
  const log = (e: RunEvent) => {
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
      if (e.text.length > room) logger.info({ runId, step: e.step }, 'further output of this step is not logged here');
      return;
    }
    if (type === 'task.finished' || type === 'task.failed' || type === 'task.cancelled')
      logged.delete(`${runId} ${e.step}`);
    logger[type.endsWith('failed') ? 'error' : 'info']({ runId, ...rest }, type);
  };
  const loader: LoadContext = {
    registry,
    findWorkflow,
    suggestWorkflows,
    warn: (line) => process.stderr.write(`${line}\n`),
  };
  const app: App = {
    dataDir,
    store,
    registry,
    catalog,
    engine: (onEvent, root) => ({
      store,
      registry,
      resolveWorkflow: findWorkflow,
      onEvent: (e) => {
        log(e);
        onEvent?.(e);
      },
      root: root ? resolve(root) : process.cwd(),
      filesDir: (runId) => join(dataDir, 'files', runId),
    }),
    loader,
    async load(ref, mappings) {
      const { def, source } = await loadDefinition(ref, loader, mappings);
      return { def, source };
    },
    close: () => store.close(),
  };
  return app;
}
