// The built-in wait tasks, in every task registry (engine/registry.ts): an approval waits for a person, a message wait
// for a named message. Their work is the engine's (engine/wait.ts): their `run` is never called.
import { z } from 'zod';
import { defineTask, type TaskDefinition } from './define-task.js';

/** The task id of an approval step: it waits for a person to approve or reject. */
export const APPROVAL_TASK = 'gravity.approval';
/** The task id of a message wait: it waits for a named message (optionally correlated by a key). */
export const MESSAGE_TASK = 'gravity.message';
/** The task id of a send: it delivers a message (or a signal) to the runs waiting for it, and drives them on. */
export const SEND_TASK = 'gravity.send';

const approvalInput = z.strictObject({
  message: z.string().min(1).describe('What the person is asked, shown where they answer (e.g. "Destroy env 1161?")'),
  assignee: z.string().min(1).optional().describe('Who is expected to answer (kept as BPMN camunda:assignee)'),
  candidateGroups: z
    .array(z.string().min(1))
    .optional()
    .describe('Groups whose members may answer (kept as BPMN camunda:candidateGroups)'),
  skip: z
    .boolean()
    .optional()
    .describe('When true the step approves at once without asking (e.g. "=params.yes" for a `--param yes=true`)'),
});
const approvalOutput = z.object({
  approved: z.literal(true).describe('Always true: a rejection fails the step (code REJECTED)'),
  by: z.string().describe('Who approved: user@host, or "skip" when `skip` held'),
  at: z.string().describe('When (ISO time of the answer)'),
  reason: z.string().optional().describe('Why, as the person gave it'),
  skipped: z.boolean().optional().describe('True when `skip` approved it without asking'),
});
const messageInput = z.strictObject({
  name: z.string().min(1).describe('The message waited for (e.g. "deploy-done")'),
  key: z
    .union([z.string().min(1), z.number()])
    .optional()
    .describe('Correlation key: only a message delivered with this key (e.g. "=params.ticket") is taken'),
});
const messageOutput = z.object({
  name: z.string().describe('The message received'),
  key: z.string().optional().describe('The key it was delivered with'),
  data: z.unknown().describe('What it carried (`--data`), null when nothing'),
  by: z.string().describe('Who delivered it: user@host'),
  at: z.string().describe('When (ISO time of the delivery)'),
});
const sendInput = z.strictObject({
  name: z.string().min(1).describe('The message (or signal) sent (e.g. "deploy-done")'),
  key: z
    .union([z.string().min(1), z.number()])
    .optional()
    .describe('Correlation key: only waits for this key (or for no key) receive it (e.g. "=params.ticket")'),
  data: z.unknown().optional().describe('What the message carries: the receiving step outputs it as `data`'),
  signal: z
    .boolean()
    .optional()
    .describe('A signal (broadcast): every run waiting for it receives it; else a message goes to the oldest one'),
});
const sendOutput = z.object({
  delivered: z
    .array(
      z.object({
        runId: z.string().describe('The run that received it'),
        step: z.string().describe('Its step that waited'),
        status: z.string().describe('Its status once driven on, or why it was not delivered'),
      }),
    )
    .describe('The runs that received it, the step that waited, and where each run stands after going on'),
});
export type SendInput = z.output<typeof sendInput>;
export type ApprovalInput = z.output<typeof approvalInput>;
export type MessageInput = z.output<typeof messageInput>;

let built: TaskDefinition[] | undefined;

/** The built-in tasks (every registry has them). Their work is the engine's (runWait, runSend): `run` is never called. */
export function waitTasks(): TaskDefinition[] {
  built ??= [
    defineTask({
      id: APPROVAL_TASK,
      title: 'Approval',
      description:
        'Waits for a person: the run parks as `waiting` until `gravity approve <run>` (the step succeeds) or `gravity reject <run> --reason` (the step fails with code REJECTED: its onError path runs, or the run fails). On a terminal, `gravity run` asks inline (y/N) unless --no-input.',
      input: approvalInput,
      output: approvalOutput,
      idempotent: true,
      plan: (i) => [i.skip ? `approval skipped: ${i.message}` : `wait for a person to approve: ${i.message}`],
      run: () => Promise.reject(new Error(`${APPROVAL_TASK} runs in the engine`)),
    }),
    defineTask({
      id: MESSAGE_TASK,
      title: 'Wait for a message',
      description:
        'Waits for a named message: the run parks as `waiting` until `gravity signal <run> <name> [--data json]` (or `gravity signal --message <name> --key <k>`) delivers it; the step outputs the delivered data. A `timeout` on the step is the path taken when nothing comes in time.',
      input: messageInput,
      output: messageOutput,
      idempotent: true,
      plan: (i) => [`wait for message "${i.name}"${i.key === undefined ? '' : ` with key ${String(i.key)}`}`],
      run: () => Promise.reject(new Error(`${MESSAGE_TASK} runs in the engine`)),
    }),
    defineTask({
      id: SEND_TASK,
      title: 'Send a message',
      description:
        'Delivers a message to the run of this store that waits for it (the oldest, when several do; a signal goes to every one), with its key and data, as `gravity signal` does, then drives each receiver on in this process until it ends or waits again. Nobody waiting is not an error: the output lists who received it.',
      input: sendInput,
      output: sendOutput,
      idempotent: true,
      plan: (i) => [
        `send ${i.signal ? 'signal' : 'message'} "${i.name}"${i.key === undefined ? '' : ` with key ${String(i.key)}`} to the runs waiting for it`,
      ],
      run: () => Promise.reject(new Error(`${SEND_TASK} runs in the engine`)),
    }),
  ];
  return built;
}

/** True for the task ids whose steps wait (approval, message). */
export const isWaitTask = (id: string) => id === APPROVAL_TASK || id === MESSAGE_TASK;
