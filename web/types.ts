// The shapes of gravity serve's answers the web view reads (server/routes/*.ts, server/inventory-types.ts): the
// engine's and the server's own types where they are the answer as it is (type imports: nothing of them is bundled).
import type { RunRecord as StoredRecord, StepSummary as EngineStep, Waiting } from '../engine/journal.js';

export type { JournalEntry, Waiting } from '../engine/journal.js';

/** A run record as the server shows it: its status may also be `interrupted` (running, its process gone). */
export type RunRecord = Omit<StoredRecord, 'status'> & { status: string };

export interface RunSummary {
  runId: string;
  workflow: string;
  title?: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  durationMs: number;
  startedBy?: string;
  parent?: string;
  waiting?: Waiting[];
}

/** A step as GET /api/runs/:id gives it: the engine's summary with its input, and `waiting` as a status too. */
export type StepSummary = Omit<EngineStep, 'status'> & { status: string; input?: unknown };

export interface RunDetail {
  run: RunRecord;
  steps: StepSummary[];
  children: RunSummary[];
}

export interface ParamSpec {
  type: string;
  description?: string;
  default?: unknown;
  required?: boolean;
  enum?: unknown[];
  pattern?: string;
  path?: boolean;
}

export interface WorkflowSummary {
  id: string;
  title?: string;
  description?: string;
  params: Record<string, ParamSpec>;
}

export type {
  EnvironmentsResponse,
  InventoryEnvironment as Environment,
  InventoryPlatform as Platform,
  PlatformsResponse,
} from '../server/inventory-types.js';
