// Helpers of host.apt-plan and host.apt-install: Debian package names (validated, never an option), what dpkg says is
// installed, how fresh apt's package lists are, the exact apt-get command lines, and the reading of a simulation.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TaskError } from '../../engine/index.js';
import { execCommand, type CommandContext } from '../support/command.js';
import { formatCommand } from '../support/format.js';
import { findExecutable, searchDirs, SYSTEM_DIRS } from './support.js';

/** Debian policy's package name: lower-case letters, digits, `+`, `-`, `.`; two characters at least, starting alphanumeric. */
export const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9.+-]+$/;

/** One Debian package name; what does not match (an option such as `-o...`, a path, a version) is refused. */
export const debianPackage = z
  .string()
  .regex(DEBIAN_PACKAGE, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a Debian package name: lower-case letters, digits, "+", "-" and ".", at least two characters, the first a letter or a digit`,
  })
  .describe('A Debian package name, e.g. "bind9-dnsutils".');

/** The variables apt-get runs with: no question asked (debconf takes the defaults). */
export const APT_ENV: Readonly<Record<string, string>> = { DEBIAN_FRONTEND: 'noninteractive' };

/** Where apt keeps the package lists `apt-get update` downloads. */
export const APT_LISTS = '/var/lib/apt/lists';

/** Lists older than this are refreshed (`apt-get update`) before an install, with `update: auto`. */
export const LISTS_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** The arguments of the install: `-y`, no recommended packages, and `--` so that no name can be read as an option. */
export function installArgs(packages: readonly string[]): string[] {
  return ['install', '-y', '--no-install-recommends', '--', ...packages];
}

/** The arguments of the simulation (`-s`: apt prints what it would do and changes nothing; no root needed). */
export function simulateArgs(packages: readonly string[]): string[] {
  return ['install', '-s', '--no-install-recommends', '--', ...packages];
}

/** The install as a person would type it, its environment first. */
export function installLine(packages: readonly string[]): string {
  return `${Object.entries(APT_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')} ${formatCommand('apt-get', installArgs(packages))}`;
}

/** The dpkg-query format: name, status word (`installed`, `config-files`, ...) and version, tab-separated. */
export const DPKG_FORMAT = '${Package}\\t${db:Status-Status}\\t${Version}\\n';

/** The dpkg-query arguments that read the status of `packages`. */
export function statusArgs(packages: readonly string[]): string[] {
  return ['-W', '-f', DPKG_FORMAT, '--', ...packages];
}

/** The path of one of apt's or dpkg's commands: PATH first, then the system folders (a trimmed PATH still finds it). */
export async function aptCommand(command: 'apt-get' | 'dpkg-query'): Promise<string> {
  const path = await findExecutable(command, searchDirs(SYSTEM_DIRS));
  if (!path)
    throw new TaskError(
      `${command} not found in PATH or ${SYSTEM_DIRS.join(', ')}: apt works on Debian and Ubuntu hosts only`,
      {
        command,
      },
    );
  return path;
}

/** English messages from apt and dpkg, whatever the host's locale: they are parsed. */
const C_LOCALE = { LC_ALL: 'C' };

/** Package name -> installed version, for those of `packages` dpkg says are installed (unknown names are not). */
export async function installedPackages(
  ctx: CommandContext,
  packages: readonly string[],
): Promise<Map<string, string>> {
  const installed = new Map<string, string>();
  if (!packages.length) return installed;
  // exit 1 when a name is unknown to dpkg ("no packages found matching"): a result here, not a failure
  const r = await execCommand(ctx, await aptCommand('dpkg-query'), statusArgs(packages), {
    env: C_LOCALE,
    allowFail: true,
    timeoutMs: 60_000,
  });
  if (r.exitCode > 1)
    throw new TaskError(`dpkg-query exited with code ${r.exitCode}: ${r.stderr.trim()}`, { exitCode: r.exitCode });
  for (const line of r.stdout.split('\n')) {
    const [name, status, version] = line.split('\t');
    // a multi-arch package may be listed once per architecture: installed when one is
    if (name && status === 'installed') installed.set(name.replace(/:.*$/, ''), version ?? '');
  }
  return installed;
}

/** How fresh apt's lists are: whether there are any, and the newest change in the lists folder. */
export interface ListsState {
  present: boolean;
  newest?: Date;
}

/**
 * Reads apt's lists folder. apt gives each downloaded list the server's Last-Modified date (the main suite's list of a
 * stable release can be months old right after an update), so the newest change is taken over the folder itself,
 * its `partial/` folder (both touched by every `apt-get update` that downloads something) and the lists.
 */
export async function listsState(dir = APT_LISTS): Promise<ListsState> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { present: false };
  }
  const present = names.some((n) => /_Packages(\.\w+)?$/.test(n));
  let newest = 0;
  for (const p of [dir, join(dir, 'partial'), ...names.map((n) => join(dir, n))]) {
    try {
      newest = Math.max(newest, (await stat(p)).mtimeMs);
    } catch {
      // gone meanwhile: not counted
    }
  }
  return { present, ...(newest ? { newest: new Date(newest) } : {}) };
}

/** When apt-get update runs before an install: `auto` when the lists are missing or older than a day. */
export const updatePolicy = z
  .enum(['auto', 'always', 'never'])
  .default('auto')
  .describe(
    'When to run `apt-get update` before installing: auto (when /var/lib/apt/lists has no package list or none changed in the last 24 hours), always, never.',
  );

/** Why the lists would be refreshed first, or undefined when they are not. */
export function updateReason(
  policy: z.output<typeof updatePolicy>,
  lists: ListsState,
  now = Date.now(),
): string | undefined {
  if (policy === 'never') return undefined;
  if (policy === 'always') return 'update: always';
  if (!lists.present) return `${APT_LISTS} holds no package list`;
  if (!lists.newest || now - lists.newest.getTime() > LISTS_MAX_AGE_MS)
    return `the package lists are older than a day${lists.newest ? ` (last changed ${lists.newest.toISOString()})` : ''}`;
  return undefined;
}

/** One change a simulation announces. */
export interface AptChange {
  action: 'install' | 'upgrade' | 'remove';
  package: string;
  version?: string;
}

/** What `apt-get install -s` printed: the packages it would install, upgrade or remove, and its summary line. */
export function parseSimulation(stdout: string): { changes: AptChange[]; summary?: string } {
  const changes: AptChange[] = [];
  let summary: string | undefined;
  for (const line of stdout.split('\n')) {
    // Inst name (version release [arch])   or, for an upgrade:   Inst name [old] (new release [arch])
    const inst = /^Inst (\S+)( \[[^\]]*\])? \((\S+)/.exec(line);
    if (inst) changes.push({ action: inst[2] ? 'upgrade' : 'install', package: inst[1], version: inst[3] });
    const remv = /^Remv (\S+)(?: \[([^\]]*)\])?/.exec(line);
    if (remv) changes.push({ action: 'remove', package: remv[1], ...(remv[2] ? { version: remv[2] } : {}) });
    if (/^\d+ upgraded, \d+ newly installed/.test(line)) summary = line.trim();
  }
  return { changes, summary };
}
