// Delays of timers: milliseconds, numeric strings or ISO-8601 durations (`PT5M`, `P1DT2H`), as BPMN timers write them.
import { DefinitionError } from './errors.js';

const ISO =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of a delay given as a number, a numeric string or an ISO-8601 duration; errors name the element. */
export function parseDelay(value: unknown, element: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
    const m = ISO.exec(s);
    if (m && s !== 'P' && !s.endsWith('T')) {
      const [w, d, h, min, sec] = m.slice(1).map((x) => (x ? Number(x) : 0));
      return Math.round((((w * 7 + d) * 24 + h) * 60 + min) * 60_000 + sec * 1000);
    }
  }
  throw new DefinitionError(
    `bad delay in <${element}>: ${JSON.stringify(value)}; expected milliseconds or an ISO-8601 duration such as PT30S`,
    { element, value },
  );
}
