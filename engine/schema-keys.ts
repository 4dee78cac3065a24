// Strict inputs: every object a task input (or any input an author writes) may hold refuses keys it does not know, and
// the refusal names the key and the closest one it knows. Zod says "Unrecognized key"; these helpers find, from the
// schema, which keys were known at the issue's path, and which objects of a schema would drop unknown keys silently.
import type { z } from 'zod';
import { closest } from './errors.js';

/** Zod's internal definition of a schema (zod 4: `schema._zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  getter?: () => z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas directly inside `s` that a value at `key` of its value is checked by (all of them when key is undefined). */
function children(s: z.ZodType, key?: PropertyKey): z.ZodType[] {
  const d = defOf(s);
  switch (d.type) {
    case 'object':
      if (key === undefined) return Object.values(d.shape ?? {});
      return typeof key === 'string' && d.shape && key in d.shape ? [d.shape[key]] : [];
    case 'array':
      return d.element && (key === undefined || typeof key === 'number') ? [d.element] : [];
    case 'tuple':
      if (key === undefined) return [...(d.items ?? []), ...(d.rest ? [d.rest] : [])];
      return typeof key === 'number' ? [d.items?.[key] ?? d.rest].filter((x): x is z.ZodType => !!x) : [];
    case 'record':
      return d.valueType ? [d.valueType] : [];
    default:
      return [];
  }
}

/** The schemas `s` stands for, through wrappers (optional, default, pipe, union...): the ones that check a value's shape. */
function shapes(s: z.ZodType, seen = new Set<z.ZodType>()): z.ZodType[] {
  if (seen.has(s)) return [];
  seen.add(s);
  const d = defOf(s);
  const inner = [d.innerType, d.in, d.out, d.left, d.right, ...(d.options ?? [])].filter((x): x is z.ZodType => !!x);
  if (d.type === 'lazy' && d.getter) inner.push(d.getter());
  if (inner.length) return inner.flatMap((x) => shapes(x, seen));
  return [s];
}

/** The keys an object at `path` of a value checked by `schema` may hold (empty when no object schema is there). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let here = shapes(schema);
  for (const key of path) here = here.flatMap((s) => children(s, key)).flatMap((s) => shapes(s));
  return [
    ...new Set(here.flatMap((s) => (defOf(s).type === 'object' ? Object.keys(defOf(s).shape ?? {}) : []))),
  ].sort();
}

/**
 * The keys written in `value` (a task input as a definition holds it: literals, and `=FEEL` strings that are only known
 * when the step runs) that the objects of `schema` at their places do not know; each with its path and the closest
 * known key. Only objects whose every schema there is strict are checked (a record, or an open object, takes any key).
 */
export function unknownKeys(
  schema: z.ZodType,
  value: unknown,
): Array<{ path: PropertyKey[]; key: string; near?: string; known: string[] }> {
  const out: Array<{ path: PropertyKey[]; key: string; near?: string; known: string[] }> = [];
  const stack: Array<{ v: unknown; path: PropertyKey[] }> = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, path: [...path, i] }));
    else if (v && typeof v === 'object') {
      let here = shapes(schema);
      for (const key of path) here = here.flatMap((s) => children(s, key)).flatMap((s) => shapes(s));
      const strict = here.length > 0 && here.every((s) => defOf(s).type === 'object' && strictCatchall(s));
      const known = strict ? knownKeysAt(schema, path) : [];
      for (const [k, x] of Object.entries(v)) {
        if (strict && !known.includes(k)) out.push({ path, key: k, near: closest(k, known)[0], known });
        stack.push({ v: x, path: [...path, k] });
      }
    }
  }
  return out;
}

/** True when an object schema refuses unknown keys (`z.strictObject`: its catchall is `never`). */
function strictCatchall(s: z.ZodType): boolean {
  const c = defOf(s).catchall;
  return c !== undefined && defOf(c).type === 'never';
}

/**
 * The paths (`input`, `input.user`, `input.files[]`...) of the objects in `schema` that would drop an unknown key
 * silently: neither strict (`z.strictObject`) nor open on purpose (`.catchall(...)`, `z.looseObject`).
 */
export function looseObjects(schema: z.ZodType, at = 'input'): string[] {
  const out: string[] = [];
  const seen = new Set<z.ZodType>();
  const visit = (s: z.ZodType, path: string) => {
    for (const shape of shapes(s, new Set())) {
      if (seen.has(shape)) continue;
      seen.add(shape);
      const d = defOf(shape);
      if (d.type === 'object' && !d.catchall) out.push(path);
      if (d.type === 'object') for (const [k, v] of Object.entries(d.shape ?? {})) visit(v, `${path}.${k}`);
      else if (d.type === 'array' || d.type === 'tuple') for (const c of children(shape)) visit(c, `${path}[]`);
      else if (d.type === 'record') for (const c of children(shape)) visit(c, `${path}{}`);
    }
  };
  visit(schema, at);
  return out;
}

/** An issue as zod reports it, with what `describeIssue` reads. */
interface Issue {
  code?: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

/** Where an issue is, for a message: `user.name`, or `(input)` at the top. */
const where = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : '(input)');

/**
 * One zod issue in words; an unknown key names the key, where it is, the closest known key and, when none is close,
 * the keys that are known there.
 */
export function describeIssue(schema: z.ZodType, issue: Issue): string {
  if (issue.code !== 'unrecognized_keys' || !issue.keys) return `${where(issue.path)}: ${issue.message}`;
  const known = knownKeysAt(schema, issue.path);
  const place = issue.path.length ? ` in ${where(issue.path)}` : '';
  return issue.keys
    .map((k) => {
      const near = closest(k, known);
      const hint = near.length ? `; did you mean "${near[0]}"?` : known.length ? ` (known: ${known.join(', ')})` : '';
      return `unknown key "${k}"${place}${hint}`;
    })
    .join('; ');
}

/** Every issue in words (see describeIssue), joined. */
export function describeIssues(schema: z.ZodType, issues: readonly Issue[]): string {
  return issues.map((i) => describeIssue(schema, i)).join('; ');
}

/**
 * What is wrong with a task input as a definition holds it, as far as can be known before the run: `template` is
 * checked against `schema` with its `=FEEL` strings as they are, and an issue is kept unless it is about a value an
 * expression gives (its path goes through an expression), or is a check of the whole input while some of it is only known
 * when the step runs. A missing key, a literal of the wrong type or an unknown key is known now. An input that is one
 * expression as a whole is only known when the step runs.
 */
export function knownInputIssues(
  schema: z.ZodType,
  template: unknown,
  isExpression: (v: unknown) => boolean,
): string[] {
  if (isExpression(template)) return [];
  const r = schema.safeParse(template ?? {});
  if (r.success) return [];
  const anyExpression = (v: unknown): boolean =>
    isExpression(v) || (!!v && typeof v === 'object' && Object.values(v).some(anyExpression));
  const throughExpression = (path: readonly PropertyKey[]): boolean => {
    let v: unknown = template;
    for (const k of path) {
      if (isExpression(v)) return true;
      if (!v || typeof v !== 'object') return false;
      v = (v as Record<PropertyKey, unknown>)[k];
    }
    return isExpression(v);
  };
  return r.error.issues
    .filter((i) => !throughExpression(i.path) && !(i.code === 'custom' && anyExpression(template)))
    .map((i) => describeIssue(schema, i as Issue));
}
