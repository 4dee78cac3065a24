// A small checker for the shapes of stored run data (records, journal lines), without zod. Every command that reads
// runs (`gravity runs`, `show`, resume) checks them, and zod costs ~95 files and most of a start (`npm run bench --
// startup`). It knows only the kinds those shapes use and words its issues exactly as zod does (same order, paths and
// messages), so a damaged record reads the same as before; test/engine/shape.test.ts holds it to the zod schemas
// (engine/record-schemas.ts) value by value.

/** One kind of value. */
export type Shape =
  | { kind: 'string'; min?: number }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'unknown' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'array'; of: Shape }
  | { kind: 'record'; of: Shape }
  | { kind: 'object'; fields: Record<string, Shape> }
  | { kind: 'optional'; of: Shape };

/** The shapes, written like their zod counterparts. */
export const s = {
  string: (o: { min?: number } = {}) => ({ kind: 'string', ...o }) as const,
  number: () => ({ kind: 'number' }) as const,
  boolean: () => ({ kind: 'boolean' }) as const,
  unknown: () => ({ kind: 'unknown' }) as const,
  enum: <const V extends readonly string[]>(values: V) => ({ kind: 'enum', values }) as const,
  array: <S extends Shape>(of: S) => ({ kind: 'array', of }) as const,
  record: <S extends Shape>(of: S) => ({ kind: 'record', of }) as const,
  object: <F extends Record<string, Shape>>(fields: F) => ({ kind: 'object', fields }) as const,
  optional: <S extends Shape>(of: S) => ({ kind: 'optional', of }) as const,
};

type OptionalKeys<F> = { [K in keyof F]: F[K] extends { kind: 'optional' } ? K : never }[keyof F];

/** The TypeScript type a shape accepts (as z.infer would give it). */
export type Infer<S> = S extends { kind: 'string' }
  ? string
  : S extends { kind: 'number' }
    ? number
    : S extends { kind: 'boolean' }
      ? boolean
      : S extends { kind: 'unknown' }
        ? unknown
        : S extends { kind: 'enum'; values: readonly (infer V)[] }
          ? V
          : S extends { kind: 'array'; of: infer O }
            ? Infer<O>[]
            : S extends { kind: 'record'; of: infer O }
              ? Record<string, Infer<O>>
              : S extends { kind: 'optional'; of: infer O }
                ? Infer<O> | undefined
                : S extends { kind: 'object'; fields: infer F }
                  ? { [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & {
                      [K in OptionalKeys<F>]?: Infer<F[K]>;
                    }
                  : never;

/** What is wrong at one place of a value. */
export interface ShapeIssue {
  path: PropertyKey[];
  message: string;
}

/** The type name zod reports for a value it did not expect (`null`, `array`, `NaN`, `Infinity`, a class name...). */
function received(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(Number.isFinite(v) ? 'number' : v);
  if (typeof v === 'object') {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    const ctor = (v as { constructor?: { name?: string } }).constructor;
    if (Object.getPrototypeOf(v) !== Object.prototype && 'constructor' in v && ctor) return String(ctor.name);
  }
  return typeof v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** zod's test for a record: an object made by `{}` or `Object.create(null)` (not a class instance). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!isObject(v)) return false;
  const ctor = v.constructor;
  if (ctor === undefined || typeof ctor !== 'function') return true;
  const proto: unknown = ctor.prototype;
  return isObject(proto) && Object.prototype.hasOwnProperty.call(proto, 'isPrototypeOf');
}

function expected(kind: string, v: unknown, path: PropertyKey[], out: ShapeIssue[]): void {
  out.push({ path, message: `Invalid input: expected ${kind}, received ${received(v)}` });
}

function walk(shape: Shape, v: unknown, path: PropertyKey[], out: ShapeIssue[]): void {
  switch (shape.kind) {
    case 'unknown':
      return;
    case 'optional':
      if (v !== undefined) walk(shape.of, v, path, out);
      return;
    case 'string':
      if (typeof v !== 'string') expected('string', v, path, out);
      // zod checks the length of any value that has one, string or not: an id `[]` has both issues, `['a']` one
      if (shape.min !== undefined && v !== undefined && v !== null) {
        const length = typeof v === 'string' ? [...v].length : (v as { length?: unknown }).length;
        if (length !== undefined && !((length as number) >= shape.min))
          out.push({
            path,
            message:
              typeof v === 'string'
                ? `Too small: expected string to have >=${shape.min} characters`
                : Array.isArray(v)
                  ? `Too small: expected array to have >=${shape.min} items`
                  : `Too small: expected unknown to be >=${shape.min}`,
          });
      }
      return;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) expected('number', v, path, out);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') expected('boolean', v, path, out);
      return;
    case 'enum':
      if (!shape.values.includes(v as string))
        out.push({
          path,
          message:
            shape.values.length === 1
              ? `Invalid input: expected "${shape.values[0]}"`
              : `Invalid option: expected one of ${shape.values.map((x) => `"${x}"`).join('|')}`,
        });
      return;
    case 'array':
      if (!Array.isArray(v)) expected('array', v, path, out);
      else v.forEach((item, i) => walk(shape.of, item, [...path, i], out));
      return;
    case 'record':
      if (!isPlainObject(v)) expected('record', v, path, out);
      else
        for (const k of Reflect.ownKeys(v)) {
          if (k === '__proto__' || !Object.prototype.propertyIsEnumerable.call(v, k)) continue;
          if (typeof k === 'symbol') out.push({ path: [...path, k], message: 'Invalid key in record' });
          else walk(shape.of, v[k], [...path, k], out);
        }
      return;
    case 'object':
      if (!isObject(v)) expected('object', v, path, out);
      else for (const [k, field] of Object.entries(shape.fields)) walk(field, v[k], [...path, k], out);
      return;
  }
}

/** Everything wrong with `value` as `shape`, in zod's order and words; empty when it fits. */
export function shapeIssues(shape: Shape, value: unknown): ShapeIssue[] {
  const out: ShapeIssue[] = [];
  walk(shape, value, [], out);
  return out;
}
