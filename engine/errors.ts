// Every error gravity raises on purpose: classes with a stable `code`, serializable to JSON.

/** Stable error codes; the CLI maps some of them to exit codes. */
export const ErrorCode = {
  BadInput: 'BAD_INPUT',
  UnknownWorkflow: 'UNKNOWN_WORKFLOW',
  UnknownTask: 'UNKNOWN_TASK',
  DuplicateTask: 'DUPLICATE_TASK',
  InvalidDefinition: 'INVALID_DEFINITION',
  Expression: 'EXPRESSION',
  Validation: 'VALIDATION',
  TaskFailed: 'TASK_FAILED',
  Timeout: 'TIMEOUT',
  Cancelled: 'CANCELLED',
  Detached: 'DETACHED',
  Conflict: 'CONFLICT',
  NotFound: 'NOT_FOUND',
  NeedsAttention: 'NEEDS_ATTENTION',
  DefinitionChanged: 'DEFINITION_CHANGED',
  Locked: 'LOCKED',
  PathOutsideRoot: 'PATH_OUTSIDE_ROOT',
  AssertionFailed: 'ASSERTION_FAILED',
  /** A person rejected an approval step (engine/wait.ts): its onError path runs, or the run fails. */
  Rejected: 'REJECTED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** JSON form of an error, as stored in journals and printed by `--json`. */
export interface SerializedError {
  name: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Base class: a message, a code and optional structured details. */
export class GravityError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
  toJSON(): SerializedError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** Bad input from a user: unknown workflow, bad param, invalid file. Exit code 2. */
export class BadInputError extends GravityError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = ErrorCode.BadInput) {
    super(code, message, details);
  }
}

/**
 * Stored data that cannot be read back (not JSON, a torn or foreign file, the wrong shape): names where it is kept and
 * what is wrong, separately, so that a listing can report it next to the entries that are fine. Exit code 2.
 */
export class CorruptDataError extends BadInputError {
  /**
   * @param message - the whole message (naming `location` and `problem`).
   * @param location - where the data is kept: a file path for the JSON store.
   * @param problem - what is wrong, on one line.
   */
  constructor(
    message: string,
    readonly location: string,
    readonly problem: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }
}

/** `text` with its control characters escaped, fit for one line of a terminal (JSON.parse quotes the bytes it choked on). */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A definition that is not in the gravity subset or references unknown parts. */
export class DefinitionError extends GravityError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.InvalidDefinition, message, details);
  }
}

/** Longest expression quoted whole in a message; a longer one is cut (a 5 MB expression must not make a 5 MB message). */
const QUOTED_EXPRESSION_MAX = 120;

/** `expression` as it is when short, else its start, an ellipsis and its length in characters. */
export function shortExpression(expression: string): string {
  return expression.length <= QUOTED_EXPRESSION_MAX
    ? expression
    : `${expression.slice(0, 80)}… (${expression.length} characters)`;
}

/** A FEEL expression that does not parse or does not evaluate; names the element and the expression (cut if long). */
export class ExpressionError extends GravityError {
  constructor(element: string, expression: string, reason: string) {
    const shown = shortExpression(expression);
    super(ErrorCode.Expression, `expression in <${element}> failed: ${reason} (expression: ${shown})`, {
      element,
      expression: shown,
    });
  }
}

/**
 * A FEEL expression stopped by the evaluation budget (engine/limits.ts: too long, too deeply nested, too many items,
 * too slow): names the element, the expression (cut if long) and the limit it went over.
 */
export class ExpressionBudgetError extends ExpressionError {
  constructor(element: string, expression: string, limit: string) {
    super(element, expression, `exceeds the evaluation budget (${limit})`);
    const quoted =
      expression.length <= QUOTED_EXPRESSION_MAX
        ? JSON.stringify(expression)
        : `${JSON.stringify(`${expression.slice(0, 80)}…`)} (${expression.length} characters)`;
    this.message = `<${element}>: FEEL expression ${quoted} exceeds the evaluation budget (${limit})`;
    Object.assign(this.details!, { limit });
  }
}

/** Input or output of a task that does not match its schema. */
export class ValidationError extends GravityError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.Validation, message, details);
  }
}

/** A task whose run failed for a reason of its own (non-zero exit, refused path...). */
export class TaskError extends GravityError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = ErrorCode.TaskFailed) {
    super(code, message, details);
  }
}

/** Thrown when a task exceeds its time budget. */
export class TimeoutError extends GravityError {
  constructor(step: string, ms: number) {
    super(ErrorCode.Timeout, `step <${step}> timed out after ${ms} ms`, { step, timeoutMs: ms });
  }
}

/** Thrown when a run or task was cancelled through its AbortSignal. */
export class CancelledError extends GravityError {
  constructor(message = 'cancelled') {
    super(ErrorCode.Cancelled, message);
  }
}

/**
 * The reason a run's signal aborts when its process lets go of it without stopping its work (SIGHUP: the terminal is
 * gone): supervised commands go on running, the run is recorded as detached, and `gravity resume` re-attaches.
 */
export class DetachedError extends GravityError {
  constructor(message = 'detached') {
    super(ErrorCode.Detached, message);
  }
}

/** A compare-and-set put whose expected version did not match. */
export class ConflictError extends GravityError {
  constructor(key: string, expected: number | null, actual: number | null) {
    super(
      ErrorCode.Conflict,
      `version conflict on ${key}: expected ${expected ?? 'absent'}, found ${actual ?? 'absent'}`,
      { key, expected, actual },
    );
  }
}

/** Something looked up by id that does not exist (run, key). */
export class NotFoundError extends GravityError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.NotFound, message, details);
  }
}

/** Turns anything thrown into the JSON form used in journals. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof GravityError) return err.toJSON();
  if (err instanceof Error) {
    const code =
      typeof (err as { code?: unknown }).code === 'string' ? (err as unknown as { code: string }).code : 'ERROR';
    return { name: err.name, code, message: err.message };
  }
  return { name: 'Error', code: 'ERROR', message: String(err) };
}

/** Registering a task id that is already registered. */
export class DuplicateTaskError extends GravityError {
  constructor(id: string) {
    super(ErrorCode.DuplicateTask, `task "${id}" is already registered`, { id });
  }
}

/** A definition names a task id that no registered task node has. */
export class UnknownTaskError extends GravityError {
  constructor(id: string, known: string[], element?: string) {
    const near = closest(id, known);
    const where = element ? ` in <${element}>` : '';
    super(
      ErrorCode.UnknownTask,
      `unknown task "${id}"${where}${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : ''}`,
      { id, suggestions: near },
    );
  }
}

/** Edit distance, for "did you mean" suggestions. */
export function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Up to three known names closest to `name` (the same name in another case, then substring matches, then by edit distance). */
export function closest(name: string, known: string[]): string[] {
  const n = name.toLowerCase();
  const scored = known.map((k) => {
    const l = k.toLowerCase();
    // the same name in another case first (timeoutMS -> timeoutMs, not ms, which it merely contains)
    const d = l === n ? -1 : l.includes(n) || n.includes(l) ? 0 : levenshtein(n, l);
    return { k, d };
  });
  const limit = Math.max(2, Math.ceil(n.length / 2));
  return scored
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, 3)
    .map((s) => s.k);
}
