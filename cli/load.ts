// The one definition loader: a catalog id, a definition (.json), a BPMN file or a scenario module becomes a validated
// definition, or a BadInputError naming the file (or the closest workflow ids). run, describe, export, resume and
// `gravity test` all load through it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';
import { basename, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

/** The bare specifier a scenario imports the authoring API by (`"exports"` of package.json, checked by a test). */
export const SCENARIO_API = 'gravity/scenario';

/**
 * Module hooks (run on Node's loader thread, hence a string: no file to find next to the compiled or the source
 * loader) so that a scenario loads from any folder: `gravity/scenario` resolves to this installation's authoring API
 * even where no node_modules holds gravity (and to this installation even where one does: a definition built by
 * another version's API would be run by this one), and a scenario file, with the TypeScript files it imports outside
 * node_modules, loads as an ES module whatever the nearest package.json says (tsx would make it CommonJS, whose
 * require() of the ESM-only dependencies fails).
 */
const HOOKS = `
let api;
const esm = new Set();
export function initialize(data) { api = data.api; }
const bare = (url) => url.replace(/[?#].*$/, '');
export async function resolve(specifier, context, next) {
  if (specifier === ${JSON.stringify(SCENARIO_API)}) return { url: api, shortCircuit: true };
  const r = await next(specifier, context);
  const url = bare(r.url);
  if (!url.startsWith('file:')) return r;
  const scenario = /\\.scenario\\.(ts|js)$/.test(url);
  const imported = context.parentURL !== undefined && esm.has(bare(context.parentURL)) && /\\.ts$/.test(url) && !url.includes('/node_modules/');
  if (!scenario && !imported) return r;
  esm.add(url);
  return { ...r, format: 'module' };
}
`;

let hooked = false;

/** Registers HOOKS once per process, before the first scenario module is imported. */
function hookScenarios(): void {
  if (hooked) return;
  hooked = true;
  // next to this file: dist/workflows/... once built; under tsx or vitest, the source (tsx compiles it)
  const js = new URL('../workflows/galaxy/scenario.js', import.meta.url);
  const api = existsSync(fileURLToPath(js)) ? js : new URL('../workflows/galaxy/scenario.ts', import.meta.url);
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { api: api.href } });
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  hookScenarios();
  if (/\.(ts|mts)$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** Where a scenario failed to load: `line` and `column` in `at` (the scenario, or a file it imports), when known. */
interface Where {
  at: string;
  line: number;
  column: number;
}

/** This installation's folder, and its code in it: stack frames there are the authoring API's, not the author's. */
const INSTALL = fileURLToPath(new URL('../', import.meta.url)).replace(/dist\/$/, '');
const OURS = [
  'dist/',
  'engine/',
  'tasks/',
  'cli/',
  'bpmn/',
  'workflows/feel.ts',
  'workflows/galaxy/scenario.ts',
  'workflows/galaxy/expect.ts',
];

/** True for a frame in Node's internals, a dependency or gravity's own code. */
function notTheAuthors(path: string): boolean {
  if (path.includes('/node_modules/')) return true;
  return path.startsWith(INSTALL) && OURS.some((o) => path.slice(INSTALL.length).startsWith(o));
}

/**
 * The author's line an error points at, and its message without the location. esbuild's syntax errors carry it in the
 * message (`<file>:6:32: ERROR: ...`: the error crossed the loader thread, its `errors` are lost); an error thrown
 * while the module runs (an unknown action option, a reserved handle name) in its stack: the innermost frame outside
 * gravity's code and the dependencies (in the scenario, or in a helper it imports, where the bad call is). tsx
 * source-maps the stack: lines are those of the .ts file.
 */
export function locate(e: unknown): { message: string; where?: Where } {
  const message = e instanceof Error ? e.message : String(e);
  const syntax = /^(?:Transform failed with \d+ errors?:\n)?(.+?):(\d+):(\d+): ERROR: ([\s\S]*)$/.exec(message);
  if (syntax)
    return { message: syntax[4], where: { at: syntax[1], line: Number(syntax[2]), column: Number(syntax[3]) } };
  const frames = [
    ...(e instanceof Error ? (e.stack ?? '') : '').matchAll(
      /^\s+at (?:async )?(?:.*? \()?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?$/gm,
    ),
  ].map((m) => ({
    at: m[1].startsWith('file:') ? fileURLToPath(m[1]) : m[1],
    line: Number(m[2]),
    column: Number(m[3]),
  }));
  const where = frames.find((f) => !notTheAuthors(f.at));
  return where ? { message, where } : { message };
}

/** Reads the definition of a scenario module; an error says what the file lacks, and where, when it can tell. */
async function loadModule(file: string): Promise<{ def: Definition; name: string }> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (e) {
    const { message, where } = locate(e);
    // an error in the scenario itself is prefixed with its line, as compilers do (editors jump to it); elsewhere it is added
    const inFile = where?.at === file;
    const prefix = inFile ? `${file}:${where.line}:${where.column}` : file;
    const suffix = where && !inFile ? ` (at ${where.at}:${where.line}:${where.column})` : '';
    throw new BadInputError(`${prefix}: cannot load scenario: ${message}${suffix}`, {
      file,
      ...(where ? { at: where.at, line: where.line, column: where.column } : {}),
    });
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
