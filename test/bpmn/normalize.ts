// Normal form of a definition for round-trip comparisons: no BPMN bookkeeping, delays in ms, empty meta dropped.
import { canonicalJson, isExpression, parseDelay, type Definition } from '../../engine/index.js';

function walk(v: unknown, parentKey?: string): unknown {
  if (Array.isArray(v)) return v.map((x) => walk(x));
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'bpmn') continue;
    let val = walk(x, k);
    if (k === 'meta' && val && typeof val === 'object' && Object.keys(val).length === 0) continue;
    if (k === 'after' && val && typeof val === 'object') {
      val = Object.fromEntries(
        Object.entries(val).map(([d, t]) => [isExpression(d) ? d : String(parseDelay(d, 'normalize')), t]),
      );
    }
    // a reminder's delay (a string or a number, not a map of delays like a state's `after`)
    if (k === 'after' && (typeof val === 'string' || typeof val === 'number') && !isExpression(String(val)))
      val = String(parseDelay(val, 'normalize'));
    out[k] = val;
  }
  void parentKey;
  return out;
}

/** The definition without `meta.bpmn`, with timer delays as milliseconds, as canonical (key-sorted) JSON. */
export function normalize(def: Definition): string {
  return canonicalJson(walk(def));
}

/** The same, as an object (for toEqual diffs that show where two definitions differ). */
export function normalized(def: Definition): unknown {
  return JSON.parse(normalize(def));
}
