// Steps that wait (engine/wait.ts) in BPMN, dialect-free: an approval is a bpmn:UserTask, a message wait a
// bpmn:ReceiveTask (or, on import, a message intermediate catch event) whose messageRef names the message.
import { APPROVAL_TASK, DefinitionError, MESSAGE_TASK } from '../../engine/index.js';
import type { ModdleElement } from '../moddle.js';

/** What a waiting step waits for: a person's answer, or a named message. */
export type WaitKind = 'approval' | 'message';

/** The kind of wait a task id stands for (the built-in approval and message tasks), or undefined. */
export const waitKindOf = (src: string | undefined): WaitKind | undefined =>
  src === APPROVAL_TASK ? 'approval' : src === MESSAGE_TASK ? 'message' : undefined;

/** The task id of a kind of wait. */
export const waitTaskOf = (kind: WaitKind): string => (kind === 'approval' ? APPROVAL_TASK : MESSAGE_TASK);

/** The BPMN element a task state invoking `src` is drawn as: a user task, a receive task, else a service task. */
export function taskElementOf(src: string | undefined): 'bpmn:UserTask' | 'bpmn:ReceiveTask' | 'bpmn:ServiceTask' {
  const kind = waitKindOf(src);
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

/** The name of the message `el` waits for; throws, naming the element, when it has none. */
export function messageNameOf(el: ModdleElement, element: string): string {
  const message = messageOf(el);
  if (!message)
    throw new DefinitionError(
      `<${element}> waits for a message but names none: give it a messageRef to a bpmn:Message with a name${el.$type === 'bpmn:ReceiveTask' ? ' (or map it to a task node with --map)' : ''}`,
      { element },
    );
  const name = typeof message.name === 'string' ? message.name.trim() : '';
  if (!name)
    throw new DefinitionError(`<${element}>: the message it waits for (<${message.id}>) has no name`, { element });
  return name;
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
