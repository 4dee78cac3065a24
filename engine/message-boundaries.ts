// Message boundaries (BPMN's interrupting message boundary event): a task or call state's `on: { 'message:<name>': T }`
// leaves the step for T when that message is delivered while the step runs or waits. The names and rules, in one place
// that imports nothing that runs (compile, validate, the builder and the execution share it).
import type { StateConfig } from './definition.js';

/** The prefix of a message boundary's event in a state's `on`: `message:<name>`. */
export const MESSAGE_EVENT_PREFIX = 'message:';

/** The event (a key of a state's `on`) of message `name`. */
export function messageEvent(name: string): string {
  return `${MESSAGE_EVENT_PREFIX}${name}`;
}

/** The message name of an `on` key, or undefined when the key is no message boundary. */
export function messageOfEvent(event: string): string | undefined {
  return event.startsWith(MESSAGE_EVENT_PREFIX) ? event.slice(MESSAGE_EVENT_PREFIX.length) : undefined;
}

/**
 * Why `name` is not a message name, or undefined when it is one. As for message waits (`gravity.message`), any non-empty
 * name; blank names are refused, and so is `*`, which xstate would read as a wildcard (`a.*` would catch `a.b`).
 */
export function messageNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return 'a message name must be a non-empty string';
  if (name.includes('*')) return `a message name cannot hold "*" (got ${JSON.stringify(name)})`;
  return undefined;
}

/** What a step listens for while it runs: a message name and, when correlated, the key it must come with. */
export interface MessageListener {
  message: string;
  /** The correlation key, evaluated when the step started: only a message sent with this key interrupts it. */
  key?: string;
}

/** The message boundaries of a state, in the order of its `on`: each message name and the state it leads to. */
export function messageBoundaries(s: StateConfig): Array<{ message: string; target: string | undefined }> {
  return Object.entries(s.on ?? {}).flatMap(([event, t]) => {
    const message = messageOfEvent(event);
    return message === undefined ? [] : [{ message, target: typeof t === 'string' ? t : t?.target }];
  });
}

/**
 * Whether a message sent with `sent` (the signal's `--key`, or none) reaches a listener that expects `expected`: as for
 * message waits, a listener without a key takes a message with or without one; one with a key only that key.
 */
export function keyMatches(expected: string | undefined, sent: string | undefined): boolean {
  return expected === undefined || expected === sent;
}
