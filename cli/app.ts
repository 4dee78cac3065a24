// What every command shares: the data dir and its store, the task registry, the catalog, definition loading.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { destination, pino, type Logger } from 'pino';
import { BadInputError, ErrorCode, assertValidDefinition, type Definition, type EngineOptions, type RunEvent, type RunRecord, type Store } from '../engine/index.js';
import { createJsonStore, defaultDataDir } from '../engine/store/index.js';
import { createDefaultRegistry } from '../tasks/index.js';
import { catalog, findWorkflow, suggestWorkflows } from '../workflows/index.js';
import { loadBpmnFile } from '../bpmn/index.js';
import { loadScenario } from './scenarios.js';

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
  /** A catalog id, a definition file (.json) or a BPMN file (.bpmn, with optional task mappings). */
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
    logger ??= pino({ base: undefined }, destination({ dest: join(dataDir, 'logs', 'gravity.log'), mkdir: true, sync: true }));
    const { type, runId, ...rest } = e;
    if (e.type === 'task.log') logger.info({ runId, step: e.step, stream: e.level }, e.text.trimEnd());
    else logger[type.endsWith('failed') ? 'error' : 'info']({ runId, ...rest }, type);
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
    async load(ref, mappings) {
      const found = findWorkflow(ref);
      if (found) return { def: found, source: { kind: 'catalog', ref } };
      if (/\.scenario\.(ts|mts|js|mjs)$/.test(ref)) {
        const { definition } = await loadScenario(resolve(ref));
        return { def: definition, source: { kind: 'inline' } };
      }
      if (/\.(bpmn|xml)$/i.test(ref)) {
        const path = resolve(ref);
        const { definition, warnings } = await loadBpmnFile(path, { mappings, source: ref });
        for (const w of warnings) process.stderr.write(`warning: ${ref}: <${w.element}> (${w.type}) ${w.message}\n`);
        try {
          assertValidDefinition(definition, registry, { resolveWorkflow: findWorkflow });
        } catch (e) {
          throw new BadInputError(`${ref}: ${(e as Error).message}`, { file: ref });
        }
        return { def: definition, source: { kind: 'file', ref: path, ...(mappings && Object.keys(mappings).length ? { mappings } : {}) } as RunRecord['source'] };
      }
      if (!/\.json$/i.test(ref) && !ref.includes('/')) {
        const near = suggestWorkflows(ref);
        throw new BadInputError(`unknown workflow "${ref}"${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : ''} (see \`gravity list\`)`, { workflow: ref, suggestions: near }, ErrorCode.UnknownWorkflow);
      }
      const path = resolve(ref);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new BadInputError(`${ref}: cannot read definition file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: ref });
      }
      let def: Definition;
      try {
        def = JSON.parse(text) as Definition;
      } catch (e) {
        throw new BadInputError(`${ref}: not valid JSON: ${(e as Error).message}`, { file: ref });
      }
      try {
        assertValidDefinition(def, registry, { resolveWorkflow: findWorkflow });
      } catch (e) {
        throw new BadInputError(`${ref}: ${(e as Error).message}`, { file: ref });
      }
      return { def, source: { kind: 'file', ref: path } };
    },
    close: () => store.close(),
  };
  return app;
}
