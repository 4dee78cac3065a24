// `npm run docs`: regenerates the parts of README.md that the code declares, between marker comments: the task table
// (from each task node's schemas and spec, as `gravity tasks <id>` reads them) and the list of scenario actions with
// their options (from ACTOR_ACTIONS / REMOTE_ACTIONS in workflows/galaxy/scenario.ts, the list the actions check their
// options against). The result is formatted with Prettier, so `prettier --check` passes on it; `--check` only says
// whether README.md is up to date (exit 1 when not). test/docs.test.ts fails when it is not.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import type { TaskRegistry } from '../engine/index.js';
import { taskDoc, verdictText, type FieldDoc, type TaskDoc } from '../cli/commands/tasks.js';
import { createDefaultRegistry } from '../tasks/index.js';
import { ACTION_OPTIONS, ACTOR_ACTIONS, REMOTE_ACTIONS, type ActionSpec } from '../workflows/galaxy/scenario.js';

/** The README this script maintains. */
export const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** The generated regions of the README: `<!-- <name>:begin -->` ... `<!-- <name>:end -->`. */
export const REGIONS = ['tasks', 'scenario-actions'] as const;

/**
 * Text for a markdown list item or, with `cell`, a table cell: code spans kept, and outside them the characters markdown
 * would read as markup (`<tag>`, emphasis, a cell separator) escaped. In a cell `|` is escaped inside code spans too
 * (GFM tables need it there, where a list item would show the backslash).
 */
export function md(text: string, cell = false): string {
  return text
    .replace(/\s+/g, ' ')
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 ? code(part.slice(1, -1), cell) : part.replace(/([\\<>*_|[\]])/g, '\\$1')))
    .join('');
}

/** `s` as a code span; in a table cell, with its `|` escaped. */
function code(s: string, cell = false): string {
  return `\`${cell ? s.replace(/\|/g, '\\|') : s}\``;
}

/** The top-level fields of a task's input or output: `name` when required, `name?` when not. */
function fieldNames(fields: FieldDoc[]): string {
  const top = fields.filter((f) => !/[.[]/.test(f.name));
  return top.length ? top.map((f) => code(f.required ? f.name : `${f.name}?`, true)).join(', ') : '-';
}

/** The task table: one row per task node, in id order. */
export function taskTable(docs: TaskDoc[]): string {
  const rows = docs.map((d) => [
    code(d.task, true),
    md(`${d.title}. ${d.description ?? ''}`.trim(), true),
    fieldNames(d.inputs),
    fieldNames(d.outputs),
    md(verdictText(d.idempotent, d.idempotentWhen), true),
    md(verdictText(d.supervised, d.supervisedWhen), true),
    d.rollback ? 'yes' : '-',
  ]);
  const head = ['task', 'does', 'input', 'output', 'idempotent', 'supervised', 'rollback'];
  return [head, head.map(() => '-'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** A field as a list item: `name` (type, its default; or `argument`): description. */
function fieldItem(f: FieldDoc, argument: boolean): string {
  const facts = argument
    ? ['argument', code(f.type)]
    : [code(f.type), ...(f.default !== undefined ? [`default ${code(JSON.stringify(f.default))}`] : [])];
  return `${code(f.name)} (${facts.join(', ')})${f.description ? `: ${md(f.description)}` : ''}`;
}

/** One action as a list item, with its arguments and options (those of its task's input fields) under it. */
function actionItem(call: string, a: ActionSpec, registry: TaskRegistry): string[] {
  const fields = new Map(taskDoc(registry.get(a.task)).inputs.map((f) => [f.name, f]));
  const field = (name: string) => {
    const f = fields.get(name);
    if (!f) throw new Error(`scenario action ${call}: ${a.task} has no input field "${name}"`);
    return f;
  };
  const params = [...a.args, ...(a.options.length ? [`{ ${a.options.join(', ')} }`] : [])];
  return [
    `- ${code(`${call}(${params.join(', ')})`)}, runs ${code(a.task)}: ${md(a.does)}.`,
    ...a.args.filter((n) => fields.has(n)).map((n) => `  - ${fieldItem(field(n), true)}`),
    ...a.options.map((n) => `  - ${fieldItem(field(n), false)}`),
  ];
}

/** The list of scenario actions and their options. */
export function scenarioActions(registry: TaskRegistry): string {
  return [
    `Every action of an actor also takes ${ACTION_OPTIONS.map((o) => code(o)).join(', ')} in its options, as a task does.`,
    '',
    ...Object.entries(ACTOR_ACTIONS).flatMap(([name, a]) => actionItem(`actor.${name}`, a, registry)),
    ...Object.entries(REMOTE_ACTIONS).flatMap(([name, a]) => actionItem(`remote.${name}`, a, registry)),
  ].join('\n');
}

/** `text` with the region `name` holding `content`; throws when its markers are missing. */
export function replaceRegion(text: string, name: string, content: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no region ${begin} ... ${end}`);
  return `${text.slice(0, from + begin.length)}\n\n${content}\n\n${text.slice(to)}`;
}

/** The README as `npm run docs` writes it: `text` with its generated regions rendered afresh, formatted by Prettier. */
export async function renderReadme(text: string, registry: TaskRegistry = createDefaultRegistry()): Promise<string> {
  let out = replaceRegion(text, 'tasks', taskTable(registry.list().map(taskDoc)));
  out = replaceRegion(out, 'scenario-actions', scenarioActions(registry));
  const options = (await prettier.resolveConfig(README)) ?? {};
  return prettier.format(out, { ...options, filepath: README });
}

/** Writes README.md (or with `--check` only compares); returns the exit code. */
async function main(argv: string[]): Promise<number> {
  const current = await readFile(README, 'utf8');
  const next = await renderReadme(current);
  if (next === current) {
    console.log('README.md is up to date');
    return 0;
  }
  if (argv.includes('--check')) {
    console.error('README.md is out of date: run `npm run docs`');
    return 1;
  }
  await writeFile(README, next);
  console.log('README.md regenerated');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
