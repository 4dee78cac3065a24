// The shapes that check stored run records and journal lines without zod (engine/shape.ts, engine/journal.ts) accept
// and refuse exactly what the zod schemas (engine/record-schemas.ts) do, with the same issues (paths, messages, order):
// each field of a valid record and line is set, one at a time and nested, to values of every kind.
import { describe, expect, it } from 'vitest';
import { journalEntrySchema, runRecordSchema } from '../../engine/index.js';
import { journalEntryShape, runRecordShape } from '../../engine/journal.js';
import { shapeIssues } from '../../engine/shape.js';

const record = {
  id: 'r1',
  workflow: 'w',
  title: 't',
  definitionHash: 'h',
  source: { kind: 'file', ref: 'x.json', mappings: { a: 'b' } },
  params: { p: 1 },
  status: 'failed',
  pid: 1,
  pidStart: 2,
  host: 'h',
  parent: 'p',
  createdAt: 'c',
  updatedAt: 'u',
  finishedAt: 'f',
  output: { o: 1 },
  error: { name: 'E', code: 'C', message: 'm', details: { d: 1 }, step: 's' },
  attention: { message: 'm', steps: ['a'] },
  root: '/r',
};
const entry = {
  type: 'task.failed',
  at: 'a',
  step: 's',
  task: 't',
  attempt: 1,
  idempotent: true,
  supervised: false,
  input: 1,
  output: 2,
  error: { name: 'E', code: 'C', message: 'm', details: {} },
  durationMs: 1,
  delayMs: 2,
  pid: 3,
  command: ['git', 'status'],
  child: 'c',
  message: 'm',
  finishedAt: 'f',
};

class Thing {
  x = 1;
}
const kinds: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'running',
  0,
  -1.5,
  NaN,
  Infinity,
  -Infinity,
  true,
  false,
  [],
  ['a'],
  [1, 'a', null],
  {},
  { a: 1 },
  { a: 'b', c: 2 },
  Object.create(null),
  new Thing(),
  new Date(0),
  { name: 1, code: 'C', message: null, details: [] },
  { message: 'm', steps: [1] },
  { kind: 'nope', mappings: { a: 1 } },
  { [Symbol('s')]: 1 },
  { length: 0 },
  { length: 'x' },
  '\ud83d\ude00',
];

/** The value with the field at `path` set to `v` (deleted for `undefined` too: absent and undefined both). */
function setAt(base: unknown, path: string[], v: unknown): unknown {
  if (!path.length) return v;
  const copy = { ...(base as Record<string, unknown>) };
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), v);
  return copy;
}

/** Every path to a field of `v`, objects walked into. */
function paths(v: unknown, at: string[] = []): string[][] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v).flatMap(([k, x]) => [[...at, k], ...paths(x, [...at, k])]);
}

/** The variants of a valid value: itself, each kind in place of the whole, of each field, and one unknown field. */
function variants(valid: Record<string, unknown>): unknown[] {
  const out: unknown[] = [valid, ...kinds, { ...valid, addedLater: true }];
  for (const p of paths(valid)) for (const k of kinds) out.push(setAt(valid, p, k));
  // several issues at once: the order and the "and n more" of the message
  out.push({ ...valid, id: 1, status: 'x', createdAt: null, source: null, type: 3, at: [] });
  const absent = { ...valid };
  delete absent.id;
  delete absent.at;
  out.push(absent);
  return out;
}

const zodIssues = (schema: typeof runRecordSchema | typeof journalEntrySchema, v: unknown) => {
  const r = schema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path, message: i.message }));
};

describe('the shapes of stored run data', () => {
  it.each([
    ['a run record', runRecordShape, runRecordSchema, record],
    ['a journal entry', journalEntryShape, journalEntrySchema, entry],
  ] as const)('%s: the same verdict and issues as its zod schema, for every variant', (_, shape, schema, valid) => {
    const vs = variants(valid);
    expect(vs.length).toBeGreaterThan(400);
    for (const v of vs) expect(shapeIssues(shape, v), JSON.stringify(v) ?? String(v)).toEqual(zodIssues(schema, v));
    // the variants do reach both verdicts
    expect(vs.filter((v) => shapeIssues(shape, v).length === 0).length).toBeGreaterThan(10);
  });

  it('every status and journal type is accepted, anything else named with the list', () => {
    for (const status of runRecordSchema.shape.status.options)
      expect(shapeIssues(runRecordShape, { ...record, status })).toEqual([]);
    for (const type of journalEntrySchema.shape.type.options)
      expect(shapeIssues(journalEntryShape, { ...entry, type })).toEqual([]);
    expect(shapeIssues(runRecordShape, { ...record, status: 'exploded' })[0].message).toMatch(
      /^Invalid option: expected one of "running"\|"succeeded"/,
    );
  });
});
