// env.homepage: writes the static homepage of one environment (http://<env>.<platform>.<domain>/): its sites with their
// URLs, its machines with their addresses and states when it was generated, its tools; one self-contained HTML file,
// every text escaped, well-formed (checked as XML before it is installed).
import { XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { envHost, envModel, machineOf, siteHost, type EnvModel } from './model.js';
import { installedOutput, installGenerated, restoreGenerated } from './support.js';

export const envHomepageInput = z.strictObject({
  model: envModel.describe('The environment: platform, env, domain, machines (with their states), sites and tools.'),
  path: z
    .string()
    .min(1)
    .default('index.html')
    .describe('Where the page is written (relative to the run root); it must be inside the run root.'),
  generatedAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('The generation time the page shows (ISO 8601); default: now. The states are those of that time.'),
});
export type EnvHomepageInput = z.output<typeof envHomepageInput>;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `s` as HTML text or attribute value: `& < > " '` escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** http://<env>.<platform>.<domain>/: the homepage's own address. */
export const homepageUrl = (m: EnvModel) => `http://${envHost(m)}/`;
/** http://<site>.<env>.<platform>.<domain>/ */
export const siteUrl = (m: EnvModel, site: string) => `http://${siteHost(m, site)}/`;
/** http://<machine ip>:<port><path>: where a tool answers (the address the Apache proxy forwards to). */
export const toolUrl = (m: EnvModel, t: EnvModel['tools'][number]) =>
  `http://${machineOf(m, t.machine).ip}:${t.port}${t.path}`;

const STYLE = `body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }
th, td { text-align: left; padding: 0.3em 0.6em; border-bottom: 1px solid #ddd; }
th { background: #f4f4f4; }
.muted { color: #666; }
code { font-size: 0.95em; }`;

const link = (url: string) => `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
const row = (cells: string[]) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;

/** A table with `head` and `rows` (cells already HTML), or a line saying there is none. */
function table(head: string[], rows: string[][], none: string): string[] {
  if (rows.length === 0) return [`<p class="muted">${escapeHtml(none)}</p>`];
  return [
    '<table>',
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map(row),
    '</tbody>',
    '</table>',
  ];
}

/** The page for `m`, generated at `at` (an ISO time): deterministic for the same model and time. */
export function renderHomepage(m: EnvModel, at: string): string {
  const host = envHost(m);
  const e = escapeHtml;
  const when = new Date(at);
  if (Number.isNaN(when.getTime())) throw new TaskError(`env.homepage: generatedAt: not a time: ${at}`);
  const iso = when.toISOString().replace(/\.000Z$/, 'Z');
  const shown = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  const machine = (name: string) => {
    const mc = machineOf(m, name);
    return `${e(mc.name)} <span class="muted">(${e(mc.ip)})</span>`;
  };
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    '<meta name="generator" content="gravity env.homepage" />',
    `<title>${e(host)}</title>`,
    '<style>',
    STYLE,
    '</style>',
    '</head>',
    '<body>',
    `<h1>${e(host)}</h1>`,
    `<p>Environment <strong>${e(m.env)}</strong> of the platform <strong>${e(m.platform)}</strong>, at ${link(homepageUrl(m))}. Generated at <time datetime="${e(iso)}">${e(shown)}</time>; the states of the machines are those of that time.</p>`,
    '<h2>Sites</h2>',
    ...table(
      ['Site', 'URL', 'Machine'],
      m.sites.map((s) => [
        s.title ? `${e(s.title)} <span class="muted">(${e(s.name)})</span>` : e(s.name),
        link(siteUrl(m, s.name)),
        `${machine(s.machine)}, port ${s.port}`,
      ]),
      'No sites.',
    ),
    '<h2>Machines</h2>',
    ...table(
      ['Machine', 'Kind', 'Address', 'State'],
      m.machines.map((mc) => [
        `<code>${e(mc.name)}</code>`,
        e(mc.kind),
        e(mc.ip),
        mc.state ? e(mc.state) : '<span class="muted">unknown</span>',
      ]),
      'No machines.',
    ),
    '<h2>Tools</h2>',
    ...table(
      ['Tool', 'URL', 'Machine'],
      m.tools.map((t) => [e(t.name), link(toolUrl(m, t)), machine(t.machine)]),
      'No tools.',
    ),
    `<p class="muted">Written by gravity (env.homepage). Generate it again rather than edit it.</p>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Refuses a page that is not well-formed (it is by construction: this guards the construction). */
export function checkWellFormed(html: string, path: string): void {
  const r = XMLValidator.validate(html);
  if (r !== true)
    throw new TaskError(
      `env.homepage: the page generated for ${path} is not well-formed (line ${r.err.line}, column ${r.err.col}: ${r.err.msg}); nothing was installed`,
      { path, ...r.err },
    );
}

/** Writes the homepage of an environment. */
export const envHomepage = defineTask({
  id: 'env.homepage',
  title: 'Write the homepage of an environment',
  description:
    'Writes the static homepage of one environment (http://<env>.<platform>.<domain>/): one self-contained HTML file (no external asset) listing its sites with their URLs (http://<site>.<env>.<platform>.<domain>/), its machines with their addresses and their states at generation time, and its tools with their URLs (http://<machine ip>:<port><path>), with the generation time (`generatedAt`, default now). Every text is HTML-escaped and the page is checked well-formed before it is renamed into place (atomic); the same model and time give the same bytes. Rollback puts the previous page back (or removes it). Writes confined to the run root: `path`.',
  input: envHomepageInput,
  output: z.object({
    ...installedOutput,
    url: z.string().describe('The address the page is for.'),
    generatedAt: z.string().describe('The generation time the page shows.'),
  }),
  idempotent: true,
  plan: (i) => [
    `write the homepage of ${envHost(i.model)} to ${i.path}: ${i.model.sites.length} site(s), ${i.model.machines.length} machine(s), ${i.model.tools.length} tool(s)`,
  ],
  async run(ctx) {
    const at = ctx.input.generatedAt ?? new Date().toISOString();
    const content = renderHomepage(ctx.input.model, at);
    const r = await installGenerated(ctx, {
      task: 'env.homepage',
      param: 'path',
      path: ctx.input.path,
      content,
      validate: async (c) => checkWellFormed(content, c.target),
    });
    ctx.log.info(`${r.changed ? 'wrote' : 'unchanged:'} ${r.path} (homepage of ${envHost(ctx.input.model)})`);
    return { ...r, url: homepageUrl(ctx.input.model), generatedAt: at };
  },
  async compensate(ctx) {
    await restoreGenerated(ctx, { ...ctx.output, wrote: renderHomepage(ctx.input.model, ctx.output.generatedAt) });
  },
});
