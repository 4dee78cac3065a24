// gitlab.configure: the instance's settings in its gitlab.rb (external_url, the address nginx listens on), as a block
// gravity manages at the end of the file (GitLab's later settings win), written atomically; the rest is left as it is.
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { errnoCode } from '../support/files.js';
import { confineToRoot } from '../support/paths.js';

const BEGIN = '# BEGIN gravity: managed by gravity (gitlab:commission), edit outside this block';
const END = '# END gravity';

/** A Ruby single-quoted string literal. */
const rubyString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** `text` with gravity's block (re)placed at its end. */
export function withManagedBlock(text: string, lines: string[]): string {
  const start = text.indexOf(BEGIN);
  let rest = text;
  if (start >= 0) {
    const end = text.indexOf(END, start);
    rest = text.slice(0, start) + (end >= 0 ? text.slice(end + END.length).replace(/^\n/, '') : '');
  }
  const body = rest.length && !rest.endsWith('\n') ? `${rest}\n` : rest;
  return `${body}${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** Sets external_url (and nginx's listen address) in gitlab.rb. */
export const gitlabConfigure = defineTask({
  id: 'gitlab.configure',
  title: 'Configure an instance',
  description:
    "Writes external_url (and, for an instance on the host network, nginx['listen_addresses']) into <config>/gitlab.rb, in a block gravity manages at the end of the file (GitLab takes the last setting), atomically, keeping the file's mode. Run `gitlab-ctl reconfigure` after it.",
  input: z.strictObject({
    config: z.string().min(1).describe('The folder mounted as /etc/gitlab.'),
    url: z
      .string()
      .regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, 'http(s)://host[:port]')
      .describe('The external URL.'),
    listen: z
      .string()
      .regex(/^[\d.]+$/, 'an IPv4 address')
      .nullable()
      .optional()
      .describe("nginx['listen_addresses'] (host network); null or absent: not set."),
  }),
  output: z.object({
    file: z.string().describe('The gitlab.rb written.'),
    changed: z.boolean().describe('False when it held these settings already.'),
  }),
  idempotent: true,
  plan: (i) => [`set external_url '${i.url}' in ${i.config}/gitlab.rb`],
  async run(ctx) {
    const dir = await confineToRoot(ctx.root, ctx.input.config, {
      task: 'gitlab.configure',
      param: 'config',
      origin: ctx.rootOrigin,
    });
    const file = join(dir, 'gitlab.rb');
    let text = '';
    let mode = 0o600;
    try {
      text = await readFile(file, 'utf8');
      mode = (await stat(file)).mode & 0o7777;
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    const lines = [`external_url ${rubyString(ctx.input.url)}`];
    if (ctx.input.listen) lines.push(`nginx['listen_addresses'] = [${rubyString(ctx.input.listen)}]`);
    const next = withManagedBlock(text, lines);
    if (next === text) return { file, changed: false };
    const tmp = `${file}.gravity-${process.pid}`;
    try {
      await writeFile(tmp, next, { mode });
      await chmod(tmp, mode);
      await rename(tmp, file);
    } catch (e) {
      throw new TaskError(`cannot write ${file}: ${(e as Error).message}`, { file });
    }
    return { file, changed: true };
  },
});
