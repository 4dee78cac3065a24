// compile(definition) -> xstate machine: FEEL guards, task states as promise actors, timers, parallel regions.
import { assign, fromPromise, raise, setup, type AnyActorRef, type AnyStateMachine } from 'xstate';
import type { Definition, StateConfig, StateMeta, Target } from './definition.js';
import { CANCEL_EVENT, RETHROW, stateKind, StateKind } from './definition.js';
import { evaluateCondition, evaluateExpression, isExpression, resolveTemplate } from './expressions.js';
import { CancelledError, ErrorCode, GravityError, serializeError, type SerializedError } from './errors.js';
import { parseDelay } from './duration.js';
import { messageOfEvent, type MessageListener } from './message-boundaries.js';

/** One task invocation as the runner receives it. */
export interface TaskRequest {
  step: string;
  /** Task id or `workflow:<id>`. */
  src: string;
  input: unknown;
  meta: StateMeta;
  /** Set when the input template could not be evaluated. */
  inputError?: SerializedError;
  /** Names added to the scope the task sees (a for-each item's `item` and `index`). */
  vars?: Record<string, unknown>;
  /** A for-each over a sub-sequence: the body, a workflow of its own that each item runs as a child run. */
  body?: Definition;
  /** The messages that interrupt the step while it runs (its message boundaries), keys evaluated as it starts. */
  listen?: MessageListener[];
  /** Set when a correlation key of its message boundaries (meta.messageKeys) could not be evaluated: the step fails. */
  listenError?: SerializedError;
}

/** What the machine hands to a step's actor (persisted with the snapshot, so kept small). */
type StepInput = Pick<TaskRequest, 'input' | 'inputError' | 'listen' | 'listenError'>;

/**
 * The message boundaries a step listens for, with their correlation keys evaluated over `context` (when the step
 * starts): a key is a string or a number (kept as a string); one that evaluates to anything else fails the step.
 */
function listenersOf(key: string, messages: string[], meta: StateMeta, context: RunContext): Omit<StepInput, 'input'> {
  if (!messages.length) return {};
  try {
    let scope: Record<string, unknown> | undefined;
    const listen = messages.map((message): MessageListener => {
      const k = meta.messageKeys?.[message];
      if (k === undefined) return { message };
      const v = resolveTemplate(k, (scope ??= scopeOf(context)), `${key}.messageKeys.${message}`);
      if ((typeof v !== 'string' || v === '') && typeof v !== 'number')
        throw new GravityError(
          ErrorCode.Validation,
          `step <${key}>: the correlation key of message "${message}" (meta.messageKeys: ${k}) gave ${JSON.stringify(v) ?? 'nothing'}; expected a non-empty string or a number`,
          { step: key, message },
        );
      return { message, key: String(v) };
    });
    return { listen };
  } catch (e) {
    return { listenError: serializeError(e) };
  }
}

/** What the compiled machine calls out to: the runner implements it. */
export interface Runtime {
  runTask(request: TaskRequest, signal: AbortSignal): Promise<unknown>;
}

/** The machine's context: params, variables, step outputs and the last error. */
export interface RunContext {
  params: Record<string, unknown>;
  vars: Record<string, unknown>;
  steps: Record<string, unknown>;
  error: (SerializedError & { step?: string }) | null;
  /** The error a cleanup()'s body ended with, which its failure path re-throws (absent until a body fails). */
  rethrow?: (SerializedError & { step?: string }) | null;
  /**
   * How many outcomes (an output, or a failure the machine handled) of each step the machine has taken in. A snapshot
   * carries it: resume replays each step's journaled outcomes beyond it (engine/resume.ts).
   */
  outcomes?: Record<string, number>;
}

/** Counts one more outcome of `step` in `context` (in place: nothing keeps older contexts; snapshots copy it). */
function countOutcome(context: RunContext, step: string): Record<string, number> {
  const outcomes = context.outcomes ?? {};
  outcomes[step] = (outcomes[step] ?? 0) + 1;
  return outcomes;
}

/** The FEEL scope of a context: variables at top level plus `params`, `vars`, `steps`, `error`. */
export function scopeOf(ctx: RunContext): Record<string, unknown> {
  return { ...ctx.params, ...ctx.vars, params: ctx.params, vars: ctx.vars, steps: ctx.steps, error: ctx.error };
}

