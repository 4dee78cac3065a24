// The stored run data in zod: run records, journal lines and snapshots. The records and journal lines are checked
// when read with the shapes of engine/journal.ts (no zod: reading runs must start fast, see engine/shape.ts); these
// schemas are the same data for code that works with zod, and what test/engine/shape.test.ts holds the shapes to.
// Snapshots are checked here, by readSnapshot, which imports this file when it needs it (resume only).
import { z } from 'zod';
import { JOURNAL_TYPES, RunStatus, type JournalEntry, type RunRecord } from './journal.js';
import type { PersistedRunSnapshot } from './run-types.js';
import type { SameShape } from './same-shape.js';

const serializedErrorSchema = z.object({
  name: z.string(),
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** A run record (RunRecord) in zod: what runRecordShape checks. */
export const runRecordSchema = z.object({
  id: z.string().min(1),
  workflow: z.string(),
  title: z.string().optional(),
  definitionHash: z.string(),
  source: z.object({
    kind: z.enum(['catalog', 'file', 'inline']),
    ref: z.string().optional(),
    mappings: z.record(z.string(), z.string()).optional(),
  }),
  params: z.record(z.string(), z.unknown()),
  status: z.enum(RunStatus),
  pid: z.number().optional(),
  pidStart: z.number().optional(),
  host: z.string().optional(),
  parent: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  output: z.unknown().optional(),
  error: serializedErrorSchema.extend({ step: z.string().optional() }).optional(),
  attention: z.object({ message: z.string(), steps: z.array(z.string()) }).optional(),
  root: z.string().optional(),
  waiting: z
    .array(
      z.object({
        step: z.string(),
        kind: z.enum(['approval', 'message']),
        message: z.string(),
        since: z.string(),
        assignee: z.string().optional(),
        candidateGroups: z.array(z.string()).optional(),
        key: z.string().optional(),
        until: z.string().optional(),
        child: z.string().optional(),
      }),
    )
    .optional(),
  listening: z.array(z.object({ step: z.string(), message: z.string(), key: z.string().optional() })).optional(),
  driver: z.literal('serve').optional(),
  startedBy: z.string().optional(),
});
true satisfies SameShape<RunRecord, z.infer<typeof runRecordSchema>>;

/** A journal line (JournalEntry) in zod: what journalEntryShape checks. */
export const journalEntrySchema = z.object({
  type: z.enum(JOURNAL_TYPES),
  at: z.string(),
  step: z.string().optional(),
  task: z.string().optional(),
  attempt: z.number().optional(),
  idempotent: z.boolean().optional(),
  supervised: z.boolean().optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  error: serializedErrorSchema.optional(),
  durationMs: z.number().optional(),
  delayMs: z.number().optional(),
  pid: z.number().optional(),
  command: z.array(z.string()).optional(),
  child: z.string().optional(),
  message: z.string().optional(),
  finishedAt: z.string().optional(),
  left: z.boolean().optional(),
  answer: z
    .object({
      kind: z.enum(['approve', 'reject', 'message']),
      by: z.string(),
      reason: z.string().optional(),
      name: z.string().optional(),
      key: z.string().optional(),
      data: z.unknown().optional(),
      id: z.string().optional(),
    })
    .optional(),
});
true satisfies SameShape<JournalEntry, z.infer<typeof journalEntrySchema>>;

/** What a stored snapshot must hold for resume to restore it (the xstate part: the fields resume and xstate read). */
export const snapshotSchema = z.object({
  definitionHash: z.string(),
  snapshot: z.looseObject({
    status: z.string(),
    value: z.union([z.string(), z.record(z.string(), z.unknown())]),
    context: z.record(z.string(), z.unknown()),
    children: z.record(z.string(), z.unknown()).optional(),
  }),
  timers: z
    .array(
      z.object({ id: z.string(), event: z.object({ type: z.string() }), delay: z.number(), startedAt: z.number() }),
    )
    .optional(),
  stepsInJournal: z.boolean().optional(),
});
true satisfies SameShape<Omit<PersistedRunSnapshot, 'snapshot'>, Omit<z.infer<typeof snapshotSchema>, 'snapshot'>>;
