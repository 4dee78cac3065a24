// The run root: the folder a run's file tasks resolve relative paths from and may not write outside of. `--root`
// (default: the current directory), unless the workflow declares its own (`root` in the definition): evaluated here.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Definition } from './definition.js';
import { BadInputError } from './errors.js';
import { evaluateExpression, isExpression } from './expressions.js';
import type { RunRecord } from './journal.js';
import type { EngineOptions } from './run-types.js';

/** `params` with every param declared `path: true` made absolute, relative values taken from `base`. */
export function absolutePathParams(def: Definition, params: Record<string, unknown>, base: string) {
  const out = { ...params };
  for (const [name, spec] of Object.entries(def.params ?? {})) {
    const v = out[name];
    if (spec.path === true && typeof v === 'string' && v !== '') out[name] = resolve(base, v);
  }
  return out;
}

/**
 * The folder `def` declares as its run root, evaluated over `params` (FEEL when it starts with `=`) and resolved from
 * `base`; undefined when it declares none. A value that is not a path, or names no existing folder, is refused with a
 * BadInputError naming the workflow, the declaration and the value.
 */
export async function declaredRoot(
  def: Definition,
  params: Record<string, unknown>,
  base: string,
): Promise<string | undefined> {
  if (def.root === undefined) return undefined;
  const declared = `root (${String(def.root)})`;
  let value: unknown;
  try {
    value = isExpression(def.root) ? evaluateExpression(def.root, { ...params, params }, 'root') : def.root;
  } catch (e) {
    throw new BadInputError(`${def.id}: cannot evaluate its ${declared}: ${(e as Error).message}`, {
      workflow: def.id,
      root: def.root,
    });
  }
  if (typeof value !== 'string' || value === '')
    throw new BadInputError(`${def.id}: its ${declared} gave ${JSON.stringify(value)}, not a folder path`, {
      workflow: def.id,
      root: def.root,
      value,
    });
  const path = resolve(base, value);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isDirectory())
    throw new BadInputError(
      `${def.id}: its ${declared} is ${path}${path === value ? '' : ` (from ${JSON.stringify(value)})`}, which ${st ? 'is not a folder' : 'does not exist'}; the run is not started`,
      { workflow: def.id, root: def.root, value: path },
    );
  return path;
}

/** The engine options a run executes with: `engine`, with `root` as its root when the run has its own (declared). */
export function withRunRoot(engine: EngineOptions, root: string | undefined, workflow: string): EngineOptions {
  return root === undefined ? engine : { ...engine, root, rootOrigin: `declared by ${workflow}` };
}

/**
 * What a run starts with: its params (path params made absolute from the root it starts in), its declared root (to
 * record) and the engine options it executes with (its children inherit them).
 */
export async function startingRoot(
  engine: EngineOptions,
  def: Definition,
  params: Record<string, unknown>,
): Promise<{ params: Record<string, unknown>; root?: string; engine: EngineOptions }> {
  const base = engine.root ?? process.cwd();
  const absolute = absolutePathParams(def, params, base);
  const root = await declaredRoot(def, absolute, base);
  return { params: absolute, ...(root ? { root } : {}), engine: withRunRoot(engine, root, def.id) };
}

/** The engine options a stored run resumes or rolls back with: its recorded root, when it has one. */
export function engineOfRun(engine: EngineOptions, record: Pick<RunRecord, 'root' | 'workflow'>): EngineOptions {
  return withRunRoot(engine, record.root, record.workflow);
}
