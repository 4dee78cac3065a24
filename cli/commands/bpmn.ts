// BPMN commands: export (one workflow or the whole catalog), import, strict validate.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BadInputError, parseParamPairs } from '../../engine/index.js';
import {
  defaultDialect,
  dialectNamed,
  dialectNames,
  dialects,
  exportBpmn,
  formatProblems,
  loadBpmnFile,
  orList,
  validateBpmnFile,
  type DialectName,
} from '../../bpmn/index.js';
import type { App } from '../app.js';
import { Exit, print } from '../format.js';

/** The choices of `--dialect`: every dialect's name, in the order bpmn/dialects lists them. */
export const DIALECT_CHOICES: readonly DialectName[] = dialectNames;

/** Help of `export --dialect`: `gravity (default), camunda7 (Kytes) or zeebe`. */
export const EXPORT_DIALECT_HELP = orList(
  dialects.map((d) => `${d.name}${d.exportDefault ? ' (default)' : ''}${d.note ? ` (${d.note})` : ''}`),
);

/** How `import` names the dialects it reads: `gravity, Camunda 7 or Zeebe`. */
export const IMPORT_DIALECTS = orList(dialects.map((d) => d.title));

/** The dialect `--dialect` names (the default one when absent); a BadInputError for an unknown one. */
function checkDialect(d: string | undefined): DialectName {
  return d === undefined ? defaultDialect.name : dialectNamed(d).name;
}

/** Writes a file atomically (temp + rename): an interrupted export never leaves half a file. */
async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** `gravity export <workflow> [--dialect d] [-o file]` and `gravity export --all -o dir/`. */
export async function exportCommand(
  app: App,
  ref: string | undefined,
  o: { dialect?: string; output?: string; all?: boolean; json?: boolean },
): Promise<number> {
  const dialect = checkDialect(o.dialect);
  if (o.all) {
    if (!o.output) throw new BadInputError('export --all needs -o <dir>');
    const dir = resolve(o.output);
    const written: string[] = [];
    for (const def of (await app.catalog()).workflows) {
      const file = join(
        dir,
        `${def.id.replace(/:/g, '-')}${dialect === defaultDialect.name ? '' : `.${dialect}`}.bpmn`,
      );
      await writeAtomic(file, await exportBpmn(def, { dialect }));
      written.push(file);
    }
    print(o.json, written.map((f) => `wrote ${f}`).join('\n'), { dialect, files: written });
    return Exit.Ok;
  }
  if (!ref) throw new BadInputError('export needs a workflow (or --all -o <dir>)');
  const { def } = await app.load(ref);
  const xml = await exportBpmn(def, { dialect });
  if (o.output) {
    await writeAtomic(resolve(o.output), xml);
    print(o.json, `wrote ${o.output} (${def.id}, ${dialect} dialect)`, {
      workflow: def.id,
      dialect,
      file: resolve(o.output),
    });
  } else process.stdout.write(xml);
  return Exit.Ok;
}

/** `--map id=task` pairs. */
export const mappingsOf = (pairs?: string[]) => parseParamPairs(pairs ?? []);

/** `gravity import <file.bpmn> [--as id] [--map el=task] [-o file.json]`: prints (or writes) the definition. */
export async function importCommand(
  app: App,
  file: string,
  o: { as?: string; map?: string[]; dialect?: string; output?: string; json?: boolean },
): Promise<number> {
  const { definition, warnings, dialect } = await loadBpmnFile(file, {
    as: o.as,
    mappings: mappingsOf(o.map),
    ...(o.dialect ? { dialect: checkDialect(o.dialect) } : {}),
  });
  for (const w of warnings) process.stderr.write(`warning: ${formatProblems(file, [w])}\n`);
  const text = `${JSON.stringify(definition, null, 2)}\n`;
  if (o.output) {
    await writeAtomic(resolve(o.output), text);
    print(
      o.json,
      `wrote ${o.output}: ${definition.id} (${dialect} dialect, ${warnings.length} warning(s)); run it with: gravity run ${o.output}`,
      { workflow: definition.id, dialect, file: resolve(o.output), warnings },
    );
  } else process.stdout.write(text);
  return Exit.Ok;
}

/** `gravity validate <file.bpmn>`: every problem with element id, type and line; exit 2 when any. */
export async function validateCommand(app: App, file: string, o: { map?: string[]; json?: boolean }): Promise<number> {
  const { problems, notes } = await validateBpmnFile(file, await app.registry(), { mappings: mappingsOf(o.map) });
  const noted = notes.length ? `${formatProblems(file, notes).replace(/\) /g, ') note: ')}\n` : '';
  print(
    o.json,
    problems.length
      ? `${noted}${formatProblems(file, problems)}\n✖ ${problems.length} problem(s)`
      : `${noted}✔ ${file} is valid and runs here`,
    { file, valid: problems.length === 0, problems, notes },
  );
  return problems.length ? Exit.BadInput : Exit.Ok;
}
