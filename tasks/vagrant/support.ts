// The vagrant CLI for the vagrant.* task nodes: argument arrays run in the folder of a Vagrantfile (checked to be
// there first: vagrant itself would look for one in the parent folders), a fixed environment (no version check over
// the network, no colours, VAGRANT_HOME and DOCKER_HOST passed on), the output streamed to the step's log, every
// command bounded by a deadline and killed with its process group on cancel; and the reading of
// `vagrant status --machine-readable`.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ErrorCode, TaskError, type TaskContext } from '../../engine/index.js';
import { execCommand } from '../support/command.js';
import { formatCommand, lastLines } from '../support/format.js';
import { confineToRoot } from '../support/paths.js';
import { dnsLabel } from '../env/model.js';
import { VAGRANT_ENV } from '../env/vagrantfile.js';

/** The folder holding the Vagrantfile (relative paths from the run root). */
export const vagrantDir = z
  .string()
  .min(1)
  .describe('The folder holding the Vagrantfile (relative paths from the run root); it must be inside the run root.');

/** One machine of the Vagrantfile, or all of them when absent. */
export const machineName = dnsLabel('machine')
  .optional()
  .describe('The machine (its name in the Vagrantfile, a DNS label); absent: every machine of the Vagrantfile.');

/** A time budget for the step's vagrant commands, all together. */
export const timeoutParam = (defaultMs: number, what: string) =>
  z
    .number()
    .int()
    .min(1000)
    .max(24 * 3_600_000)
    .default(defaultMs)
    .describe(
      `How long the step's vagrant commands may take in all, in ms (default ${what}); past it they are killed and the step fails.`,
    );

/** One machine as `vagrant status` reports it. */
export const machineRow = z.object({
  name: z.string().describe('The machine, as the Vagrantfile names it.'),
  provider: z
    .string()
    .describe('Its provider (docker, virtualbox, libvirt...); for a machine not created, the default one.'),
  state: z
    .string()
    .describe(
      "Vagrant's state id: not_created, running, stopped (docker), poweroff (virtualbox), shutoff (libvirt)...",
    ),
  stateHuman: z.string().describe('The same in words (state-human-short): not created, running, stopped...'),
});
export type MachineRow = z.infer<typeof machineRow>;

/** The rows of the machines, as the output of vagrant.status, up, halt and destroy lists them. */
export const machineRows = z
  .array(machineRow)
  .describe('Every machine of the Vagrantfile, in its order, after the step.');

/** Whether vagrant has a machine (a container, a VM) for this row. */
export const exists = (r: MachineRow) => r.state !== 'not_created';

/** Turns the escapes of one machine-readable field back into text: `%!(VAGRANT_COMMA)`, `\n`, `\r`. */
export function unescapeField(s: string): string {
  return s
    .replace(/%!\(VAGRANT_COMMA\)/g, ',')
    .replace(/\\n/g, '\n')
    .replace(/\\r/g, '\r');
}

/** One line of `--machine-readable` output: `timestamp,target,type,data...`. */
export interface MachineReadableLine {
  timestamp: string;
  target: string;
  type: string;
  data: string[];
}

/** The lines of `--machine-readable` output (anything else, such as a warning vagrant printed, is left out). */
export function parseMachineReadable(text: string): MachineReadableLine[] {
  const out: MachineReadableLine[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!/^\d+,/.test(line)) continue;
    const [timestamp, target = '', type = '', ...data] = line.split(',');
    if (!type) continue;
    out.push({ timestamp: timestamp!, target: unescapeField(target), type, data: data.map(unescapeField) });
  }
  return out;
}

/**
 * The machines of `vagrant status --machine-readable`, in the order vagrant lists them: the lines of type
 * `provider-name`, `state` and `state-human-short` of each target.
 */
export function parseStatus(text: string): MachineRow[] {
  const rows = new Map<string, MachineRow>();
  for (const l of parseMachineReadable(text)) {
    if (!l.target || !['provider-name', 'state', 'state-human-short'].includes(l.type)) continue;
    const row = rows.get(l.target) ?? { name: l.target, provider: '', state: '', stateHuman: '' };
    rows.set(l.target, row);
    const value = l.data.join(',');
    if (l.type === 'provider-name') row.provider = value;
    else if (l.type === 'state') row.state = value;
    else row.stateHuman = value;
  }
  return [...rows.values()];
}

/** What vagrant said when it failed: the message of its `error-exit` line (machine-readable), else its last lines. */
function vagrantSaid(stdout: string, stderr: string): string {
  const exit = parseMachineReadable(stdout).find((l) => l.type === 'error-exit');
  if (exit) return lastLines(exit.data.slice(1).join(','), 8);
  return lastLines(`${stdout}\n${stderr}`, 8);
}

/** Where the vagrant.* commands of a step run, and until when. */
export interface VagrantTarget {
  /** The task, for messages. */
  task: string;
  /** The folder as the input gives it, for messages. */
  dir: string;
  /** Its absolute, real path: the commands run there. */
  path: string;
  /** performance.now() past which the commands are killed. */
  deadline: number;
  /** The budget, for messages. */
  timeoutMs: number;
}

/**
 * The folder of the Vagrantfile, inside the run root and holding a file named Vagrantfile (a TaskError naming the
 * folder otherwise: vagrant would take a Vagrantfile of a parent folder instead).
 */
