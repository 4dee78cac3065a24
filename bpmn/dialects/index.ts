// The one list of dialects, and what derives from it: dialect names, lookup by name, detection from a file's namespaces.
// Adding a dialect: declare it with defineDialect() in a module of this folder and add it to `dialects` below.
import { BadInputError } from '../../engine/index.js';
import type { Dialect } from '../dialect.js';
import { camunda7Dialect } from './camunda7.js';
import { gravityDialect } from './gravity.js';
import { zeebeDialect } from './zeebe.js';

/** Every dialect, in the order the CLI lists them. */
export const dialects = [gravityDialect, camunda7Dialect, zeebeDialect] as const;

/** The name of a dialect: `gravity`, `camunda7` or `zeebe`. */
export type DialectName = (typeof dialects)[number]['name'];

/** The dialects' names, in list order (the choices of `--dialect`). */
export const dialectNames: readonly DialectName[] = dialects.map((d) => d.name);

/** The dialect export writes when none is asked for. */
export const defaultDialect: Dialect<DialectName> = dialects.find((d) => d.exportDefault) ?? dialects[0];

/** The dialect of files that declare no dialect's namespace (plain BPMN, other modelers). */
const plainBpmnDialect: Dialect<DialectName> = dialects.find((d) => d.readsPlainBpmn) ?? dialects[0];

/** Highest precedence first: the order in which detection looks for the dialects' namespaces. */
const byPrecedence = [...dialects].sort((a, b) => b.precedence - a.precedence);

/** `a, b or c`. */
export function orList(words: readonly string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words.join('');
}

/** The dialect called `name`; a BadInputError naming the known ones when there is none. */
export function dialectNamed(name: string): Dialect<DialectName> {
  const found = dialects.find((d) => d.name === name);
  if (!found)
    throw new BadInputError(`unknown dialect "${name}": expected ${orList(dialectNames)}`, {
      dialect: name,
      expected: dialectNames,
    });
  return found;
}

/**
 * The dialect a BPMN text is written in, by the namespaces its start declares (the highest precedence wins when it declares
 * several: Zeebe, then gravity, then Camunda 7); the plain-BPMN dialect (Camunda 7) when it declares none.
 */
export function detectDialect(xml: string): DialectName {
  const head = xml.slice(0, 4096);
  return (byPrecedence.find((d) => head.includes(d.namespace)) ?? plainBpmnDialect).name;
}
