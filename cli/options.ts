// Parsers of option values shared by every command: one rule and one message for each kind of number.
import { InvalidArgumentError } from 'commander';

/** What a numeric option accepts: whole numbers only (the default) or decimals too, within bounds. */
export interface NumberRule {
  min: number;
  max?: number;
  /** Decimals allowed (`--wait 0.5`); default: whole numbers only. */
  decimals?: boolean;
  /** The unit, for the message: `seconds`. */
  unit?: string;
}

/**
 * A commander argParser for a numeric option: digits only (no sign, exponent, hex or blank, which `Number()` would take
 * for 0 or a surprise), within the bounds; otherwise commander reports `option '--x <n>' argument 'v' is invalid.`
 * followed by what was expected, and the CLI exits 2.
 */
export function numberOption(rule: NumberRule): (value: string) => number {
  const kind = rule.unit ?? (rule.decimals ? 'a number' : 'a whole number');
  const range = rule.max === undefined ? `of at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
  const expected = `expected ${kind} ${range}`;
  const shape = rule.decimals ? /^\d+(\.\d+)?$/ : /^\d+$/;
  return (value) => {
    const n = Number(value);
    if (!shape.test(value) || !Number.isFinite(n) || n < rule.min || (rule.max !== undefined && n > rule.max))
      throw new InvalidArgumentError(expected);
    return n;
  };
}
