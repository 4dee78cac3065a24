// Commands that execute: run, resume, rollback, cancel. They render progress and return an exit code.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type {
  AnswerRequest,
  AskAnswer,
  Definition,
  EngineOptions,
  RunEvent,
  RunRecord,
  RunResult,
} from '../../engine/index.js';
import {
  absolutePathParams,
  APPROVAL_TASK,
  listSteps,
  listRuns,
  BadInputError,
  CancelledError,
  cancelRun,
  declaredRoot,
  DetachedError,
  loadRun,
  messageRoute,
  paramsToAsk,
  parseParamPairs,
  planDefinition,
  readJournal,
  resolveParams,
  resultOf,
  resumeRun,
  rollbackRun,
  signalRunningRun,
  startRun,
} from '../../engine/index.js';
import type { App } from '../app.js';
import { askParams, openParamTerminal } from '../ask-params.js';
import { exitCodeOf, Exit, formatPlan, formatResult, print } from '../format.js';
import { plainRenderer, ttyRenderer, type Renderer } from '../render.js';

/** Options shared by run and resume. */
export interface ExecOptions {
  json?: boolean;
  root?: string;
  /** false with `--no-input`: an approval parks the run instead of asking at the terminal. */
  input?: boolean;
  /** Set by commands that drive several runs: each result is added here instead of printed (they print one document). */
  results?: RunResult[];
}

/** True when an approval may be asked at this terminal (not with --no-input, --json, in CI or without a terminal). */
function canAsk(o: ExecOptions): boolean {
  return o.input !== false && !o.json && !process.env.CI && !!process.stdin.isTTY && !!process.stdout.isTTY;
}

/**
 * Asks an approval at the terminal: `y` approves, `n` (the default) rejects, `p` (or end of input) parks the run so that
 * someone else answers later with `gravity approve|reject`.
 */
async function askAtTerminal(q: { runId: string; step: string; message: string }): Promise<AskAnswer | undefined> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const closed = new Promise<undefined>((r) => rl.once('close', () => r(undefined)));
  // Ctrl-C at the prompt is the run's cancel, as anywhere else
  rl.once('SIGINT', () => {
    rl.close();
    process.kill(process.pid, 'SIGINT');
  });
  try {
    const line = await Promise.race([
      rl.question(`\n? <${q.step}> ${q.message} [y = approve, N = reject, p = park for later] `),
      closed,
    ]);
    if (line === undefined) return undefined;
    const a = line.trim().toLowerCase();
    if (a === 'p' || a === 'park') return undefined;
    if (a === 'y' || a === 'yes') return { approved: true, reason: 'approved at the terminal' };
    return { approved: false, reason: 'answered no at the terminal' };
  } finally {
    rl.close();
  }
}

/**
 * Runs `fn` with SIGINT and SIGTERM turned into a graceful cancel (a second signal exits at once): the running step's
 * process group is stopped and the run recorded as cancelled, resumable. SIGHUP (what a dropped SSH session sends)
 * detaches instead: the running step goes on under the step supervisor if it is supervised (a step that is not is
 * stopped as on a cancel), the run is recorded as detached, and `gravity resume` re-attaches to it. The terminal may be
 * gone then, so writing to it must not kill the process before the run is recorded.
 */
async function withCancel<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const ignoreWriteErrors = () => undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(Exit.Cancelled);
    if (signal === 'SIGHUP') {
      // the terminal hung up: later writes to it fail (EIO, EPIPE); they must not end the process
      process.stdout.on('error', ignoreWriteErrors);
      process.stderr.on('error', ignoreWriteErrors);
    }
    try {
      process.stderr.write(
        signal === 'SIGHUP'
          ? `\ndetaching (SIGHUP): the running step goes on under the step supervisor; \`gravity resume\` re-attaches\n`
          : `\ncancelling (${signal}): stopping the running step (Ctrl-C again to quit at once)\n`,
      );
    } catch {
      // no terminal any more: the run is recorded all the same
    }
    ac.abort(signal === 'SIGHUP' ? new DetachedError('detached on SIGHUP (the terminal hung up)') : undefined);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}

async function rendererFor(
  def: Definition | undefined,
  o: ExecOptions,
  runId: () => string | undefined,
): Promise<Renderer | undefined> {
  if (o.json) return undefined;
  // a run that may ask at the terminal prints plain lines: a live display would paint over the question
  const asks = canAsk(o) && def !== undefined && listSteps(def).some((s) => s.src === APPROVAL_TASK);
  if (process.stdout.isTTY && def && !process.env.CI && !asks) return ttyRenderer(def, runId);
  return plainRenderer(process.stdout, runId);
}

