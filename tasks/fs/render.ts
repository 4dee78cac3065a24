// Renders every `*-dist` template of a tree with handlebars as a task node: all in memory first, then written, inside the run root only.
import Handlebars from 'handlebars';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { writeFileAtomic } from '../support/files.js';
import { confineToRoot, resolvePath } from '../support/paths.js';
import { exists } from './support.js';

/** Input of `fs.render`; a relative dir is taken from the run root. */
export const fsRenderInput = z.strictObject({
  dir: z
    .string()
    .min(1)
    .describe('The folder whose `*-dist` templates are rendered (relative to the run root, or absolute).'),
  vars: z
    .record(z.string(), z.unknown())
    .describe('The variables the templates may use; a missing one fails the step, naming file and variable.'),
  overwrite: z
    .boolean()
    .default(true)
    .describe('Replace rendered files that already exist (default). When false, existing targets are kept.'),
});

/** Output of `fs.render`: the absolute dir and the rendered files, relative to it. */
export const fsRenderOutput = z.object({
  dir: z.string().describe('The absolute folder.'),
  files: z.array(z.string()).describe('The rendered files, relative to `dir`.'),
});

const SUFFIX = '-dist';
const SKIP = new Set(['.git', 'node_modules']);

/** Every file under `dir` whose name ends in `-dist`, skipping .git and node_modules; sorted. */
export async function findTemplates(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) await walk(p);
      } else if (e.isFile() && e.name.endsWith(SUFFIX) && e.name.length > SUFFIX.length) {
        found.push(p);
      }
    }
  };
  await walk(dir);
  return found.sort();
}

/** Turns a handlebars error into one naming the template file (and the variable, when one is missing). */
function templateError(file: string, e: unknown): TaskError {
  const err = e as Error & { lineNumber?: number; column?: number };
  const missing = /^"([^"]+)" not defined in/.exec(err.message ?? '');
  const line = err.lineNumber !== undefined ? ` (line ${err.lineNumber})` : '';
  if (missing) {
    return new TaskError(`${file}: variable "${missing[1]}" is not defined${line}`, {
      file,
      variable: missing[1],
      line: err.lineNumber,
    });
  }
  return new TaskError(`${file}: template error: ${err.message}`, { file, line: err.lineNumber });
}

/**
 * Renders `foo.conf-dist` into `foo.conf` for every template under `dir`; strict: a missing variable fails. Templates are
 * only read (they may be anywhere); every rendered file must land inside the run root, or nothing is written.
 */
export const fsRender = defineTask({
  id: 'fs.render',
  title: 'Render templates',
  description:
    'Renders every *-dist file under a folder with handlebars (strict mode: a missing variable names the file and the variable) into the same path without -dist; all or nothing. Writes confined to the run root: every rendered file (the templates may be anywhere).',
  input: fsRenderInput,
  output: fsRenderOutput,
  idempotent: true,
  plan: (i) => [`render ${i.dir}/**/*${SUFFIX} with ${Object.keys(i.vars).sort().join(', ') || 'no variables'}`],
  async run(ctx) {
    const dir = resolvePath(ctx.root, ctx.input.dir);
    if (!(await exists(dir)) || !(await stat(dir)).isDirectory()) {
      throw new TaskError(`cannot render templates in ${dir}: not a directory`, { dir });
    }
    const hb = Handlebars.create();
    const rendered: { target: string; content: string; mode: number }[] = [];
    const errors: TaskError[] = [];
    for (const file of await findTemplates(dir)) {
      const target = file.slice(0, -SUFFIX.length);
      if (!ctx.input.overwrite && (await exists(target))) {
        ctx.log.info(`kept existing ${relative(dir, target)}`);
        continue;
      }
      const source = await readFile(file, 'utf8');
      try {
        const content = hb.compile(source, { noEscape: true, strict: true })(ctx.input.vars);
        rendered.push({ target, content, mode: (await stat(file)).mode & 0o7777 });
      } catch (e) {
        errors.push(templateError(file, e));
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new TaskError(`${errors.length} templates failed:\n${errors.map((e) => `  ${e.message}`).join('\n')}`, {
        errors: errors.map((e) => e.details),
      });
    }
    // Every target checked inside the run root before anything is written (all or nothing); then each one is checked
    // again right before it is written, and written through its real path.
    const confine = (target: string) =>
      confineToRoot(ctx.root, join(ctx.input.dir, relative(dir, target)), {
        task: 'fs.render',
        param: 'target',
        origin: ctx.rootOrigin,
      });
    for (const r of rendered) await confine(r.target);
    for (const r of rendered) await writeFileAtomic(await confine(r.target), r.content, r.mode);
    const files = rendered.map((r) => relative(dir, r.target));
    ctx.log.info(`rendered ${files.length} file(s) in ${dir}`, { files });
    return { dir, files };
  },
});
