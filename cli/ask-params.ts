// `gravity run` on a terminal: the params not given with --param that a run needs (required without a default) or
// that declare a choice list are asked, in declaration order, each answer validated as --param is. A choice list
// (engine/choices.ts) is shown numbered; it is read with the answers so far, so a backup list follows the instance
// chosen just before. Without a terminal nothing is asked: the caller does not come here.
import type { Choice, Definition, ParamSpec, Store, TaskRegistry } from '../engine/index.js';
import { BadInputError, CancelledError, paramsToAsk, resolveParam, resolveParams } from '../engine/index.js';

/** Answers tried per param before the last error ends the run (exit 2): a typo is forgiven, a loop is not. */
export const ASK_TRIES = 3;

/** The terminal, as the questions need it: a line read after a prompt (undefined at end of input), text written. */
export interface ParamTerminal {
  ask(prompt: string, signal: AbortSignal): Promise<string | undefined>;
  write(text: string): void;
}

/** What asking needs: the definition, the `--param` strings given, where choice lists come from. */
export interface AskParamsInput {
  def: Definition;
  given: Record<string, string>;
  registry: TaskRegistry;
  store: Store;
  terminal: ParamTerminal;
  /** Aborted by Ctrl-C at the terminal: a provider stops listing, a question stops waiting. */
  signal: AbortSignal;
}

/** The missing-param error of resolveParams for `name` (the same words with a terminal as without). */
function missing(def: Definition, raw: Record<string, unknown>, name: string): BadInputError {
  try {
    // the params before `name` are all known here: resolveParams names `name` as the first missing one
    resolveParams(def, raw);
  } catch (e) {
    if (e instanceof BadInputError && (e.details as { param?: string } | undefined)?.param === name) return e;
    throw e;
  }
  return new BadInputError(`missing param "${name}" for ${def.id}`, { param: name });
}

/** The choices of `spec`, or why there are none to show (a provider that fails leaves the question open, as text). */
async function choicesOf(
  spec: ParamSpec,
  a: AskParamsInput,
  known: Record<string, unknown>,
): Promise<{ list?: Choice[]; note?: string }> {
  if (spec.choices === undefined) return {};
  try {
    const list = await a.registry
      .choices(spec.choices)
      .list({ store: a.store, params: { ...known }, signal: a.signal });
    return { list };
  } catch (e) {
    if (a.signal.aborted) throw new CancelledError('cancelled at the terminal: no run was started');
    return { note: `(could not list ${spec.choices}: ${(e as Error).message}; type a value)` };
  }
}

/** The numbered lines of a choice list, values aligned. */
function formatChoices(list: Choice[]): string {
  const width = Math.max(...list.map((c) => c.value.length));
  const num = String(list.length).length;
  return list
    .map((c, i) => `  ${String(i + 1).padStart(num)}) ${c.label ? `${c.value.padEnd(width)}  ${c.label}` : c.value}`)
    .join('\n');
}

/**
 * Asks the params `paramsToAsk` names at the terminal; returns the raw params (the given strings plus the answers) for
 * resolveParams. An answer left empty takes the default (an optional param without one stays unset); with a choice
 * list, a number picks that line and anything else is taken as the value itself (the list is an offer: a value it
 * does not show, valid as --param, is fine). A bad answer is asked again, ASK_TRIES times in all, then its error ends
 * it; an empty list for a required param without default ends with the missing-param error, as without a terminal.
 * @throws BadInputError (exit 2), CancelledError on Ctrl-C.
 */
export async function askParams(a: AskParamsInput): Promise<Record<string, unknown>> {
  const { def, terminal } = a;
  const raw: Record<string, unknown> = { ...a.given };
  // what the providers see: the given params (checked now, before anything is asked) and each answer, resolved
  const known = resolveParams(def, raw, { partial: true });
  for (const name of paramsToAsk(def, a.given)) {
    const spec = def.params![name];
    const required = spec.default === undefined && spec.required !== false;
    const { list, note } = await choicesOf(spec, a, known);
    terminal.write(`\n? ${name}${spec.description ? `: ${spec.description}` : ''}\n`);
    if (note) terminal.write(`  ${note}\n`);
    if (list && !list.length) {
      terminal.write(`  nothing to choose from (${spec.choices})\n`);
      if (required) throw missing(def, raw, name);
      if (spec.default !== undefined) {
        terminal.write(`  taking the default: ${JSON.stringify(spec.default)}\n`);
        known[name] = structuredClone(spec.default);
      }
      continue;
    }
    if (list) terminal.write(`${formatChoices(list)}\n`);
    const enter =
      spec.default !== undefined ? `, Enter = ${JSON.stringify(spec.default)}` : required ? '' : ', Enter = none';
    const prompt = `  ${list ? `number or value` : spec.type}${enter}: `;
    for (let attempt = 1; ; attempt++) {
      const line = await terminal.ask(prompt, a.signal);
      const text = line?.trim() ?? '';
      let problem: BadInputError;
      if (text === '') {
        if (!required) {
          if (spec.default !== undefined) known[name] = structuredClone(spec.default);
          break;
        }
        // end of input cannot be asked again
        if (line === undefined) throw missing(def, raw, name);
        problem = missing(def, raw, name);
      } else {
        const n = /^\d+$/.test(text) ? Number(text) : NaN;
        const value = list && n >= 1 && n <= list.length ? list[n - 1].value : text;
        try {
          known[name] = resolveParam(def, name, value);
          raw[name] = value;
          break;
        } catch (e) {
          if (!(e instanceof BadInputError)) throw e;
          problem = e;
        }
      }
      if (attempt >= ASK_TRIES || line === undefined) throw problem;
      terminal.write(`  ✖ ${problem.message}\n`);
    }
  }
  return raw;
}

/** The process's terminal: readline on stdin, prompts on stderr; Ctrl-C aborts `ac` (the caller ends without a run). */
export async function openParamTerminal(ac: AbortController): Promise<ParamTerminal & { close(): void }> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // lines typed ahead (before their question, or while a list is read) are kept for the next questions, not lost
  const lines: string[] = [];
  let ended = false;
  let waiting: ((line: string | undefined) => void) | undefined;
  rl.on('line', (l) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(l);
    } else lines.push(l);
  });
  rl.once('close', () => {
    ended = true;
    waiting?.(undefined);
  });
  rl.on('SIGINT', () => {
    process.stderr.write('^C\n');
    ac.abort();
    waiting?.(undefined);
  });
  return {
    write: (text) => process.stderr.write(text),
    ask(prompt, signal) {
      if (signal.aborted) return Promise.reject(new CancelledError('cancelled at the terminal: no run was started'));
      rl.setPrompt(prompt);
      rl.prompt();
      if (lines.length) return Promise.resolve(lines.shift());
      if (ended) return Promise.resolve(undefined);
      return new Promise((res, rej) => {
        waiting = (l) =>
          signal.aborted ? rej(new CancelledError('cancelled at the terminal: no run was started')) : res(l);
      });
    },
    close: () => rl.close(),
  };
}
