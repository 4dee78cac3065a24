// The one definition loader: a catalog id, a definition (.json), a BPMN file or a scenario module becomes a validated
// definition, or a BadInputError naming the file (or the closest workflow ids). run, describe, export, resume and
// `gravity test` all load through it.
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  assertValidDefinition,
  BadInputError,
  ErrorCode,
  GravityError,
  type Definition,
  type RunRecord,
  type TaskRegistry,
} from '../engine/index.js';
import { loadBpmnFile } from '../bpmn/index.js';

/** What loading needs: the tasks and workflows a definition may name. */
export interface LoadContext {
  registry: TaskRegistry;
  /** A catalog workflow by id (or BPMN process id). */
  findWorkflow(id: string): Definition | undefined;
  /** The catalog ids closest to a mistyped one. */
  suggestWorkflows(id: string): string[];
  /** Receives import warnings (BPMN extensions gravity does not run), one line each. */
  warn?(line: string): void;
}

/** A loaded definition, where it came from (kept on the run record, to reload it on resume) and a display name. */
export interface Loaded {
  def: Definition;
  source: RunRecord['source'];
  /** The scenario's name, else the definition's title, else its id. */
  name: string;
}

/** Scenario modules: TypeScript or JavaScript files whose default export is a `scenario({...})`. */
export const SCENARIO_MODULE = /\.scenario\.(ts|mts|js|mjs)$/;

async function importModule(file: string): Promise<Record<string, unknown>> {
  if (/\.(ts|mts)$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** Reads the definition of a scenario module; an error says what the file lacks. */
async function loadModule(file: string): Promise<{ def: Definition; name: string }> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (e) {
    throw new BadInputError(`${file}: cannot load scenario: ${(e as Error).message}`, { file });
  }
  const s = (mod.default ?? mod.scenario) as { name?: string; definition?: Definition } | undefined;
  if (!s?.definition)
    throw new BadInputError(
      `${file}: cannot load scenario: its default export is not a scenario (use \`export default scenario({...})\`)`,
      { file },
    );
  return { def: s.definition, name: s.name ?? basename(file) };
}

/** Reads and parses a JSON definition file. */
async function loadJson(ref: string, path: string): Promise<Definition> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new BadInputError(
      `${ref}: cannot read definition file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      { file: ref },
    );
  }
  try {
    return JSON.parse(text) as Definition;
  } catch (e) {
    throw new BadInputError(`${ref}: not valid JSON: ${(e as Error).message}`, { file: ref });
  }
}

/**
 * Loads `ref`: a catalog workflow id, a scenario module (`*.scenario.ts`), a BPMN file (`.bpmn` / `.xml`, with optional
 * task `mappings`) or a definition file (`.json`). Every definition is validated against the registry and the catalog;
 * a problem is a BadInputError that names the file (or, for an unknown id, the closest catalog ids).
 */
export async function loadDefinition(
  ref: string,
  ctx: LoadContext,
  mappings?: Record<string, string>,
): Promise<Loaded> {
  const found = ctx.findWorkflow(ref);
  if (found) return { def: found, source: { kind: 'catalog', ref }, name: found.title ?? found.id };
  let loaded: Omit<Loaded, 'name'> & { name?: string };
  if (SCENARIO_MODULE.test(ref)) {
    const { def, name } = await loadModule(resolve(ref));
    loaded = { def, source: { kind: 'inline' }, name };
  } else if (/\.(bpmn|xml)$/i.test(ref)) {
    const path = resolve(ref);
    const { definition, warnings } = await loadBpmnFile(path, { mappings, source: ref });
    for (const w of warnings) ctx.warn?.(`warning: ${ref}: <${w.element}> (${w.type}) ${w.message}`);
    loaded = {
      def: definition,
      source: { kind: 'file', ref: path, ...(mappings && Object.keys(mappings).length ? { mappings } : {}) },
    };
  } else if (!/\.json$/i.test(ref) && !ref.includes('/')) {
    const near = ctx.suggestWorkflows(ref);
    throw new BadInputError(
      `unknown workflow "${ref}"${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : ''} (see \`gravity list\`)`,
      { workflow: ref, suggestions: near },
      ErrorCode.UnknownWorkflow,
    );
  } else {
    const path = resolve(ref);
    loaded = { def: await loadJson(ref, path), source: { kind: 'file', ref: path } };
  }
  if (!loaded.def || typeof loaded.def !== 'object' || Array.isArray(loaded.def))
    throw new BadInputError(`${ref}: a definition is a JSON object with an id and a machine`, { file: ref });
  try {
    assertValidDefinition(loaded.def, ctx.registry, { resolveWorkflow: ctx.findWorkflow });
  } catch (e) {
    if (e instanceof GravityError) throw new BadInputError(`${ref}: ${e.message}`, { file: ref, ...(e.details ?? {}) });
    throw new BadInputError(`${ref}: ${(e as Error).message}`, { file: ref });
  }
  return { ...loaded, name: loaded.name ?? loaded.def.title ?? loaded.def.id };
}
