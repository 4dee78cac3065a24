// Timer delays: milliseconds, numeric strings or ISO-8601 durations; anything else is a definition error naming the element.
import { describe, it, expect } from 'vitest';
import { DefinitionError, parseDelay } from '../../engine/index.js';

describe('parseDelay', () => {
  it.each([
    { value: 0, ms: 0 },
    { value: 250, ms: 250 },
    { value: '250', ms: 250 },
    { value: ' 250\n', ms: 250 },
    { value: '2.25', ms: 2.25 },
    { value: 'PT30S', ms: 30_000 },
    { value: ' PT5M ', ms: 300_000 },
    { value: 'PT0.5S', ms: 500 },
    { value: 'PT1H', ms: 3_600_000 },
    { value: 'P1D', ms: 86_400_000 },
    { value: 'P2W', ms: 1_209_600_000 },
    // 1 week + 2 days = 9 days = 216 h; + 3 h = 219 h = 13,140 min; + 4 min = 13,144 min = 788,640,000 ms; + 5 s
    { value: 'P1W2DT3H4M5S', ms: 788_645_000 },
  ])('reads $value as $ms ms', ({ value, ms }) => {
    expect(parseDelay(value, 'Timer_1')).toBe(ms);
  });

  it.each([-5, Infinity, NaN, null, true, {}, '', 'soon', '5 minutes', '10s', 'P', 'PT', 'P1DT', '-5', 'PT5X'])(
    'refuses %j with a message naming the element',
    (value) => {
      let error: unknown;
      try {
        parseDelay(value, 'Timer_1');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DefinitionError);
      expect((error as DefinitionError).message).toBe(
        `bad delay in <Timer_1>: ${JSON.stringify(value)}; expected milliseconds or an ISO-8601 duration such as PT30S`,
      );
      expect((error as DefinitionError).details).toEqual({ element: 'Timer_1', value });
    },
  );
});
