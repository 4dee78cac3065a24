// Writes one line to the run log as a task node: progress notes and markers inside workflows.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';

/** Input of `log.info`. */
export const logInfoInput = z.strictObject({
  message: z.string().describe('The message.'),
  data: z.record(z.string(), z.unknown()).optional().describe('Structured data logged with it.'),
});

/** Output of `log.info`: the message, echoed. */
export const logInfoOutput = z.object({
  message: z.string().describe('The message, echoed.'),
});

/** Logs `message` (with optional structured data) at info level. */
export const logInfo = defineTask({
  id: 'log.info',
  title: 'Log a message',
  description: 'Writes a message (with optional structured data) to the run log.',
  input: logInfoInput,
  output: logInfoOutput,
  idempotent: true,
  plan: (i) => [`log: ${i.message}`],
  async run(ctx) {
    ctx.log.info(ctx.input.message, ctx.input.data);
    return { message: ctx.input.message };
  },
});
