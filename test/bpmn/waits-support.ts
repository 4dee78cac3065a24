// Shared by the BPMN tests of waits and sends: an engine over a JSON store in a temp folder (a parked run is resumed
// from its store; a sender finds the waiting runs there) with the echo task, and readers of exported elements.
import { onTestFinished } from 'vitest';
import { createRegistry, type Definition, type EngineOptions } from '../../engine/index.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { dialectNamed } from '../../bpmn/dialects/index.js';
import type { DialectName } from '../../bpmn/index.js';
import { echoTask, tempJsonStore } from '../engine/support.js';

/** An engine over a fresh JSON store, removed when the test ends, with `test.echo` (its calls recorded). */
export async function engine(): Promise<{ engine: EngineOptions; calls: unknown[] }> {
  const tmp = await tempJsonStore();
  onTestFinished(tmp.cleanup);
  const echo = echoTask();
  return { engine: { store: tmp.store, registry: createRegistry(echo.task) }, calls: echo.calls };
}

/** The elements of an exported or hand-written file, by id, read in `dialect`. */
export async function elementsOf(xml: string, dialect: DialectName): Promise<Record<string, ModdleElement>> {
  return (await createModdle(dialectNamed(dialect).packages).fromXML(xml)).elementsById as Record<
    string,
    ModdleElement
  >;
}

/** The extension elements of `el` of one type. */
export const extensions = (el: ModdleElement, type: string) =>
  ((el.extensionElements?.values ?? []) as ModdleElement[]).filter((e) => e.$type === type);

/** A top-level state of a definition. */
export const stateOf = (def: Definition, key: string) => def.machine.states[key];
