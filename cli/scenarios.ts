// Finds and loads scenario files for `gravity test`: *.scenario.ts / .js, definition .json, BPMN files.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BadInputError, type Definition } from '../engine/index.js';
import { loadBpmnFile } from '../bpmn/index.js';

/** A loaded scenario: its name, file and definition. */
export interface LoadedScenario {
  name: string;
  file: string;
  definition: Definition;
}

const SCENARIO = /\.scenario\.(ts|mts|js|mjs|json|bpmn)$/;

/** The example scenarios shipped with gravity (compiled next to this file, or the sources under tsx). */
export function examplesDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return resolve(here, '../workflows/galaxy/examples');
}

/** Scenario files under the given paths (files or folders, recursive; node_modules and dist are skipped). */
export function findScenarioFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== 'node_modules' && e !== '.git' && e !== 'dist') walk(join(p, e));
    } else if (SCENARIO.test(p) && !p.endsWith('.d.ts')) out.push(p);
  };
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new BadInputError(`${p}: no such file or folder`, { path: p });
    if (statSync(abs).isFile() && !SCENARIO.test(abs)) throw new BadInputError(`${p}: not a scenario file (expected *.scenario.ts, .js, .json or .bpmn)`, { path: p });
    walk(abs);
  }
  return out;
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  if (/\.(ts|mts)$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** Loads one scenario file; every problem names the file. */
export async function loadScenario(file: string): Promise<LoadedScenario> {
  try {
    if (file.endsWith('.json')) {
      const definition = JSON.parse(await readFile(file, 'utf8')) as Definition;
      return { name: definition.title ?? definition.id, file, definition };
    }
    if (file.endsWith('.bpmn')) {
      const { definition } = await loadBpmnFile(file);
      return { name: definition.title ?? definition.id, file, definition };
    }
    const mod = await importModule(file);
    const s = (mod.default ?? mod.scenario) as { name?: string; definition?: Definition } | undefined;
    if (!s?.definition) throw new Error('its default export is not a scenario (use `export default scenario({...})`)');
    return { name: s.name ?? basename(file), file, definition: s.definition };
  } catch (e) {
    if (e instanceof BadInputError) throw e;
    throw new BadInputError(`${file}: cannot load scenario: ${(e as Error).message}`, { file });
  }
}
