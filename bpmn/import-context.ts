// What import.ts hands to the per-level conversion (import-level.ts): the dialect, the reading context and where
// problems go. Its own module so that the two files do not import each other.
import type { Dialect, ReadContext } from './dialect.js';
import type { ModdleElement } from './moddle.js';

/** One problem found while importing, with the element it concerns. */
export interface ImportProblem {
  element: string;
  type: string;
  message: string;
}

/** The state of one import, shared by the conversion of every level (process, sub-process, branch). */
export interface ImportContext {
  dialect: Dialect;
  r: ReadContext;
  problems: ImportProblem[];
  /** Lax findings: the definition still imports. */
  warnings: ImportProblem[];
  keyOf(el: ModdleElement): string;
  flowIds: Record<string, string>;
  mappings: Record<string, string>;
}