const ROOT = 'root';
/** What xstate sends when an invoked step fails (`xstate.error.actor.<step id>`): a compound's onError catches them all. */
const STEP_ERROR = 'xstate.error.actor.';
/** Raised by a failing end inside a compound with onError: the compound's onError catches it like a step's failure. */
const FAIL_EVENT = 'gravity.fail';

/** The error a failing end stands for: the handled error itself when its message re-throws it, else a new one. */
function failError(
  context: RunContext,
  element: string,
  fail: NonNullable<StateMeta['fail']>,
): NonNullable<RunContext['error']> {
  if (typeof fail === 'object' && fail.message === RETHROW && (context.rethrow ?? context.error))
    return (context.rethrow ?? context.error)!;
  const msg =
    typeof fail === 'object' && fail.message
      ? String(resolveTemplate(fail.message, scopeOf(context), element))
      : `run ended in <${element}>`;
  return new GravityError(ErrorCode.TaskFailed, msg, { element }).toJSON();
}

/** The runtime of each running actor system: the compiled machine is shared by runs, each run binds its own runtime. */
const runtimes = new WeakMap<object, Runtime>();

/** Binds `runtime` to the actor `actor` (created from a {@link compile}d machine): its steps call `runtime.runTask`. */
export function bindRuntime(actor: AnyActorRef, runtime: Runtime): void {
  runtimes.set(actor.system, runtime);
}

/** Machines compiled so far, by definition (a definition is data that does not change once validated). */
const machines = new WeakMap<Definition, { machine: Definition['machine']; compiled: AnyStateMachine }>();

/**
 * Compiles a (validated) definition into an xstate machine whose input is `{ params }`, once per definition: xstate's
 * processing of a machine costs about as much as running 100 no-op steps, and runs of one definition (sub-workflow
 * calls, the server, tests) share it. An actor created from it must be given its runtime with {@link bindRuntime}.
 */
export function compile(def: Definition): AnyStateMachine {
  const known = machines.get(def);
  if (known && known.machine === def.machine) return known.compiled;
  const compiled = compileMachine(def);
  machines.set(def, { machine: def.machine, compiled });
  return compiled;
}