async function execute(
  app: App,
  def: Definition | undefined,
  o: ExecOptions,
  go: (engine: EngineOptions, signal: AbortSignal) => Promise<RunResult>,
): Promise<number> {
  let root: string | undefined;
  const renderer = await rendererFor(def, o, () => root);
  const onEvent = (e: RunEvent) => {
    if (
      root === undefined &&
      (e.type === 'run.started' || e.type === 'run.resumed' || e.type === 'run.needs-attention')
    )
      root = e.runId;
    renderer?.onEvent(e);
  };
  const engine = { ...(await app.engine(onEvent, o.root)), ...(canAsk(o) ? { ask: askAtTerminal } : {}) };
  const result = await withCancel((signal) => go(engine, signal));
  await renderer?.done();
  if (o.results) o.results.push(result);
  else print(o.json, formatResult(result), result);
  return exitCodeOf(result.status);
}

/** Drives `ids` one after the other (resumeCommand with `o`), then prints their results as one document. */
async function driveEach(
  app: App,
  ids: string[],
  o: ExecOptions & { answer?: AnswerRequest; waitMs?: number },
): Promise<number> {
  const results: RunResult[] = [];
  let code: number = Exit.Ok;
  for (const id of ids) code = Math.max(code, await resumeCommand(app, id, { ...o, results }));
  print(o.json, results.map(formatResult).join('\n'), { runs: results });
  return code;
}

/** `gravity resume --due`: every waiting run whose timeout path has fallen due, oldest first (for cron). */
export async function resumeDueCommand(
  app: App,
  o: ExecOptions & { force?: boolean; allowChanged?: boolean; waitMs?: number },
): Promise<number> {
  const now = Date.now();
  const due = (await listRuns(app.store)).runs
    .filter(
      (r) =>
        !r.parent &&
        r.status === 'waiting' &&
        (r.waiting ?? []).some((w) => w.until !== undefined && Date.parse(w.until) <= now),
    )
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  if (!due.length) {
    print(o.json, 'no waiting run is due (none has a timeout that has passed)', { runs: [] });
    return Exit.Ok;
  }
  return driveEach(
    app,
    due.map((r) => r.id),
    o,
  );
}

/**
 * `--root` for a run that has a root of its own (declared by its workflow, recorded with the run) is refused (exit 2):
 * the declared root is where that workflow writes, and silently confining it elsewhere would fail it halfway.
 */
function refuseRootOption(root: string | undefined, what: string, own: string | undefined): void {
  if (root !== undefined && own !== undefined)
    throw new BadInputError(
      `--root cannot be used with ${what}: it declares its own root (${own}), the folder its file tasks may not write outside of; run it without --root`,
      { root: own },
    );
}

/**
 * The params `given` completed at the terminal (cli/ask-params.ts): undefined when Ctrl-C cancelled the questions.
 * @throws BadInputError as resolveParams does, when an answer stays bad or a required param gets none.
 */
async function askMissingParams(
  app: App,
  def: Definition,
  given: Record<string, string>,
): Promise<Record<string, unknown> | undefined> {
  const ac = new AbortController();
  const terminal = await openParamTerminal(ac);
  try {
    const registry = await app.registry();
    return await askParams({ def, given, registry, store: app.store, terminal, signal: ac.signal });
  } catch (e) {
    if (e instanceof CancelledError) return undefined;
    throw e;
  } finally {
    terminal.close();
  }
}

/** `gravity run <workflow | file.json> [--param k=v] [--dry-run]`. */
export async function runCommand(
  app: App,
  ref: string,
  o: ExecOptions & { param?: string[]; dryRun?: boolean; map?: string[] },
): Promise<number> {
  const { def, source } = await app.load(ref, parseParamPairs(o.map ?? []));
  const given = parseParamPairs(o.param ?? []);
  let raw: Record<string, unknown> = given;
  // on a terminal, what the run lacks (or may pick from a list) is asked rather than refused; never for a dry run,
  // which only shows, nor without a terminal (CI, pipes, --json, --no-input): there a missing param stays exit 2
  if (!o.dryRun && canAsk(o) && paramsToAsk(def, given).length) {
    refuseRootOption(o.root, def.id, def.root);
    const answered = await askMissingParams(app, def, given);
    if (answered === undefined) {
      process.stderr.write('cancelled: no run was started\n');
      return Exit.Cancelled;
    }
    raw = answered;
  }
  const params = resolveParams(def, raw);
  refuseRootOption(o.root, def.id, def.root);
  if (o.dryRun) {
    // what the run would start with: path params made absolute, the declared root evaluated (engine/run-root.ts)
    const base = resolve(o.root ?? '.');
    const planned = absolutePathParams(def, params, base);
    const root = (await declaredRoot(def, planned, base)) ?? base;
    const origin = def.root !== undefined ? `declared by ${def.id}` : '--root';
    const plan = planDefinition(def, await app.registry(), planned);
    print(
      o.json,
      `dry run of ${def.id} (nothing is changed)\nparams: ${JSON.stringify(planned)}\nroot: ${root} (${origin})\n${formatPlan(plan)}`,
      { workflow: def.id, dryRun: true, params: planned, root, steps: plan },
    );
    return Exit.Ok;
  }
  return execute(app, def, o, (engine, signal) => startRun(engine, def, { params, source, signal }));
}

