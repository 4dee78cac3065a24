// Camunda 7 parameter values <-> gravity templates: text, `${juel}`, camunda:list and camunda:map, typed literals kept.
import { isDeepStrictEqual } from 'node:util';
import { DefinitionError, ExpressionError, isExpression } from '../../engine/index.js';
import type { Moddle, ModdleElement } from '../moddle.js';
import { parseFeel } from './feel-parse.js';
import { literalString, plainNumber } from './feel-literal.js';
import { juelString, type Expr } from './juel-parse.js';
import { feelToJuel, isJuelTemplate, juelToFeel } from './juel.js';

/** The content of a camunda:inputParameter, camunda:outputParameter or camunda:entry: body text or a nested definition. */
export type ParamContent = { value: string } | { definition: ModdleElement };

/** Body text of a scalar: plain text for strings Camunda reads back as they are, else a `${...}` literal or expression. */
export function encodeText(v: unknown, element: string): string {
  if (isExpression(v)) return feelToJuel(v, element);
  if (typeof v === 'string') return v === '' || v !== v.trim() || /\\|\$\{|#\{/.test(v) ? `\${${juelString(v)}}` : v;
  if (typeof v === 'number') return `\${${plainNumber(v, element)}}`;
  if (typeof v === 'boolean' || v === null) return `\${${v}}`;
  // a bigint, a function or undefined (a JavaScript author's builder input): named, never a TypeError of JSON.stringify
  const shown = typeof v === 'bigint' ? `${v}n (a bigint)` : (JSON.stringify(v) ?? String(v));
  throw new DefinitionError(`<${element}>: cannot write ${shown} as a Camunda value`, { element });
}

/** True when Camunda's JUEL can say this FEEL expression; otherwise it travels as a FEEL script (Camunda 7.13+ evaluates those). */
export function juelCan(v: string, element: string): boolean {
  try {
    feelToJuel(v, element);
    return true;
  } catch (e) {
    if (e instanceof ExpressionError) return false;
    throw e;
  }
}

/** A template value as parameter content: arrays become camunda:list, objects camunda:map, recursively. */
export function encodeValue(moddle: Moddle, v: unknown, element: string): ParamContent {
  if (isExpression(v) && !juelCan(v, element))
    return { definition: moddle.create('camunda:Script', { scriptFormat: 'feel', value: v.slice(1) }) };
  if (Array.isArray(v)) {
    const items = v.map((x) => {
      const c = encodeValue(moddle, x, element);
      return 'definition' in c ? c.definition : moddle.create('camunda:Value', { value: c.value });
    });
    return { definition: moddle.create('camunda:List', { items }) };
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).map(([key, x]) =>
      moddle.create('camunda:Entry', { key, ...encodeValue(moddle, x, element) }),
    );
    return { definition: moddle.create('camunda:Map', { entries }) };
  }
  return { value: encodeText(v, element) };
}

/** The JSON value of a FEEL literal tree, or undefined when the tree is not a literal. */
function literalOf(e: Expr): { value: unknown } | undefined {
  switch (e.kind) {
    case 'number':
      return { value: Number(e.text) };
    case 'string':
      return { value: literalString(e.value) };
    case 'boolean':
      return { value: e.value };
    case 'null':
      return { value: null };
    case 'unary':
      return e.op === '-' && e.operand.kind === 'number' ? { value: -Number(e.operand.text) } : undefined;
    default:
      return undefined;
  }
}

/** FEEL source of a Camunda body (as Camunda reads it: trimmed), and the literal it stands for if it is one. */
function translate(text: string, element: string): { feel: string; literal?: { value: unknown } } {
  const feel = juelToFeel(text, element);
  let literal: { value: unknown } | undefined;
  try {
    literal = literalOf(parseFeel(feel));
  } catch {
    literal = undefined;
  }
  return { feel, literal };
}

