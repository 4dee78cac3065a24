// `gravity tasks [id]`: the task nodes of the registry, and one task's inputs and outputs read from its schemas (each
// field's type, whether it is required, its default and its description). The README's task table is rendered from the
// same reading (scripts/docs.ts), so the docs and the CLI cannot say different things.
import { z } from 'zod';
import type { TaskDefinition, TaskRegistry } from '../../engine/index.js';
import type { App } from '../app.js';
import { Exit, print, table } from '../format.js';

/** The answer of a task's `isIdempotent` / `isSupervised`: a constant, or one that depends on the input. */
export type Verdict = boolean | 'depends on the input';

/** One field of a task's input or output (a nested one is named by its path: `remotes.<key>.files`, `checks[].tool`). */
export interface FieldDoc {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
}

/** What `gravity tasks <id>` shows, and what the README's task table is made of. */
export interface TaskDoc {
  task: string;
  title: string;
  description?: string;
  idempotent: Verdict;
  /** When idempotence depends on the input: on what (the `idempotent` meta of the input schema). */
  idempotentWhen?: string;
  supervised: Verdict;
  /** When supervision depends on the input: on what (the `supervised` meta of the input schema). */
  supervisedWhen?: string;
  /** Whether `gravity rollback` undoes it (the task has a compensation). */
  rollback: boolean;
  timeoutMs?: number;
  inputs: FieldDoc[];
  outputs: FieldDoc[];
  /** What `--dry-run` shows for an example input made of the required fields (absent when none could be made). */
  plan?: { input: Record<string, unknown>; lines: string[] };
}

/** The part of a JSON Schema (as `z.toJSONSchema` writes it) this module reads. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  [key: string]: unknown;
}

/** The JSON Schema of a task's input (as an author writes it: defaulted fields are optional) or output. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // transforms and refinements cannot be said in JSON Schema: their base type is shown
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
}

const literal = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** A field's type in TypeScript-like words: `string`, `'soft' | 'mixed'`, `string[]`, `record<string, string>`. */
export function typeOf(s: JsonSchema): string {
  const union = s.anyOf ?? s.oneOf;
  if (union) return [...new Set(union.map(typeOf))].join(' | ');
  if (s.allOf?.length === 1) return typeOf(s.allOf[0]);
  if ('const' in s) return literal(s.const);
  if (s.enum) return s.enum.map(literal).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((t) => typeOf({ ...s, type: t })).join(' | ');
  switch (s.type) {
    case 'array': {
      const item = s.items ? typeOf(s.items) : 'unknown';
      return item.includes(' ') ? `(${item})[]` : `${item}[]`;
    }
    case 'object':
      if (s.properties) return 'object';
      return typeof s.additionalProperties === 'object'
        ? `record<string, ${typeOf(s.additionalProperties)}>`
        : 'object';
    case undefined:
      return 'unknown';
    default:
      return s.type;
  }
}

/** The object schema holding the fields under `s` (itself, its record values or its array items), if any. */
function fieldsHolder(s: JsonSchema): { schema: JsonSchema; prefix: string } | undefined {
  if (s.properties) return { schema: s, prefix: '.' };
  if (s.type === 'object' && typeof s.additionalProperties === 'object' && s.additionalProperties.properties)
    return { schema: s.additionalProperties, prefix: '.<key>.' };
  if (s.type === 'array' && s.items?.properties) return { schema: s.items, prefix: '[].' };
  const union = (s.anyOf ?? s.oneOf)?.filter((m) => m.type !== 'null');
  return union?.length === 1 ? fieldsHolder(union[0]) : undefined;
}

/** The fields of an object schema, each nested object's fields after it (named by their path). */
export function fieldsOf(s: JsonSchema, path = ''): FieldDoc[] {
  const required = new Set(s.required ?? []);
  return Object.entries(s.properties ?? {}).flatMap(([key, field]) => {
    const name = `${path}${key}`;
    const nested = fieldsHolder(field);
    return [
      {
        name,
        type: typeOf(field),
        required: required.has(key),
        ...(field.default !== undefined ? { default: field.default } : {}),
        ...(field.description ? { description: field.description } : {}),
      },
      ...(nested ? fieldsOf(nested.schema, `${name}${nested.prefix}`) : []),
    ];
  });
}

/**
 * Whether `decide` (a task's `isIdempotent` or `isSupervised`) answers the same whatever the input: it is called with
 * an input that notes every read; one that reads its input depends on it.
 */
export function verdictOf(decide: (input: unknown) => boolean): Verdict {
  let read = false;
  const handler: ProxyHandler<object> = {
    get: (_t, key) => {
      read = true;
      return key === Symbol.toPrimitive ? () => '' : new Proxy(() => undefined, handler);
    },
    has: () => ((read = true), false),
    ownKeys: () => ((read = true), []),
  };
  try {
    const answer = decide(new Proxy({}, handler));
    return read ? 'depends on the input' : answer;
  } catch {
    return 'depends on the input';
  }
}