async function currentDefinition(app: App, r: RunRecord): Promise<Definition | undefined> {
  if (r.source.kind === 'catalog' && r.source.ref) return (await app.catalog()).findWorkflow(r.source.ref);
  if (r.source.kind === 'file' && r.source.ref) {
    if (!existsSync(r.source.ref)) return undefined; // the file is gone: the stored copy is used
    if (/\.json$/i.test(r.source.ref)) return JSON.parse(readFileSync(r.source.ref, 'utf8')) as Definition;
    return (await app.load(r.source.ref, r.source.mappings)).def;
  }
  return undefined;
}

/** `gravity resume <run> [--force] [--allow-changed] [--wait [seconds]]`; with `answer`, approve / reject / signal. */
export async function resumeCommand(
  app: App,
  runId: string,
  o: ExecOptions & { force?: boolean; allowChanged?: boolean; waitMs?: number; answer?: AnswerRequest },
): Promise<number> {
  const record = await loadRun(app, runId);
  refuseRootOption(o.root, `run ${record.id} of ${record.workflow}`, record.root);
  const def = await currentDefinition(app, record);
  return execute(app, def, o, (engine, signal) =>
    resumeRun(engine, record.id, {
      definition: def,
      force: o.force,
      allowChanged: o.allowChanged,
      signal,
      waitMs: o.waitMs,
      answer: o.answer,
    }),
  );
}

/** `gravity approve <run> [--step id] [--reason text]` and `gravity reject <run> --reason text [--step id]`. */
export async function answerCommand(
  app: App,
  runId: string,
  kind: 'approve' | 'reject',
  o: ExecOptions & { step?: string; reason?: string; waitMs?: number },
): Promise<number> {
  if (kind === 'reject' && !o.reason?.trim())
    throw new BadInputError('gravity reject needs --reason "<why>": it is journaled with the rejection');
  return resumeCommand(app, runId, { ...o, answer: { kind, step: o.step, reason: o.reason } });
}

/** The JSON of `--data`, or a BadInputError naming the problem. */
function parseData(data: string | undefined): unknown {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(data);
  } catch (e) {
    throw new BadInputError(`--data is not JSON: ${(e as Error).message} (e.g. --data '{"url":"http://..."}')`);
  }
}

/**
 * Delivers message `o.answer` to run `runId`: to the message wait it is parked at (journaled, then the run is driven on
 * here), or to the step that listens for it (a message boundary). A parked run's listening step takes it from the run's
 * inbox when this process resumes the run; a run another process drives takes it there (engine/inbox.ts): this waits
 * until it did and says what became of it (exit 0), or, when the run parked first, resumes it here. A message the step
 * no longer listened for when it came is dropped (exit 2). Neither a wait nor a listener: exit 2, with what the run
 * waits for and listens for.
 */
async function signalRun(
  app: App,
  runId: string,
  o: ExecOptions & { answer: AnswerRequest; waitMs?: number; lines?: string[] },
): Promise<number> {
  const record = await loadRun(app, runId);
  const route = messageRoute(record, o.answer);
  if (route.kind === 'wait' || record.status !== 'running') {
    const code = await resumeCommand(app, record.id, o);
    if (o.results?.length) o.lines?.push(formatResult(o.results[o.results.length - 1]));
    return code;
  }
  const d = await signalRunningRun(app, record.id, o.answer);
  if (d.outcome === 'parked') {
    // it parked before it took the message: it takes it when resumed, here (its process may still be letting go)
    const code = await resumeCommand(app, record.id, {
      ...o,
      answer: undefined,
      waitMs: Math.max(o.waitMs ?? 0, 30_000),
    });
    if (o.results?.length) o.lines?.push(formatResult(o.results[o.results.length - 1]));
    return code;
  }
  if (d.outcome === 'dropped')
    throw new BadInputError(
      `message "${d.message}" came too late for run ${d.runId}: <${d.step}> had ended before the run took it (dropped, journaled)`,
      { run: d.runId, step: d.step },
    );
  const key = d.key === undefined ? '' : ` (key ${d.key})`;
  const to = /<([^>]+)>/.exec(d.entry?.message ?? '')?.[1];
  const human =
    d.outcome === 'interrupted'
      ? `✉ message "${d.message}"${key} delivered to run ${d.runId}, running in process ${record.pid ?? '?'}: <${d.step}> was interrupted${to ? `, the run goes on at <${to}>` : ''}`
      : `✉ message "${d.message}"${key} is in the inbox of run ${d.runId} (${d.record.status}): <${d.step}> takes it when it listens again${d.record.status === 'running' ? '' : ` (gravity resume ${d.runId})`}`;
  const result = {
    ...resultOf(d.record, await readJournal(app.store, d.runId)),
    delivered: { step: d.step, message: d.message, ...(d.key === undefined ? {} : { key: d.key }), outcome: d.outcome },
  };
  if (o.results) {
    o.results.push(result);
    o.lines?.push(human);
  } else print(o.json, human, result);
  return Exit.Ok;
}

