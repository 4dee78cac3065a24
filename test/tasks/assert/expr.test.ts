// assert.expr: a FEEL expression over the run scope must yield true, else the failure says what it got.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../engine/index.js';
import { assertExpr } from '../../../tasks/assert/expr.js';
import { rejection, runTask } from '../context.js';

const root = '/nonexistent';
const scope = { params: { count: 3, name: 'galaxy' }, steps: { clone: { head: 'abc' } } };

describe('assert.expr', () => {
  it.each(['params.count > 2', 'steps.clone.head = "abc"', 'string length(params.name) = 6'])(
    'passes when %s is true',
    async (expr) => {
      expect(await runTask(assertExpr, { expr }, { root, scope })).toEqual({ value: true });
    },
  );

  it.each([
    [{ expr: 'params.count > 5' }, 'assertion failed in <step>: params.count > 5: expected true, got false'],
    [
      { expr: 'params.count > 5', message: 'need more than 5 repos' },
      'assertion failed in <step>: need more than 5 repos: expected true, got false',
    ],
    [{ expr: 'params.name' }, 'assertion failed in <step>: params.name: expected true, got "galaxy"'],
  ])('fails %j with "%s"', async (input, message) => {
    const err = await rejection(runTask(assertExpr, input, { root, scope }));
    expect(err.code).toBe(ErrorCode.AssertionFailed);
    expect(err.message).toBe(message);
  });

  it('fails with an expression error naming the step on an unknown variable', async () => {
    await expect(runTask(assertExpr, { expr: 'nope > 1' }, { root, scope })).rejects.toMatchObject({
      code: ErrorCode.Expression,
    });
  });
});
