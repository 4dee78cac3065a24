// Finds and loads scenario files for `gravity test`: *.scenario.ts / .js, definition .json, BPMN files.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInputError, type Definition } from '../engine/index.js';
import { loadDefinition, type LoadContext } from './load.js';

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
    if (statSync(abs).isFile() && !SCENARIO.test(abs))
      throw new BadInputError(`${p}: not a scenario file (expected *.scenario.ts, .js, .json or .bpmn)`, { path: p });
    walk(abs);
  }
  return out;
}

/** Loads one scenario file through the definition loader (validated); every problem names the file. */
export async function loadScenario(file: string, ctx: LoadContext): Promise<LoadedScenario> {
  const { def, name } = await loadDefinition(file, ctx);
  return { name, file, definition: def };
}
