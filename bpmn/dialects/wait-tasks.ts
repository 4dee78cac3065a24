// Steps that wait (engine/wait.ts) in BPMN, dialect-free: an approval is a bpmn:UserTask, a message wait a
// bpmn:ReceiveTask (or, on import, a message intermediate catch event) whose messageRef names the message. And the step
// that answers them, a send (engine/send.ts): a bpmn:SendTask whose messageRef names the message (or, on import, a
// message or signal intermediate throw or end event).
import { APPROVAL_TASK, DefinitionError, MESSAGE_TASK, SEND_TASK } from '../../engine/index.js';
import type { ModdleElement } from '../moddle.js';

/** What a waiting step waits for: a person's answer, or a named message. */
export type WaitKind = 'approval' | 'message';

/** The kind of wait a task id stands for (the built-in approval and message tasks), or undefined. */
export const waitKindOf = (src: string | undefined): WaitKind | undefined =>
  src === APPROVAL_TASK ? 'approval' : src === MESSAGE_TASK ? 'message' : undefined;

/** The task id of a kind of wait. */
export const waitTaskOf = (kind: WaitKind): string => (kind === 'approval' ? APPROVAL_TASK : MESSAGE_TASK);

/** The BPMN element a task state invoking `src` is drawn as: a user, receive or send task, else a service task. */
export function taskElementOf(
  src: string | undefined,
): 'bpmn:UserTask' | 'bpmn:ReceiveTask' | 'bpmn:SendTask' | 'bpmn:ServiceTask' {
  const kind = waitKindOf(src);
  if (src === SEND_TASK) return 'bpmn:SendTask';
  return kind === 'approval' ? 'bpmn:UserTask' : kind === 'message' ? 'bpmn:ReceiveTask' : 'bpmn:ServiceTask';
}

/** The message event definition of a catch event, if it has one. */
const messageDefinition = (el: ModdleElement): ModdleElement | undefined =>
  ((el.eventDefinitions ?? []) as ModdleElement[]).find((d) => d.$type === 'bpmn:MessageEventDefinition');

/** The kind of wait an element stands for: a user task, a receive task, a message intermediate catch event. */
export function waitKindOfElement(el: ModdleElement): WaitKind | undefined {
  if (el.$type === 'bpmn:UserTask') return 'approval';
  if (el.$type === 'bpmn:ReceiveTask') return 'message';
  if (el.$type === 'bpmn:IntermediateCatchEvent' && messageDefinition(el)) return 'message';
  return undefined;
}

/** The bpmn:Message a receive task or message catch event waits for. */
export function messageOf(el: ModdleElement): ModdleElement | undefined {
  return (el.$type === 'bpmn:ReceiveTask' ? el.messageRef : messageDefinition(el)?.messageRef) as
    ModdleElement | undefined;
}

/**
 * Why `el` waits for a message named by its own id (bpmn-engine's reading: such an element is signalled by its id), or
 * undefined when it names a message that has a name.
 */
export function unnamedMessage(el: ModdleElement): string | undefined {
  const message = messageOf(el);
  const what = el.$type === 'bpmn:ReceiveTask' ? 'the task' : 'the event';
  if (!message) return `${what} names no message`;
  const name = typeof message.name === 'string' ? message.name.trim() : '';
  return name ? undefined : `the message it names (<${message.id}>) has no name`;
}

/**
 * The name of the message `el` waits for: its bpmn:Message's name, else (it names no message, or one without a name)
 * the element's id, as bpmn-engine signals such an element by its id (the import warns: {@link unnamedMessage}).
 */
export function messageNameOf(el: ModdleElement, element: string): string {
  if (unnamedMessage(el) === undefined) return (messageOf(el)!.name as string).trim();
  return el.id ?? element;
}

/** What a send element throws: a message (a send task, a message throw or end event) or a signal. */
export type SendKind = 'message' | 'signal';

/** The event definition a throw or end event has, when it has exactly one of a message or a signal. */
const throwDefinition = (el: ModdleElement): ModdleElement | undefined => {
  const defs = (el.eventDefinitions ?? []) as ModdleElement[];
  return defs.length === 1 &&
    (defs[0].$type === 'bpmn:MessageEventDefinition' || defs[0].$type === 'bpmn:SignalEventDefinition')
    ? defs[0]
    : undefined;
};