/** A value of a field's type, for the plan example: the field name as a placeholder where a string goes. */
function exampleOf(name: string, s: JsonSchema, placeholder: (name: string) => string): unknown {
  const union = s.anyOf ?? s.oneOf;
  if (union) return exampleOf(name, union[0], placeholder);
  if ('const' in s) return s.const;
  if (s.enum) return s.enum[0];
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case 'string':
      return placeholder(name);
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return s.properties ? exampleInput(s, placeholder) : {};
    default:
      return placeholder(name);
  }
}

function exampleInput(s: JsonSchema, placeholder: (name: string) => string): Record<string, unknown> {
  return Object.fromEntries((s.required ?? []).map((k) => [k, exampleOf(k, s.properties?.[k] ?? {}, placeholder)]));
}

/** The plan of an example input (the required fields, strings as `<name>`, else `name`); undefined if none passes. */
function planExample(t: TaskDefinition, input: JsonSchema): TaskDoc['plan'] {
  for (const placeholder of [(n: string) => `<${n}>`, (n: string) => n]) {
    const example = exampleInput(input, placeholder);
    const parsed = t.input.safeParse(example);
    if (!parsed.success) continue;
    try {
      return { input: example, lines: t.plan(parsed.data) };
    } catch {
      // a plan that needs a more real input than placeholders: no example
    }
  }
  return undefined;
}

/** Everything the schemas and the spec of a task say about it. */
export function taskDoc(t: TaskDefinition): TaskDoc {
  const input = jsonSchemaOf(t.input, 'input');
  const meta = (t.input.meta() ?? {}) as { idempotent?: unknown; supervised?: unknown };
  const idempotent = verdictOf((i) => t.isIdempotent(i));
  const supervised = verdictOf((i) => t.isSupervised(i));
  const plan = planExample(t, input);
  return {
    task: t.id,
    title: t.title,
    ...(t.description ? { description: t.description } : {}),
    idempotent,
    ...(idempotent === 'depends on the input' && typeof meta.idempotent === 'string'
      ? { idempotentWhen: meta.idempotent }
      : {}),
    supervised,
    ...(supervised === 'depends on the input' && typeof meta.supervised === 'string'
      ? { supervisedWhen: meta.supervised }
      : {}),
    rollback: !!t.compensate,
    ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}),
    inputs: fieldsOf(input),
    outputs: fieldsOf(jsonSchemaOf(t.output, 'output')),
    ...(plan ? { plan } : {}),
  };
}

/** `yes`, `no`, or `depends on the input: <when>`. */
export function verdictText(v: Verdict, when?: string): string {
  if (v === 'depends on the input') return when ? `${v}: ${when}` : v;
  return v ? 'yes' : 'no';
}

const oneLine = (v: unknown) => JSON.stringify(v);

/** The fields table of `gravity tasks <id>`. */
function formatFields(fields: FieldDoc[]): string {
  if (!fields.length) return '  (none)';
  return table([
    ['name', 'type', 'required', 'default', 'description'],
    ...fields.map((f) => [
      f.name,
      f.type,
      f.required ? 'yes' : 'no',
      f.default !== undefined ? oneLine(f.default) : '-',
      f.description ?? '',
    ]),
  ])
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** The human text of `gravity tasks <id>`. */
export function formatTaskDoc(d: TaskDoc): string {
  return [
    `${d.task} — ${d.title}`,
    ...(d.description ? [d.description] : []),
    '',
    `idempotent: ${verdictText(d.idempotent, d.idempotentWhen)}`,
    `supervised: ${verdictText(d.supervised, d.supervisedWhen)}`,
    `rollback: ${d.rollback ? 'yes (it has a compensation)' : 'no'}`,
    ...(d.timeoutMs !== undefined ? [`timeout: ${d.timeoutMs} ms per attempt`] : []),
    '',
    'inputs:',
    formatFields(d.inputs),
    '',
    'outputs:',
    formatFields(d.outputs),
    ...(d.plan ? ['', `plan (dry run) of ${oneLine(d.plan.input)}:`, ...d.plan.lines.map((l) => `  $ ${l}`)] : []),
  ].join('\n');
}

/** The task nodes of a registry, as `gravity tasks` lists them. */
export function taskList(registry: TaskRegistry): Array<{ task: string; title: string; description?: string }> {
  return registry.list().map((t) => ({
    task: t.id,
    title: t.title,
    ...(t.description ? { description: t.description } : {}),
  }));
}

/**
 * `gravity tasks [id]`: the task nodes (`--json`: `[{ task, title, description? }]`), or one task's inputs, outputs,
 * idempotence, supervision, rollback and plan example (`--json`: its TaskDoc). An unknown id exits 2 with the closest.
 */
export async function tasksCommand(app: App, id: string | undefined, o: { json?: boolean }): Promise<number> {
  const registry = await app.registry();
  if (id === undefined) {
    const rows = taskList(registry);
    print(o.json, table([['task', 'title'], ...rows.map((r) => [r.task, r.title])]), rows);
    return Exit.Ok;
  }
  // throws UnknownTaskError (exit 2) naming the closest ids
  const doc = taskDoc(registry.get(id));
  print(o.json, formatTaskDoc(doc), doc);
  return Exit.Ok;
}
