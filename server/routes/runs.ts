// Runs: start, list, one run with its steps, its journal, its live events (Server-Sent Events), its diagram, a step's
// log, and what an operate token may do to it (cancel, resume, roll back, approve, reject, deliver a message).
import { existsSync, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AnswerRequest, JournalEntry, RunRecord, StepSummary } from '../../engine/index.js';
import {
  BadInputError,
  getRun,
  isRunLive,
  messageRoute,
  readDefinition,
  readJournal,
  RunStatus,
  signalRunningRun,
  stepFolderName,
  summarizeSteps,
} from '../../engine/index.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../context.js';
import { WORKFLOW_ID } from './workflows.js';

/** A run id: `YYMMDD-HHMMSS-xxxxxx`, and for a child run `.<step>` parts (a for-each item: `:<i>`); never `..` or `/`. */
export const RUN_ID = {
  type: 'string',
  pattern: '^[0-9]{6}-[0-9]{6}-[0-9a-f]{6}(\\.[A-Za-z0-9_:-]+)*$',
  maxLength: 200,
} as const;
const STEP_ID = { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$' } as const;
const idParams = {
  type: 'object',
  properties: { id: RUN_ID },
  required: ['id'],
  additionalProperties: false,
} as const;
const STATUSES = [...Object.values(RunStatus), 'interrupted'];

/** Bytes of a step's log the log route returns at most (its end). */
const LOG_BYTES = 256 * 1024;
/** Output lines of the steps driven here kept in memory for the log route: per step, and in all (characters). */
const MEMORY_LOG_CHARS = 64 * 1024;
const MEMORY_LOGS_CHARS = 16 * 1024 * 1024;
/** Live event streams open at once, at most; one more is 503. */
const MAX_STREAMS = 256;

/**
 * The status a person should see: a running run whose process is gone was interrupted (as `gravity runs` says). The
 * runs this process drives are alive (isRunLive is about other processes).
 */
export function shownStatus(r: RunRecord): string {
  return r.status === RunStatus.Running && r.pid !== process.pid && !isRunLive(r) ? 'interrupted' : r.status;
}

/** A run as the list shows it. */
function summary(r: RunRecord) {
  const end = r.finishedAt ?? (shownStatus(r) === RunStatus.Running ? undefined : r.updatedAt);
  return {
    runId: r.id,
    workflow: r.workflow,
    ...(r.title ? { title: r.title } : {}),
    status: shownStatus(r),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    durationMs: Date.parse(end ?? new Date().toISOString()) - Date.parse(r.createdAt),
    ...(r.startedBy ? { startedBy: r.startedBy } : {}),
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.waiting ? { waiting: r.waiting } : {}),
  };
}

/** The steps of a run: the journal's summary, with the steps it waits at marked `waiting`. */
function stepsOf(r: RunRecord, journal: JournalEntry[]): Array<Omit<StepSummary, 'status'> & { status: string }> {
  const steps: Array<Omit<StepSummary, 'status'> & { status: string; input?: unknown }> = summarizeSteps(
    journal,
    r.status !== RunStatus.Running,
  );
  const inputs = new Map<string, unknown>();
  for (const e of journal)
    if (e.type === 'task.started' && e.step && e.input !== undefined) inputs.set(e.step, e.input);
  const waitingAt = new Set((r.waiting ?? []).map((w) => w.step));
  for (const s of steps) {
    if (inputs.has(s.id)) s.input = inputs.get(s.id);
    if (waitingAt.has(s.id) && s.status !== 'succeeded' && s.status !== 'failed') s.status = 'waiting';
  }
  return steps;
}

/** The end of a file (`bytes` at most) and whether it was cut. */
function tail(file: string, bytes: number): { text: string; truncated: boolean } {
  const size = statSync(file).size;
  const start = Math.max(0, size - bytes);
  const buf = Buffer.alloc(size - start);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  return { text: buf.toString('utf8'), truncated: start > 0 };
}