/**
 * `gravity signal <run> <message> [--key k] [--data json] [--step id]` delivers a message to one run, which waits for
 * it or has a step that listens for it (a message boundary); `gravity signal --message <name> --key <k> [--data json]`
 * to every run whose step waits or listens for it with that key.
 */
export async function signalCommand(
  app: App,
  runId: string | undefined,
  message: string | undefined,
  o: ExecOptions & { message?: string; key?: string; data?: string; step?: string; waitMs?: number },
): Promise<number> {
  const name = message ?? o.message;
  if (name === undefined)
    throw new BadInputError(
      'name the message: `gravity signal <run> <message>` or `gravity signal --message <name> --key <k>`',
    );
  if (message !== undefined && o.message !== undefined && message !== o.message)
    throw new BadInputError(`two message names given: "${message}" and --message "${o.message}"`);
  const answer: AnswerRequest = { kind: 'message', name, key: o.key, data: parseData(o.data), step: o.step };
  if (runId !== undefined) return signalRun(app, runId, { ...o, answer });
  if (o.key === undefined)
    throw new BadInputError(
      'without a run id, `gravity signal --message <name>` needs --key <k> (the correlation key)',
    );
  // a child run waits with its caller, which passes the answer on: the callers are the ones answered
  const targets = (await listRuns(app.store)).runs.filter((r) => {
    if (r.parent) return false;
    try {
      messageRoute(r, answer);
      return true;
    } catch {
      return false;
    }
  });
  if (!targets.length)
    throw new BadInputError(
      `no waiting run waits for message "${name}" with key ${o.key}, and no run listens for it with that key`,
    );
  const results: RunResult[] = [];
  const lines: string[] = [];
  let code: number = Exit.Ok;
  for (const r of targets.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)))
    code = Math.max(code, await signalRun(app, r.id, { ...o, answer, results, lines }));
  print(o.json, lines.join('\n'), { runs: results });
  return code;
}

/** `gravity rollback <run>`. */
export async function rollbackCommand(app: App, runId: string, o: ExecOptions): Promise<number> {
  if (o.root !== undefined) {
    const record = await loadRun(app, runId);
    refuseRootOption(o.root, `run ${record.id} of ${record.workflow}`, record.root);
  }
  const renderer = o.json ? undefined : plainRenderer(process.stdout, () => undefined, { compensation: true });
  const report = await rollbackRun(await app.engine((e) => renderer?.onEvent(e), o.root), runId);
  const human = [
    formatResult(report),
    // what each compensation did (removed, kept, already gone) is on its line above
    report.compensated.length ? `  compensations run: ${report.compensated.join(', ')}` : '  nothing to compensate',
    ...(report.skipped.length ? [`  no compensation defined: ${report.skipped.join(', ')}`] : []),
    ...(report.interrupted.length ? [`  interrupted, left as they are: ${report.interrupted.join(', ')}`] : []),
    ...(report.failed ? [`  ✖ compensation of <${report.failed.step}> failed: ${report.failed.error.message}`] : []),
  ].join('\n');
  print(o.json, human, report);
  return report.failed ? Exit.Failed : Exit.Ok;
}

/** `gravity cancel <run>`: SIGINT to the process running it (a graceful cancel), or marks a dead run cancelled. */
export async function cancelCommand(app: App, runId: string, o: { json?: boolean; waitMs?: number }): Promise<number> {
  const r = await cancelRun(await app.engine(), runId, { waitMs: o.waitMs });
  const human = r.signalled
    ? `■ run ${r.runId} ${r.status}`
    : `■ run ${r.runId} was interrupted (its process is gone); marked cancelled, resume with: gravity resume ${r.runId}`;
  print(o.json, human, { runId: r.runId, status: r.status });
  return Exit.Ok;
}