export async function vagrantTarget(
  ctx: Pick<TaskContext<unknown>, 'root' | 'rootOrigin'>,
  task: string,
  dir: string,
  timeoutMs: number,
): Promise<VagrantTarget> {
  const started = performance.now();
  const path = await confineToRoot(ctx.root, dir, { task, param: 'dir', origin: ctx.rootOrigin });
  const file = join(path, 'Vagrantfile');
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile())
    throw new TaskError(
      `${task}: there is no Vagrantfile in ${dir}${path !== dir ? ` (${path})` : ''}: generate it first (env.vagrantfile)`,
      { task, dir, path: file },
      ErrorCode.NotFound,
    );
  return { task, dir, path, deadline: started + timeoutMs, timeoutMs };
}

/** The environment every vagrant command runs in. */
export function vagrantEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {
    ...VAGRANT_ENV,
    // a VAGRANT_CWD or VAGRANT_VAGRANTFILE in gravity's own environment would point vagrant elsewhere
    VAGRANT_CWD: path,
    VAGRANT_VAGRANTFILE: 'Vagrantfile',
  };
  for (const k of ['VAGRANT_HOME', 'DOCKER_HOST']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  return env;
}

/** `cd <dir> && vagrant <args>`: a command line of a plan. */
export const vagrantLine = (dir: string, args: readonly string[]) =>
  `${formatCommand('cd', [dir])} && ${formatCommand('vagrant', args)}`;

/**
 * Runs `vagrant <args>` in the target's folder, within what is left of its budget; `stream` sends its output to the
 * step's log as it comes. Fails with a TaskError quoting vagrant's last lines (or its error message), or saying that
 * vagrant is not installed.
 */
export async function vagrant(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>,
  t: VagrantTarget,
  args: string[],
  o: { stream?: boolean } = {},
): Promise<string> {
  // a machine another vagrant holds (one a killed gravity left running, which goes on to its end) is waited for, within
  // the step's budget: vagrant refuses at once instead of waiting itself
  for (let attempt = 1; ; attempt++) {
    try {
      return await vagrantOnce(ctx, t, args, o);
    } catch (e) {
      const locked = e instanceof TaskError && /because it is locked/.test(e.message);
      if (!locked || ctx.signal.aborted || performance.now() + 2000 > t.deadline || attempt >= 300) throw e;
      if (attempt === 1) ctx.log.warn(`${t.task}: another vagrant process holds a machine in ${t.dir}: waiting for it`);
      await sleep(2000, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }
}

/** Runs vagrant once (see `vagrant`). */
async function vagrantOnce(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>,
  t: VagrantTarget,
  args: string[],
  o: { stream?: boolean },
): Promise<string> {
  const shown = formatCommand('vagrant', args);
  const left = Math.floor(t.deadline - performance.now());
  if (left <= 0)
    throw new TaskError(
      `${t.task}: the step's ${t.timeoutMs} ms were spent before ${shown} could run in ${t.dir}`,
      { dir: t.dir, args, timeoutMs: t.timeoutMs },
      ErrorCode.Timeout,
    );
  const exec: TaskContext<unknown>['exec'] = o.stream
    ? (command, a, eo) =>
        ctx.exec(command, a, {
          ...eo,
          onStdout: (c) => ctx.log.stream('stdout', c),
          onStderr: (c) => ctx.log.stream('stderr', c),
        })
    : ctx.exec;
  let r;
  try {
    r = await execCommand({ exec, signal: ctx.signal }, 'vagrant', args, {
      cwd: t.path,
      env: vagrantEnv(t.path),
      timeoutMs: left,
      allowFail: true,
    });
  } catch (e) {
    if (e instanceof TaskError && /timed out after/.test(e.message))
      throw new TaskError(
        `${t.task}: ${shown} in ${t.dir} was killed: the step's ${t.timeoutMs} ms ran out`,
        { ...e.details, dir: t.dir, timeoutMs: t.timeoutMs },
        ErrorCode.Timeout,
      );
    throw e;
  }
  if (r.exitCode === 127 && /ENOENT|not found/i.test(r.stderr))
    throw new TaskError(`${t.task}: vagrant is not installed (apt-get install vagrant)`, { dir: t.dir, args });
  if (r.exitCode !== 0) {
    const said = vagrantSaid(r.stdout, r.stderr);
    throw new TaskError(
      `${t.task}: ${shown} in ${t.dir} failed with exit code ${r.exitCode}${said ? `; vagrant says:\n${said}` : ''}`,
      { dir: t.dir, args, exitCode: r.exitCode, vagrant: said },
    );
  }
  return r.stdout;
}

/** `vagrant status --machine-readable`: every machine of the Vagrantfile. */
export async function readStatus(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log'>,
  t: VagrantTarget,
): Promise<MachineRow[]> {
  const rows = parseStatus(await vagrant(ctx, t, ['status', '--machine-readable']));
  if (rows.length === 0) throw new TaskError(`${t.task}: vagrant status in ${t.dir} listed no machine`, { dir: t.dir });
  return rows;
}

/** The rows a step acts on: the machine named (a TaskError listing the machines when there is no such one), or all. */
export function selected(t: VagrantTarget, rows: MachineRow[], machine: string | undefined): MachineRow[] {
  if (machine === undefined) return rows;
  const row = rows.find((r) => r.name === machine);
  if (!row)
    throw new TaskError(
      `${t.task}: no machine ${machine} in ${t.dir}/Vagrantfile (it defines ${rows.map((r) => r.name).join(', ')})`,
      { dir: t.dir, machine, machines: rows.map((r) => r.name) },
    );
  return [row];
}