export async function registerRunRoutes(fastify: FastifyInstance, ctx: ServerContext): Promise<void> {
  const { runs } = ctx;
  const store = runs.engine.store;
  // recent task log lines of the runs driven here, per `<run> <step>` (the supervised commands' files hold the rest)
  const logs = new Map<string, string>();
  // each step's last MEMORY_LOG_CHARS characters, MEMORY_LOGS_CHARS in all: the least recently written go first
  let kept = 0;
  const keepLog = (key: string, text: string) => {
    const was = logs.get(key) ?? '';
    const now = (was + text).slice(-MEMORY_LOG_CHARS);
    logs.delete(key);
    logs.set(key, now);
    kept += now.length - was.length;
    for (const [k, v] of logs) {
      if (kept <= MEMORY_LOGS_CHARS || k === key) break;
      logs.delete(k);
      kept -= v.length;
    }
  };
  runs.subscribeAll((e) => {
    if (e.type === 'task.log') keepLog(`${e.runId} ${e.step}`, e.text);
  });

  // listings are shared: the store is read at most every 250 ms whatever the number of clients (server/runs.ts)
  const cachedListing = () => runs.listing(250);

  const record = (id: string) => runs.record(id);

  fastify.post<{ Body: { workflow: string; params?: Record<string, unknown> } }>(
    '/api/runs',
    {
      config: { access: 'operate' },
      schema: {
        summary: 'Starts a run of a catalog workflow; params are checked as `gravity run --param` checks them',
        body: {
          type: 'object',
          properties: {
            workflow: WORKFLOW_ID,
            params: { type: 'object', description: 'name -> value (strings are read as on the command line)' },
          },
          required: ['workflow'],
          additionalProperties: false,
        },
        response: {
          202: {
            type: 'object',
            properties: { runId: { type: 'string' }, workflow: { type: 'string' }, status: { type: 'string' } },
          },
        },
      },
    },
    async (req, reply) => {
      const runId = await ctx.startWorkflow(req.body.workflow, req.body.params ?? {}, `api:${req.token!.name}`);
      const r = await record(runId);
      return reply
        .status(202)
        .header('location', `/api/runs/${runId}`)
        .send({ runId, workflow: r.workflow, status: r.status });
    },
  );

  fastify.get<{ Querystring: { workflow?: string; status?: string; limit?: number; all?: boolean } }>(
    '/api/runs',
    {
      schema: {
        summary: 'Runs, newest first (top-level runs unless all=true)',
        querystring: {
          type: 'object',
          properties: {
            workflow: WORKFLOW_ID,
            status: { type: 'string', enum: STATUSES },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
            all: { type: 'boolean', description: 'child runs too' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const { runs: all, unreadable } = await cachedListing();
      const q = req.query;
      const rows = all
        .filter((r) => (q.all || !r.parent) && (q.workflow === undefined || r.workflow === q.workflow))
        .filter((r) => q.status === undefined || shownStatus(r) === q.status)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
        .slice(0, q.limit ?? 50)
        .map(summary);
      return { runs: rows, unreadable: unreadable.map(({ id, ...rest }) => ({ runId: id, ...rest })) };
    },
  );

  fastify.get<{ Params: { id: string } }>(
    '/api/runs/:id',
    { schema: { summary: 'One run: its record and its steps', params: idParams } },
    async (req) => {
      const r = await record(req.params.id);
      const journal = await readJournal(store, r.id);
      const { runs: all } = await cachedListing();
      const children = all.filter((c) => c.parent === r.id).map(summary);
      return { run: { ...r, status: shownStatus(r) }, steps: stepsOf(r, journal), children };
    },
  );

  fastify.get<{ Params: { id: string } }>(
    '/api/runs/:id/journal',
    { schema: { summary: "One run's journal, every line in order", params: idParams } },
    async (req) => {
      const r = await record(req.params.id);
      return { runId: r.id, entries: await readJournal(store, r.id) };
    },
  );

  fastify.get<{ Params: { id: string } }>(
    '/api/runs/:id/bpmn',
    {
      schema: {
        summary: 'The definition the run executes (stored with it) as BPMN XML with its diagram (gravity dialect)',
        params: idParams,
      },
    },
    async (req, reply) => {
      const r = await record(req.params.id);
      const def = await readDefinition(store, r.definitionHash);
      if (!def) throw new HttpError(404, 'NOT_FOUND', `run ${r.id}: its definition ${r.definitionHash} is not stored`);
      const { exportBpmn } = await import('../../bpmn/index.js');
      return reply.type('application/xml; charset=utf-8').send(await exportBpmn(def));
    },
  );

  fastify.get<{ Params: { id: string; step: string } }>(
    '/api/runs/:id/steps/:step/log',
    {
      schema: {
        summary: "A step's log: the output of its commands (their files) or the lines it printed while driven here",
        params: {
          type: 'object',
          properties: { id: RUN_ID, step: STEP_ID },
          required: ['id', 'step'],
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const r = await record(req.params.id);
      const step = req.params.step;
      const parts: string[] = [];
      let truncated = false;
      const dir = runs.engine.filesDir ? join(runs.engine.filesDir(r.id), 'steps', stepFolderName(step)) : undefined;
      if (dir && existsSync(dir)) {
        for (const attempt of readdirSync(dir).sort()) {
          if (!statSync(join(dir, attempt)).isDirectory()) continue;
          for (const c of readdirSync(join(dir, attempt)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))) {
            for (const stream of ['stdout', 'stderr']) {
              const f = join(dir, attempt, c, stream);
              if (!existsSync(f) || statSync(f).size === 0) continue;
              const t = tail(f, LOG_BYTES);
              truncated ||= t.truncated;
              parts.push(`── ${attempt}/${c} ${stream}\n${t.text}`);
            }
          }
        }
      }
      const mem = logs.get(`${r.id} ${step}`);
      if (!parts.length && mem) parts.push(mem);
      return { runId: r.id, step, text: parts.join('\n'), truncated };
    },
  );

  // live events: the journal from the start (or after Last-Event-ID), then each new line as it is written, the record
  // when its status changes, and the task log lines of runs driven here
  let streams = 0;
  // the streams open now, ended when the server closes (a browser left on a run page must not hold a shutdown)
  const open = new Set<() => void>();
  fastify.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  fastify.get<{ Params: { id: string } }>(
    '/api/runs/:id/events',
    {
      schema: {
        summary:
          'Server-Sent Events: `journal` (id = line index), `run` (the record, on each change), `log` (output lines)',
        params: idParams,
      },
    },
    async (req, reply) => {
      const r = await record(req.params.id);
      if (streams >= MAX_STREAMS) throw new HttpError(503, 'BUSY', `${MAX_STREAMS} event streams are open already`);
      streams++;
      const last = Number(req.headers['last-event-id']);
      let sent = Number.isInteger(last) && last >= 0 ? last + 1 : 0;
      let lastRecord = '';
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      });
      const write = (event: string, data: unknown, id?: number) =>
        raw.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      let busy = false;
      let again = false;
      let closed = false;
      const pump = async () => {
        if (closed) return;
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        try {
          do {
            again = false;
            const journal = await readJournal(store, r.id);
            for (; sent < journal.length; sent++) write('journal', { index: sent, entry: journal[sent] }, sent);
            // an unreadable record is skipped here (the journal goes on); GET /api/runs/:id names the problem
            const rec = await getRun(store, r.id).catch(() => undefined);
            const shown = rec ? JSON.stringify({ ...rec, status: shownStatus(rec) }) : '';
            if (shown && shown !== lastRecord) {
              lastRecord = shown;
              raw.write(`event: run\ndata: ${shown}\n\n`);
            }
          } while (again && !closed);
        } catch (e) {
          write('error', { message: (e as Error).message });
        } finally {
          busy = false;
        }
      };
      let wake: NodeJS.Timeout | undefined;
      const soon = () => {
        if (!wake) wake = setTimeout(() => ((wake = undefined), void pump()), 30);
      };
      const off = runs.subscribe(r.id, (e) => {
        if (e.type === 'task.log') {
          if (e.runId === r.id)
            write('log', { runId: e.runId, step: e.step, level: e.level, text: e.text.slice(0, 16 * 1024) });
        } else if (e.runId === r.id) soon();
      });
      // a run another process drives is read again every second; a comment every 15 s keeps proxies from closing
      const poll = setInterval(() => void pump(), 1000);
      let beats = 0;
      const beat = setInterval(() => raw.write(`: ${++beats}\n\n`), 15_000);
      const close = () => {
        if (closed) return;
        closed = true;
        streams--;
        open.delete(end);
        off();
        clearInterval(poll);
        clearInterval(beat);
        if (wake) clearTimeout(wake);
      };
      const end = () => {
        close();
        raw.end();
      };
      open.add(end);
      req.raw.on('close', close);
      raw.on('error', close);
      await pump();
    },
  );

  const act = <B>(
    path: string,
    summaryText: string,
    body: Record<string, unknown> | undefined,
    handler: (id: string, body: B, reply: FastifyReply, token: string) => Promise<unknown>,
  ) =>
    fastify.post<{ Params: { id: string }; Body: B }>(
      `/api/runs/:id/${path}`,
      {
        config: { access: 'operate' },
        schema: {
          summary: summaryText,
          params: idParams,
          ...(body ? { body: { type: 'object', additionalProperties: false, ...body } } : {}),
        },
      },
      async (req, reply) => {
        const out = await handler(req.params.id, (req.body ?? {}) as B, reply, req.token!.name);
        await record(req.params.id).catch(() => undefined);
        return out;
      },
    );

  act('cancel', 'Cancels a running or waiting run (resumable afterwards)', undefined, async (id) => {
    const status = await runs.cancel(id);
    return { runId: id, status };
  });

  act<{ force?: boolean }>(
    'resume',
    'Resumes an interrupted, cancelled, detached or needs-attention run here',
    {
      properties: {
        force: { type: 'boolean', description: 'run again the interrupted steps that are not idempotent' },
      },
    },
    async (id, body, reply) => {
      await runs.resume(id, { force: body.force === true });
      return reply.status(202).send({ runId: id, status: (await record(id)).status });
    },
  );

  act('rollback', "Runs the compensations of the run's finished steps, newest first", undefined, async (id) => {
    const report = await runs.rollback(id);
    return { runId: id, report };
  });

  const answer = async (id: string, a: AnswerRequest, reply: FastifyReply) => {
    await runs.resume(id, { answer: a });
    return reply.status(202).send({ runId: id, status: (await record(id)).status });
  };
  act<{ step?: string; reason?: string }>(
    'approve',
    'Approves the approval step the run waits at',
    { properties: { step: STEP_ID, reason: { type: 'string', maxLength: 2000 } } },
    (id, b, reply, who) => answer(id, { kind: 'approve', step: b.step, reason: b.reason, by: `api:${who}` }, reply),
  );
  act<{ step?: string; reason: string }>(
    'reject',
    'Rejects the approval step the run waits at (a reason is required: it is journaled)',
    {
      properties: { step: STEP_ID, reason: { type: 'string', minLength: 1, maxLength: 2000 } },
      required: ['reason'],
    },
    (id, b, reply, who) => answer(id, { kind: 'reject', step: b.step, reason: b.reason, by: `api:${who}` }, reply),
  );
  act<{ message: string; key?: string; data?: unknown; step?: string }>(
    'signal',
    'Delivers a message to the run: to the message wait it parks at, or to a step that listens for it',
    {
      properties: {
        message: { type: 'string', minLength: 1, maxLength: 200 },
        key: { type: 'string', maxLength: 200 },
        data: { description: 'the message data (any JSON)' },
        step: STEP_ID,
      },
      required: ['message'],
    },
    async (id, b, reply, who) => {
      const r = await record(id);
      const a: AnswerRequest = {
        kind: 'message',
        name: b.message,
        key: b.key,
        data: b.data,
        step: b.step,
        by: `api:${who}`,
      };
      const route = messageRoute(r, a);
      const live = r.status === RunStatus.Running && (r.pid === process.pid || isRunLive(r));
      if (route.kind === 'wait' || !live) return answer(r.id, a, reply);
      const d = await signalRunningRun(runs.engine, r.id, a);
      if (d.outcome === 'parked') {
        await runs.resume(r.id, { waitMs: 30_000 });
        return reply.status(202).send({ runId: r.id, outcome: 'parked' });
      }
      if (d.outcome === 'dropped')
        throw new BadInputError(`message "${d.message}" came too late: <${d.step}> had ended (dropped, journaled)`);
      return { runId: r.id, outcome: d.outcome, step: d.step };
    },
  );
}