/** What an element sends: a send task or a message throw (intermediate or end) event a message, a signal throw a signal. */
export function sendKindOfElement(el: ModdleElement): SendKind | undefined {
  if (el.$type === 'bpmn:SendTask') return 'message';
  if (el.$type !== 'bpmn:IntermediateThrowEvent' && el.$type !== 'bpmn:EndEvent') return undefined;
  const def = throwDefinition(el);
  return !def ? undefined : def.$type === 'bpmn:SignalEventDefinition' ? 'signal' : 'message';
}

/** The input fields of a send (gravity.send) besides its name; any other input of a vendor's file is what it carries. */
const SEND_FIELDS = ['key', 'data', 'signal'];

/**
 * The input of a send read from `el`: the name of the message (or signal) it refers to, `signal: true` for a signal
 * throw, the key, data and signal of the task inputs `input`; other inputs (a vendor's payload variables) are what the
 * message carries, its `data`, unless it has one. Throws, naming the element, when it names no message or signal.
 */
export function sendInputOf(el: ModdleElement, element: string, input: unknown): Record<string, unknown> {
  const kind = sendKindOfElement(el)!;
  const given =
    input && typeof input === 'object' && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : {};
  delete given.name;
  const own = Object.fromEntries(Object.entries(given).filter(([k]) => SEND_FIELDS.includes(k)));
  const extra = Object.fromEntries(Object.entries(given).filter(([k]) => !SEND_FIELDS.includes(k)));
  if (Object.keys(extra).length) {
    if (own.data !== undefined)
      throw new DefinitionError(
        `<${element}>: it sends data and also the inputs ${Object.keys(extra).join(', ')}: put them in its data`,
        { element },
      );
    own.data = extra;
  }
  return { name: sendNameOf(el, element, kind), ...own, ...(kind === 'signal' ? { signal: true } : {}) };
}

/** The name of the message (or signal) `el` sends; throws, naming the element, when it has none. */
function sendNameOf(el: ModdleElement, element: string, kind: SendKind): string {
  const def = el.$type === 'bpmn:SendTask' ? undefined : throwDefinition(el);
  const ref = (el.$type === 'bpmn:SendTask' ? el.messageRef : kind === 'signal' ? def?.signalRef : def?.messageRef) as
    ModdleElement | undefined;
  const what = kind === 'signal' ? 'signal' : 'message';
  if (!ref)
    throw new DefinitionError(
      `<${element}> sends a ${what} but names none: give it a ${what}Ref to a bpmn:${kind === 'signal' ? 'Signal' : 'Message'} with a name${el.$type === 'bpmn:SendTask' ? ' (or map it to a task node with --map)' : ''}`,
      { element },
    );
  const name = typeof ref.name === 'string' ? ref.name.trim() : '';
  if (!name) throw new DefinitionError(`<${element}>: the ${what} it sends (<${ref.id}>) has no name`, { element });
  return name;
}

/** A send's input without its name (the name is the message's, which the element's messageRef names). */
export function withoutName(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const rest = Object.fromEntries(Object.entries(input as Record<string, unknown>).filter(([k]) => k !== 'name'));
  return Object.keys(rest).length ? rest : undefined;
}

/** The input fields a vendor dialect writes on the element (or its message) instead of as input parameters. */
export interface WaitAttributes {
  assignee?: unknown;
  candidateGroups?: unknown;
  /** The message's name (the message the element refers to) and its correlation key. */
  name?: unknown;
  key?: unknown;
}

/** A wait step's input split into what the element (or its message) says and the rest (input parameters). */
export function splitWaitInput(
  kind: WaitKind,
  input: unknown,
): { attributes: WaitAttributes; rest: Record<string, unknown> | undefined } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { attributes: {}, rest: undefined };
  const rest: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  const attributes: WaitAttributes = {};
  const fields = kind === 'approval' ? (['assignee', 'candidateGroups'] as const) : (['name', 'key'] as const);
  for (const f of fields)
    if (rest[f] !== undefined) {
      attributes[f] = rest[f];
      delete rest[f];
    }
  return { attributes, rest: Object.keys(rest).length ? rest : undefined };
}

/** A list of names as one comma-separated attribute, when every name is a plain string without a comma. */
export function commaList(v: unknown): string | undefined {
  if (!Array.isArray(v) || !v.length) return undefined;
  if (!v.every((x) => typeof x === 'string' && x.trim() === x && x !== '' && !x.includes(',') && !x.startsWith('=')))
    return undefined;
  return v.join(',');
}

/** A comma-separated attribute as a list of names. */
export const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
