// What every command shares: the data dir and its store, the task registry, the catalog, definition loading.
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { destination, pino, type Logger } from 'pino';
import type { Definition, EngineOptions, RunEvent, RunRecord, Store } from '../engine/index.js';
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
  // every run event and task output line also goes to <data dir>/logs/gravity.log (JSON lines, pino)
  const log = (e: RunEvent) => {
    logger ??= pino(
      { base: undefined },
      destination({ dest: join(dataDir, 'logs', 'gravity.log'), mkdir: true, sync: true }),
    );
    const { type, runId, ...rest } = e;
    if (e.type === 'task.log') logger.info({ runId, step: e.step, stream: e.level }, e.text.trimEnd());
    else logger[type.endsWith('failed') ? 'error' : 'info']({ runId, ...rest }, type);
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