function compileMachine(def: Definition): AnyStateMachine {
  const actors: Record<string, ReturnType<typeof fromPromise<unknown, StepInput>>> = {};
  const delays: Record<string, (a: { context: RunContext }) => number> = {};
  let stateCount = 0;

  const transition = (t: Target | undefined, action?: { type: string; params: Record<string, unknown> }) => {
    if (t === undefined) return undefined;
    const target = typeof t === 'string' ? t : t.target;
    return action ? { target, actions: [action] } : { target };
  };

  // nested: below the top level; guarded: inside a compound with onError (a cleanup's body), which catches failures
  const convert = (key: string, s: StateConfig, nested = false, guarded = false): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    stateCount++;
    if (s.type) out.type = s.type;
    if (s.initial) out.initial = s.initial;
    if (s.meta) out.meta = s.meta;
    if (nested && stateKind(s) === StateKind.Fail) {
      const fail = s.meta!.fail!;
      if (guarded) {
        // inside a compound with onError: not an end (that would end the compound as done) but a failure it catches
        delete out.type;
        out.entry = [
          raise(({ context }: { context: RunContext }) => ({ type: FAIL_EVENT, error: failError(context, key, fail) })),
        ];
      } else {
        // a failing end below the top level (in a parallel region) would only end its region: make it fail the run
        out.entry = [{ type: 'failRun', params: { element: key, fail } }];
      }
    }
    if (s.meta?.each && s.states && s.type !== 'parallel') return forEachState(key, s, out);
    const catches = !!s.states && s.type !== 'parallel' && s.onError !== undefined;
    if (s.states)
      out.states = Object.fromEntries(
        Object.entries(s.states).map(([k, c]) => [k, convert(k, c, true, guarded || catches)]),
      );
    if (s.invoke) {
      const meta = s.meta ?? {};
      const template = s.invoke.input;
      const src = s.invoke.src;
      const each = meta.each !== undefined;
      // its message boundaries (on: { 'message:<name>': ... }): what it listens for while it runs
      const messages = Object.keys(s.on ?? {}).flatMap((e) => messageOfEvent(e) ?? []);
      actors[`step:${key}`] = fromPromise<unknown, StepInput>(({ input, signal, system }) => {
        const runtime = runtimes.get(system);
        if (!runtime) throw new Error(`step <${key}> started by an actor with no runtime bound (bindRuntime)`);
        // a for-each resolves its input once per item (engine/each.ts): it gets the template
        const { input: resolved, inputError, ...listening } = input;
        return runtime.runTask(
          {
            step: key,
            src,
            meta,
            ...(each ? { input: template ?? {} } : { input: resolved, ...(inputError ? { inputError } : {}) }),
            ...listening,
          },
          signal,
        );
      });
      out.invoke = {
        id: key,
        src: `step:${key}`,
        input: ({ context }: { context: RunContext }): StepInput => {
          const listening = listenersOf(key, messages, meta, context);
          if (each) return { input: null, ...listening };
          try {
            return { input: resolveTemplate(template ?? {}, scopeOf(context), key), ...listening };
          } catch (e) {
            return { input: null, inputError: serializeError(e), ...listening };
          }
        },
        onDone: transition(s.onDone, {
          type: 'saveOutput',
          params: { step: key, outputs: meta.outputs, merge: meta.mergeOutput === true },
        }),
        onError: transition(s.onError, { type: 'saveError', params: { step: key } }),
      };
    } else if (s.onDone !== undefined) {
      out.onDone = transition(s.onDone);
    }
    if (s.always) {
      out.always = s.always.map((b) => ({
        target: b.target,
        ...(b.guard ? { guard: { type: 'expr', params: { expr: b.guard.params.expr, element: key } } } : {}),
      }));
    }
    if (s.after) {
      const after: Record<string, unknown> = {};
      for (const [delay, t] of Object.entries(s.after)) {
        if (isExpression(delay)) {
          const name = `${key}:${delay}`;
          delays[name] = ({ context }) => parseDelay(evaluateExpression(delay, scopeOf(context), key), key);
          after[name] = transition(t);
        } else {
          after[String(parseDelay(delay, key))] = transition(t);
        }
      }
      out.after = after;
    }
    const on: Record<string, unknown> = {};
    for (const [e, t] of Object.entries(s.on ?? {})) {
      if (e === CANCEL_EVENT) on[e] = transition(t, { type: 'saveCancel', params: { element: key } });
      else if (s.invoke && messageOfEvent(e) !== undefined)
        // a message boundary: the execution sends the event with the step it is for (two steps of parallel branches may
        // listen for one name: only the one the message was sent to is left), and the message's data
        on[e] = {
          ...transition(t, { type: 'saveMessage', params: { step: key } }),
          guard: { type: 'forStep', params: { step: key } },
        };
      else on[e] = transition(t);
    }
    if (catches) {
      // an unhandled failure of any step inside (xstate's partial wildcard), or a failing end inside
      on[`${STEP_ERROR}*`] = transition(s.onError, { type: 'saveCaughtError', params: {} });
      on[FAIL_EVENT] = transition(s.onError, { type: 'saveRaisedError', params: {} });
    }
    if (Object.keys(on).length) out.on = on;
    return out;
  };

  /**
   * A for-each over a sub-sequence (a compound with meta.each): one step whose actor runs the body once per item, each a
   * child run of the body as a workflow of its own (its output: the outputs of its steps, by id). Its states are never
   * states of this machine.
   */
  const forEachState = (key: string, s: StateConfig, out: Record<string, unknown>) => {
    const states = Object.fromEntries(
      Object.entries(s.states!).map(([k, c]) => [
        k,
        c.type === 'final' && !c.meta?.fail && !c.meta?.attention && c.output === undefined
          ? { ...c, output: '=steps' }
          : c,
      ]),
    );
    const body: Definition = { id: `${def.id}:${key}`, machine: { initial: s.initial!, states } };
    const meta = s.meta!;
    actors[`step:${key}`] = fromPromise<unknown, StepInput>(({ signal, system }) => {
      const runtime = runtimes.get(system);
      if (!runtime) throw new Error(`step <${key}> started by an actor with no runtime bound (bindRuntime)`);
      return runtime.runTask({ step: key, src: `each:${key}`, meta, input: null, body }, signal);
    });
    delete out.initial;
    delete out.type;
    out.invoke = {
      id: key,
      src: `step:${key}`,
      input: (): StepInput => ({ input: null }),
      onDone: transition(s.onDone, {
        type: 'saveOutput',
        params: { step: key, outputs: meta.outputs, merge: false },
      }),
      onError: transition(s.onError, { type: 'saveError', params: { step: key } }),
    };
    return out;
  };

  const states = Object.fromEntries(Object.entries(def.machine.states).map(([k, c]) => [k, convert(k, c)]));
  // The microstep budget (xstate's maxIterations): transitions a run may take in a row without waiting for a step or a
  // timer. Validation refuses eventless cycles (engine/validate.ts); should one it does not know get through, it stops
  // here with xstate's "Infinite loop detected" error instead of spinning on the engine's thread, deaf to Ctrl-C.
  // Without a cycle a run takes each transition at most once in a row (per parallel branch), far below this.
  const maxIterations = 1_000 + 20 * stateCount;
  return setup({
    types: {} as { context: RunContext; input: { params: Record<string, unknown> } },
    actors,
    delays: delays as never,
    guards: {
      expr: ({ context }, params: { expr: string; element: string }) =>
        evaluateCondition(params.expr, scopeOf(context), params.element),
      forStep: ({ event }, params: { step: string }) => (event as { step?: unknown }).step === params.step,
    },
    actions: {
      saveOutput: assign(
        ({ context, event }, params: { step: string; outputs?: Record<string, string>; merge: boolean }) => {
          const output = (event as { output?: unknown }).output;
          // written in place: copying the map on every step made long runs quadratic (nothing keeps older contexts)
          const steps = context.steps;
          steps[params.step] = output;
          let vars = context.vars;
          if (params.merge && output && typeof output === 'object' && !Array.isArray(output))
            vars = { ...vars, ...(output as object) };
          if (params.outputs) {
            // the output's own fields are visible at top level too, as Camunda and Zeebe output mappings expect
            const fields =
              output && typeof output === 'object' && !Array.isArray(output) ? (output as Record<string, unknown>) : {};
            const scope = { ...scopeOf({ ...context, steps, vars }), ...fields, output };
            vars = { ...vars };
            for (const [name, expr] of Object.entries(params.outputs))
              vars[name] = resolveTemplate(expr, scope, `${params.step}.outputs.${name}`);
          }
          return { steps, vars, outcomes: countOutcome(context, params.step) };
        },
      ),
      failRun: ({ context }, params: { element: string; fail: NonNullable<StateMeta['fail']> }) => {
        const e = failError(context, params.element, params.fail);
        throw new GravityError(e.code as ErrorCode, e.message, e.details ?? { element: params.element });
      },
      saveError: assign(({ context, event }, params: { step: string }) => ({
        error: { step: params.step, ...serializeError((event as { error?: unknown }).error) },
        outcomes: countOutcome(context, params.step),
      })),
      // the three below are what a cleanup's body ends with (a failure, a failing end, a cancel): kept apart as
      // `rethrow` too, so that an error a cleanup step handles afterwards does not replace it (`error` does change)
      saveCaughtError: assign(({ context, event }) => {
        const step = event.type.slice(STEP_ERROR.length);
        const error = { step, ...serializeError((event as { error?: unknown }).error) };
        return { error, rethrow: error, outcomes: countOutcome(context, step) };
      }),
      saveRaisedError: assign(({ event }) => {
        const error = (event as unknown as { error: RunContext['error'] }).error;
        return { error, rethrow: error };
      }),
      // a message boundary taken: the message's data, when it is an object, joins the variables (Camunda's
      // correlate-with-variables); the step left has no outcome (it was cancelled)
      saveMessage: assign(({ context, event }) => {
        const data = (event as { data?: unknown }).data;
        return data && typeof data === 'object' && !Array.isArray(data) ? { vars: { ...context.vars, ...data } } : {};
      }),
      saveCancel: assign((_, params: { element: string }) => {
        const error = { ...new CancelledError(`run cancelled in <${params.element}>`).toJSON() };
        return { error, rethrow: error };
      }),
    },
  }).createMachine({
    id: ROOT,
    options: { maxIterations },
    initial: def.machine.initial,
    context: ({ input }) => ({ params: input.params, vars: { ...input.params }, steps: {}, error: null, outcomes: {} }),
    states: states as never,
  }) as unknown as AnyStateMachine;
}
