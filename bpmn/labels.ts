// The names an export gives elements that have no title, so that every shape of a diagram says what it is (bpmnlint's
// label-required), and the import that recognises them: a name equal to the generated one is not a title.
import type { StateConfig } from '../engine/index.js';

/** An id as words: `clone_as_user` -> "Clone as user", `StartEvent_1` -> "Start event 1". */
export function readable(id: string): string {
  const words = id
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_\-.:]+/)
    .filter(Boolean)
    .map((w) => (/^[A-Z][a-z]/.test(w) ? w.toLowerCase() : w))
    .join(' ');
  return words ? words[0].toUpperCase() + words.slice(1) : id;
}

/** The longest generated label of a conditional flow; a longer condition is cut with an ellipsis. */
const CONDITION_LABEL = 60;

/** The label of a conditional flow that has no description: its condition, cut to {@link CONDITION_LABEL}. */
export function conditionLabel(condition: string): string {
  const c = condition.replace(/\s+/g, ' ').trim();
  return c.length > CONDITION_LABEL ? `${c.slice(0, CONDITION_LABEL - 1)}…` : c;
}

/** What kind of element a label is for, as far as naming goes. */
export type LabelKind = 'task' | 'decision' | 'start' | 'end' | 'wait' | 'scope';

/** The message of a failing end, if `s` is one (the name of the error it throws: `failed` when it has none). */
const failMessage = (s: StateConfig | undefined) =>
  !s?.meta?.fail ? undefined : typeof s.meta.fail === 'object' && s.meta.fail.message ? s.meta.fail.message : 'failed';

/** The name an element gets when its state has no title. */
export function generatedLabel(kind: LabelKind, id: string, state?: StateConfig): string {
  switch (kind) {
    case 'start':
      return 'Start';
    case 'decision':
      return `${readable(id)}?`;
    case 'end': {
      // a message computed when the run fails (a FEEL expression) is no label: the end's id says it better
      const message = failMessage(state);
      return message && !message.startsWith('=') ? message : readable(id);
    }
    default:
      return readable(id);
  }
}

/** The labels of boundary events, by what they catch. */
export const BOUNDARY_LABEL = {
  error: 'Failed',
  timer: 'Timed out',
  signal: 'Cancelled',
  reminder: 'Reminder',
  message: 'Message',
} as const;
