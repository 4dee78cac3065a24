// Workflow params: `--param k=v` strings coerced to the declared types and validated, with errors naming the param.
import { z } from 'zod';
import type { Definition, ParamSpec } from './definition.js';
import { BadInputError, closest } from './errors.js';

/** Parses `k=v` pairs (the CLI's repeated `--param`); a key given twice becomes an error. */
export function parseParamPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new BadInputError(`bad --param ${JSON.stringify(p)}: expected key=value`, { param: p });
    const k = p.slice(0, i);
    if (k in out) throw new BadInputError(`--param ${k} given twice`, { param: k });
    out[k] = p.slice(i + 1);
  }
  return out;
}

/** Types a string like JSON would (`20` -> 20, `true` -> true, `[1]` -> array), else keeps the string. */
export function jsonLike(raw: string): unknown {
  const t = raw.trim();
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(t) || /^[[{"]/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return raw;
    }
  }
  return raw;
}

function schemaOf(name: string, spec: ParamSpec): z.ZodType {
  let s: z.ZodType;
  switch (spec.type) {
    case 'string': {
      let str = z.string();
      if (spec.pattern) str = str.regex(new RegExp(spec.pattern), `must match /${spec.pattern}/`);
      s = str;
      break;
    }
    case 'number':
      s = z.number();
      break;
    case 'integer':
      s = z.number().int();
      break;
    case 'boolean':
      s = z.boolean();
      break;
    case 'array':
      s = z.array(z.unknown());
      break;
    case 'object':
      s = z.record(z.string(), z.unknown());
      break;
    default:
      s = z.unknown();
  }
  if (spec.enum)
    s = s.refine(
      (v) => spec.enum!.some((e) => JSON.stringify(e) === JSON.stringify(v)),
      `must be one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    );
  return s;
}

function coerce(name: string, spec: ParamSpec, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  switch (spec.type) {
    case 'string':
      return raw;
    case 'number':
    case 'integer': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n))
        throw new BadInputError(
          `param ${name}: expected ${spec.type === 'integer' ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`,
          { param: name },
        );
      return n;
    }
    case 'boolean':
      if (/^(true|yes|1|on)$/i.test(raw)) return true;
      if (/^(false|no|0|off)$/i.test(raw)) return false;
      throw new BadInputError(`param ${name}: expected true or false, got ${JSON.stringify(raw)}`, { param: name });
    case 'array':
      if (raw.trim().startsWith('[')) return jsonLike(raw);
      return raw === '' ? [] : raw.split(',').map((x) => x.trim());
    default:
      return jsonLike(raw);
  }
}

/** One declared param's value (a string from the CLI or the terminal, or a typed value) coerced and validated. */
export function resolveParam(def: Definition, name: string, raw: unknown): unknown {
  const spec = def.params?.[name];
  if (!spec) return typeof raw === 'string' ? jsonLike(raw) : raw;
  const value = coerce(name, spec, raw);
  const r = schemaOf(name, spec).safeParse(value);
  if (!r.success)
    throw new BadInputError(
      `param ${name}: ${r.error.issues.map((i) => i.message).join('; ')} (got ${JSON.stringify(value)})`,
      { param: name },
    );
  return r.data;
}

/**
 * The declared params a terminal may ask for when `given` lacks them, in declaration order: those required without a
 * default (else the run is refused), and those that declare a choice list (picking beats typing an id, so a default
 * is offered rather than taken silently).
 */
export function paramsToAsk(def: Definition, given: Record<string, unknown>): string[] {
  return Object.entries(def.params ?? {})
    .filter(
      ([name, spec]) =>
        given[name] === undefined &&
        (spec.choices !== undefined || (spec.default === undefined && spec.required !== false)),
    )
    .map(([name]) => name);
}

/**
 * Coerces and validates raw params (strings from the CLI, or typed values) against the definition.
 * Without declared params: a BPMN process (`meta.bpmn`) takes every value, typed like JSON; any other workflow takes none.
 * With `partial`, a missing param is left out instead of refused (what is known before the terminal asks the rest).
 */
export function resolveParams(
  def: Definition,
  raw: Record<string, unknown>,
  o: { partial?: boolean } = {},
): Record<string, unknown> {
  const specs = def.params;
  if (!specs) {
    // a BPMN process declares its variables nowhere (Camunda takes any): its params are whatever is given, typed like
    // JSON; any other workflow that declares none takes none (a misspelt or stray --param is an error, not ignored)
    const given = Object.keys(raw);
    if (def.meta?.bpmn === undefined && given.length)
      throw new BadInputError(`unknown param "${given[0]}" for ${def.id}: it declares no params`, {
        param: given[0],
        declared: [],
      });
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? jsonLike(v) : v]));
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(raw)) {
    if (!(k in specs)) {
      const known = Object.keys(specs);
      const near = closest(k, known);
      throw new BadInputError(
        `unknown param "${k}" for ${def.id}${near.length ? `; did you mean "${near[0]}"?` : ''} (declared: ${known.join(', ') || 'none'})`,
        { param: k, declared: known },
      );
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    let v = raw[name];
    if (v === undefined) {
      if (spec.default !== undefined) v = structuredClone(spec.default);
      else if (spec.required === false || o.partial) continue;
      else
        throw new BadInputError(
          `missing param "${name}" for ${def.id}: ${spec.description ?? `expected ${spec.type}`} (use --param ${name}=...)`,
          { param: name },
        );
    }
    out[name] = resolveParam(def, name, v);
  }
  return out;
}
