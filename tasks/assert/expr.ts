// Checks a FEEL expression against the run's scope as a task node: the step fails unless it yields true.
import { z } from 'zod';
import { defineTask, ErrorCode, evaluateExpression, TaskError } from '../../engine/index.js';

/** Input of `assert.expr`. */
export const assertExprInput = z.strictObject({
  expr: z.string().min(1).describe('FEEL source, without the leading `=`.'),
  message: z.string().optional().describe('Said instead of the expression when the assertion fails.'),
});

/** Output of `assert.expr`: always `{ value: true }`, since anything else fails. */
export const assertExprOutput = z.object({
  value: z.literal(true).describe('Always true: any other value fails the step.'),
});

/** A value as the failure message shows it. */
function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Fails the step with ASSERTION_FAILED unless the expression evaluates to exactly `true`. */
export const assertExpr = defineTask({
  id: 'assert.expr',
  title: 'Assert',
  description: 'Fails unless a FEEL expression over the run scope is true, with expected vs actual.',
  input: assertExprInput,
  output: assertExprOutput,
  idempotent: true,
  plan: (i) => [`assert ${i.expr}${i.message ? ` (${i.message})` : ''}`],
  async run(ctx) {
    const { expr, message } = ctx.input;
    const value = evaluateExpression(expr, ctx.scope, ctx.stepId);
    if (value !== true) {
      throw new TaskError(
        `assertion failed in <${ctx.stepId}>: ${message ?? expr}: expected true, got ${show(value)}`,
        { step: ctx.stepId, expr, value },
        ErrorCode.AssertionFailed,
      );
    }
    return { value: true as const };
  },
});