/** A body text as a template value: empty is null (as in Camunda), pure literals keep their type, the rest is `=FEEL`. */
export function decodeText(text: string | undefined, element: string): unknown {
  const t = (text ?? '').trim();
  if (t === '') return null;
  if (!isJuelTemplate(t)) return literalString(t);
  const { feel, literal } = translate(t, element);
  return literal ? literal.value : `=${feel}`;
}

/** A body text as an output mapping (always a string): literal text, else `=FEEL`. */
export function decodeOutput(text: string | undefined, element: string): string {
  const t = (text ?? '').trim();
  if (!isJuelTemplate(t)) return literalString(t);
  const { feel, literal } = translate(t, element);
  return literal && typeof literal.value === 'string' ? literal.value : `=${feel}`;
}

/** Content of a parameter or camunda:entry (body, or camunda:list / camunda:map) as a template value. */
export function decodeValue(p: ModdleElement, element: string): unknown {
  const d = p.definition;
  if (!d) return decodeText(p.value, element);
  return decodeDefinition(d, element);
}

function decodeDefinition(d: ModdleElement, element: string): unknown {
  switch (d.$type) {
    case 'camunda:List':
      return ((d.items ?? []) as ModdleElement[]).map((i) => decodeDefinition(i, element));
    case 'camunda:Map':
      return Object.fromEntries(
        ((d.entries ?? []) as ModdleElement[]).map((e) => [String(e.key ?? ''), decodeValue(e, element)]),
      );
    case 'camunda:Value':
      return decodeText(d.value, element);
    case 'camunda:Script': {
      // FEEL scripts are expressions gravity evaluates safely; any other script language is never run
      if (String(d.scriptFormat ?? '').toLowerCase() !== 'feel')
        throw new DefinitionError(
          `<${element}>: ${d.scriptFormat ?? 'untyped'} script parameters are not supported (gravity never runs scripts; FEEL scripts and \${...} are read)`,
          { element },
        );
      return `=${String(d.value ?? '')
        .trim()
        .replace(/^=/, '')}`;
    }
    default:
      throw new DefinitionError(
        `<${element}>: ${d.$type} parameter values are not supported (text, \${...}, camunda:list and camunda:map are)`,
        { element },
      );
  }
}

type Path = Array<string | number>;

function* expressions(v: unknown, path: Path): Generator<[Path, string]> {
  if (isExpression(v)) yield [path, v];
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* expressions(v[i], [...path, i]);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) yield* expressions(x, [...path, k]);
}

/** What import reads back for an expression written at `path` (`outputs` are always strings). */
const readBack = (path: Path, v: string, element: string): unknown => {
  const body = encodeText(v, element);
  return path[0] === 'outputs' ? decodeOutput(body, element) : decodeText(body, element);
};

/**
 * Expressions of `values` (`{ input, outputs }`) whose FEEL spelling the trip through JUEL changes
 * (`"a/" + b` comes back as `"a/" + string(b)`), with their paths: kept so that import can restore them.
 */
export function changedSpellings(values: Record<string, unknown>, element: string): Array<[Path, string]> {
  return [...expressions(values, [])].filter(
    ([path, v]) => juelCan(v, element) && !isDeepStrictEqual(readBack(path, v, element), v),
  );
}

/** Puts back the spellings {@link changedSpellings} kept, where the file still holds what export wrote for them. */
export function restoreSpellings(values: Record<string, unknown>, kept: unknown, element: string): void {
  if (!Array.isArray(kept)) return;
  for (const entry of kept) {
    const [path, original] = Array.isArray(entry) ? entry : [];
    if (!Array.isArray(path) || !path.length || typeof original !== 'string') continue;
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), values);
    const last = path[path.length - 1];
    if (!parent || typeof parent !== 'object') continue;
    const holder = parent as Record<string | number, unknown>;
    if (isDeepStrictEqual(holder[last], readBack(path, original, element))) holder[last] = original;
  }
}
