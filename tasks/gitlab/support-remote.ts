// Pushing a backup folder elsewhere (gitlab.push-backup): where to (a target string, checked before it becomes an
// argument), whether the local folder still matches its manifest (streamed sha256 of every file), and the rsync and
// rclone command lines that push it, check it and read the differences they report.
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { z } from 'zod';
import { BadInputError, CancelledError, TaskError } from '../../engine/index.js';
import { resolvePath } from '../support/paths.js';
import { MANIFEST } from './support-backup.js';
import { sha256OfFile } from './support-restore.js';

/** Where a backup goes: a local folder, a folder over ssh (rsync), or an rclone remote. */
export type Target =
  | { kind: 'local'; path: string }
  | { kind: 'ssh'; user?: string; host: string; path: string }
  | { kind: 'rclone'; remote: string; path: string };

/** How an ssh target is reached (params of gitlab.push-backup). */
export interface SshOptions {
  port?: number;
  identity?: string;
  knownHosts?: string;
}

/** A file given to ssh or rclone: not an option, no newline (relative: from the run root). */
const filePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('-') && !/[\n\0]/.test(p), 'a path (not starting with -, no newline)');

/** How a remote is reached: the input fields gitlab.push-backup and gitlab.pull-backup share. */
export const remoteAccess = {
  port: z.number().int().min(1).max(65535).nullable().optional().describe('The ssh port (ssh targets; null: 22).'),
  identity: filePath.nullable().optional().describe('The ssh private key file (ssh targets).'),
  knownHosts: filePath
    .nullable()
    .optional()
    .describe(
      "The known_hosts file holding the host's key (ssh targets; default: ssh's own). Host keys are always checked strictly.",
    ),
  rcloneConfig: filePath.nullable().optional().describe('The rclone config file defining the remote (rclone targets).'),
};

/** The ssh options of a task input holding the remoteAccess fields. */
export const sshOptionsOf = (i: { port?: number | null; identity?: string | null; knownHosts?: string | null }) => ({
  port: i.port ?? undefined,
  identity: i.identity ?? undefined,
  knownHosts: i.knownHosts ?? undefined,
});

const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
const HOST = /^[A-Za-z0-9_][A-Za-z0-9.-]{0,252}$|^\[[0-9A-Fa-f:.]+\]$/;
const RCLONE_REMOTE = /^[A-Za-z0-9_][A-Za-z0-9_.+@-]{0,63}$/;

/** Refuses what would become an option or break a command line: a leading `-`, control characters. */
function checkPart(what: string, value: string, target: string): void {
  if (value.startsWith('-'))
    throw new BadInputError(
      `to: the ${what} of ${JSON.stringify(target)} starts with "-" (it would be read as an option)`,
    );
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(value))
    throw new BadInputError(`to: the ${what} of ${JSON.stringify(target)} holds a control character`);
}

/**
 * Reads a target string: `rclone:<remote>:<path>` (an rclone remote of the config file), `[user@]host:<path>` (rsync
 * over ssh; no `/` before the first `:`), anything else a local folder (a relative one taken from `root`; kept
 * relative without one, for plans). A target,
 * host, user or path starting with `-` is refused, as are control characters.
 */
export function parseTarget(to: string, root: string | undefined): Target {
  if (to === '') throw new BadInputError('to: an empty target');
  checkPart('target', to, to);
  const rc = /^rclone:([^:]*):(.*)$/s.exec(to);
  if (to.startsWith('rclone:')) {
    if (!rc) throw new BadInputError(`to: ${JSON.stringify(to)} is not rclone:<remote>:<path>`);
    const [, remote, path] = rc;
    checkPart('remote', remote, to);
    checkPart('path', path, to);
    if (!RCLONE_REMOTE.test(remote))
      throw new BadInputError(
        `to: rclone remote ${JSON.stringify(remote)} is not a remote name (letters, digits, _ . + @ -, not first)`,
      );
    return { kind: 'rclone', remote, path };
  }
  const colon = to.indexOf(':');
  const slash = to.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) {
    const login = to.slice(0, colon);
    const path = to.slice(colon + 1);
    const at = login.lastIndexOf('@');
    const user = at >= 0 ? login.slice(0, at) : undefined;
    const host = at >= 0 ? login.slice(at + 1) : login;
    if (user !== undefined) checkPart('user', user, to);
    checkPart('host', host, to);
    checkPart('path', path, to);
    if (user !== undefined && !USER.test(user))
      throw new BadInputError(`to: ${JSON.stringify(user)} is not a user name (letters, digits, . _ -)`);
    if (!HOST.test(host)) throw new BadInputError(`to: ${JSON.stringify(host)} is not a host name or address`);
    return { kind: 'ssh', user, host, path };
  }
  return { kind: 'local', path: root === undefined ? to : resolvePath(root, to) };
}

/** The folder of backup `id` of instance `instance` on the target: `<path>/<instance>/<id>`. */
export function destinationOf(t: Target, instance: string, id: string): string {
  const base = t.path.replace(/\/+$/, '');
  const under = (p: string) => (p === '' && !t.path.startsWith('/') ? `${instance}/${id}` : `${p}/${instance}/${id}`);
  switch (t.kind) {
    case 'local':
      return under(base);
    case 'ssh':
      return `${t.user ? `${t.user}@` : ''}${t.host}:${under(base)}`;
    case 'rclone':
      return `${t.remote}:${under(base)}`;
  }
}

/** A target as people read it (rclone's `rclone:` kept). */
export const showTarget = (t: Target, instance: string, id: string) =>
  `${t.kind === 'rclone' ? 'rclone:' : ''}${destinationOf(t, instance, id)}`;

/** One file of a manifest, the fields this code checks. */
export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
}

/** The manifest fields a push reads. */
export interface PushManifest {
  id: string;
  files: ManifestEntry[];
  symlinks: Array<{ path: string; target: string }>;
  /** The sha256 of manifest.json itself, as it is on disk. */
  sha256: string;
  /** Its bytes. */
  text: string;
}

/** A relative path inside the backup folder (no `..`, not absolute, not the manifest). */
function safeRelative(p: unknown): p is string {
  return (
    typeof p === 'string' &&
    p !== '' &&
    !p.startsWith('/') &&
    !p.split('/').some((s) => s === '..' || s === '.' || s === '') &&
    p !== MANIFEST &&
    // eslint-disable-next-line no-control-regex
    !/[\0-\x1f\x7f]/.test(p)
  );
}

/** Reads the manifest of backup folder `dir` (id `id`); a missing one means an incomplete backup, never pushed. */
export async function readPushManifest(dir: string, id: string, instance: string): Promise<PushManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    throw new TaskError(
      `backup ${id} of ${instance} is incomplete: ${join(dir, MANIFEST)} is missing (it is written last); it is not pushed`,
      { instance, backup: id, dir },
    );
  }
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new TaskError(`${join(dir, MANIFEST)} is not JSON; backup ${id} is not pushed`, { dir });
  }
  const bad = (why: string) => new TaskError(`${join(dir, MANIFEST)}: ${why}; backup ${id} is not pushed`, { dir });
  if (m.format !== 1) throw bad(`format ${JSON.stringify(m.format)}, not 1`);
  if (m.id !== id) throw bad(`its id is ${JSON.stringify(m.id)}, not ${id}`);
  if (!Array.isArray(m.files)) throw bad('no files list');
  const files: ManifestEntry[] = m.files.map((f: Record<string, unknown>, i: number) => {
    if (!safeRelative(f?.path))
      throw bad(`files[${i}].path ${JSON.stringify(f?.path)} is not a path inside the folder`);
    if (typeof f.size !== 'number' || !Number.isInteger(f.size) || f.size < 0)
      throw bad(`files[${i}] (${f.path}) has no size`);
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256))
      throw bad(`files[${i}] (${f.path}) has no sha256`);
    return { path: f.path, size: f.size, sha256: f.sha256 };
  });
  const symlinks = (Array.isArray(m.symlinks) ? m.symlinks : []).map((s: Record<string, unknown>, i: number) => {
    if (!safeRelative(s?.path) || typeof s.target !== 'string')
      throw bad(`symlinks[${i}] is not a path inside the folder with a target`);
    return { path: s.path, target: s.target };
  });
  return { id, files, symlinks, text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Every path under `dir` (relative, `/`-separated) with its kind, the manifest left out. */
async function walk(
  dir: string,
  prefix = '',
): Promise<Array<{ path: string; kind: 'file' | 'dir' | 'link' | 'other' }>> {
  const out: Array<{ path: string; kind: 'file' | 'dir' | 'link' | 'other' }> = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? posix.join(prefix, e.name) : e.name;
    if (rel === MANIFEST) continue;
    if (e.isDirectory()) {
      out.push({ path: rel, kind: 'dir' });
      out.push(...(await walk(dir, rel)));
    } else out.push({ path: rel, kind: e.isFile() ? 'file' : e.isSymbolicLink() ? 'link' : 'other' });
  }
  return out;
}

/**
 * Checks a local backup folder against its manifest before it is pushed: every file listed is a regular file of its
 * size and sha256 (hashed as a stream), every symlink listed points where it says, nothing else is there (sockets and
 * the like excepted: they are not pushed). Throws a TaskError naming each file that differs (at most 10).
 */
export async function verifyLocal(
  dir: string,
  m: PushManifest,
  what: string,
  signal?: AbortSignal,
): Promise<{ files: number; bytes: number }> {
  const problems: string[] = [];
  let bytes = 0;
  for (const f of m.files) {
    if (signal?.aborted) throw new CancelledError(`cancelled while checking ${dir}`);
    const p = join(dir, f.path);
    const st = await lstat(p).catch(() => undefined);
    if (!st) problems.push(`${f.path}: missing`);
    else if (!st.isFile()) problems.push(`${f.path}: not a regular file`);
    else if (st.size !== f.size) problems.push(`${f.path}: ${st.size} bytes, the manifest says ${f.size}`);
    else {
      const sum = await sha256OfFile(p, signal);
      if (sum !== f.sha256) problems.push(`${f.path}: sha256 ${sum}, the manifest says ${f.sha256}`);
      bytes += st.size;
    }
  }
  for (const l of m.symlinks) {
    const target = await readlink(join(dir, l.path)).catch(() => undefined);
    if (target !== l.target)
      problems.push(
        `${l.path}: ${target === undefined ? 'not a symlink' : `points at ${target}`}, the manifest says ${l.target}`,
      );
  }
  const listed = new Set([...m.files.map((f) => f.path), ...m.symlinks.map((l) => l.path)]);
  for (const e of await walk(dir))
    if ((e.kind === 'file' || e.kind === 'link') && !listed.has(e.path))
      problems.push(`${e.path}: not in its manifest`);
  if (problems.length)
    throw new TaskError(
      `${what} does not match its manifest, nothing pushed: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`,
      { dir, problems },
    );
  return { files: m.files.length, bytes };
}

// ---------------------------------------------------------------------------------------------------------------- rsync

/** rsync's own quoting of its -e command: single quotes keep spaces (rsync splits the string itself, no shell). */
function rshArg(a: string): string {
  if (/['"\n]/.test(a)) throw new BadInputError(`a path given to ssh may not hold quotes or newlines: ${a}`);
  return /\s/.test(a) ? `'${a}'` : a;
}

/** The ssh command rsync runs (`-e`): batch mode, strict host key checking, the port, key and known_hosts given. */
export function sshCommand(o: SshOptions): string {
  return [
    'ssh',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=20',
    ...(o.port ? ['-p', String(o.port)] : []),
    ...(o.identity ? ['-i', rshArg(o.identity), '-o', 'IdentitiesOnly=yes'] : []),
    ...(o.knownHosts ? ['-o', rshArg(`UserKnownHostsFile=${o.knownHosts}`)] : []),
  ].join(' ');
}

/** The options every rsync of a backup takes: archive without devices and specials, numeric ids, no dir times. */
function rsyncBase(t: Target, o: SshOptions): string[] {
  return [
    '--archive',
    '--no-D',
    '--numeric-ids',
    '--omit-dir-times',
    ...(t.kind === 'ssh' ? ['-e', sshCommand(o)] : []),
  ];
}

/** rsync's arguments to compare the local folder with its copy (checksums, dry run, each difference itemized). */
export function rsyncCheckArgs(t: Target, o: SshOptions, src: string, dest: string): string[] {
  return [...rsyncBase(t, o), '--checksum', '--dry-run', '--itemize-changes', '--delete', '--', `${src}/`, `${dest}/`];
}

/**
 * rsync's arguments to push the folder but its manifest: files compared by checksum, the copy's extra files and its
 * manifest deleted before anything is sent (so an interrupted push leaves a copy known incomplete), missing folders made.
 */
export function rsyncPushArgs(t: Target, o: SshOptions, src: string, dest: string): string[] {
  return [
    ...rsyncBase(t, o),
    '--checksum',
    '--delete',
    '--delete-before',
    '--delete-excluded',
    `--exclude=/${MANIFEST}`,
    '--mkpath',
    '--',
    `${src}/`,
    `${dest}/`,
  ];
}

/** rsync's arguments to push the manifest, last. */
export function rsyncManifestArgs(t: Target, o: SshOptions, src: string, dest: string): string[] {
  return [...rsyncBase(t, o), '--checksum', '--', join(src, MANIFEST), `${dest}/${MANIFEST}`];
}

/** What an itemized rsync dry run reports, sorted: differences of content or kind, and attribute-only ones. */
export interface RsyncReport {
  /** Paths whose content, kind, presence or permissions differ (`missing: x`, `differs: x`, `extra: x`). */
  differences: string[];
  /** Paths that differ only by owner, group or time (a receiver not root cannot keep them): told, not pushed again. */
  attributes: string[];
  /** Whether the copy's manifest is missing, differs, or equals the local one. */
  manifest: 'missing' | 'differs' | 'same';
}

/** Reads `rsync --itemize-changes` output (`YXcstpoguax path`, `*deleting path`); other lines are messages. */
export function parseItemized(out: string): RsyncReport {
  const differences: string[] = [];
  const attributes: string[] = [];
  let manifest: RsyncReport['manifest'] = 'same';
  for (const line of out.split('\n')) {
    const del = /^\*deleting +(.*)$/.exec(line);
    if (del) {
      const p = del[1].replace(/\/$/, '');
      differences.push(`extra: ${p}`);
      if (p === MANIFEST) manifest = 'differs';
      continue;
    }
    const m = /^([<>ch.])([fdLDS])([^ ]{9}) (.*)$/.exec(line);
    if (!m) continue;
    const [, , kind, flags] = m;
    const path = m[4].replace(/ -> .*$/, '').replace(/\/$/, '');
    const isManifest = path === MANIFEST;
    if (flags.includes('+')) {
      if (kind === 'd') continue; // a folder made on the way: its files say what is missing
      differences.push(`missing: ${path}`);
      if (isManifest) manifest = 'missing';
    } else if ((kind !== 'd' && flags[0] === 'c') || flags[1] === 's' || flags[3] === 'p') {
      differences.push(`differs: ${path}`);
      if (isManifest) manifest = 'differs';
    } else if (/[^.]/.test(flags)) attributes.push(path);
  }
  return { differences: differences.sort(), attributes: attributes.sort(), manifest };
}

// --------------------------------------------------------------------------------------------------------------- rclone

/** The options every rclone command of a push takes: the config file, symlinks as .rclonelink files. */
export function rcloneBase(config: string | undefined): string[] {
  return [...(config ? ['--config', config] : []), '--links'];
}

/** The sha256 the copy of each file must have on an rclone remote (symlinks are `<path>.rclonelink`, their target). */
export function rcloneExpected(m: PushManifest): Map<string, string> {
  const want = new Map(m.files.map((f) => [f.path, f.sha256]));
  for (const l of m.symlinks) want.set(`${l.path}.rclonelink`, createHash('sha256').update(l.target).digest('hex'));
  want.set(MANIFEST, m.sha256);
  return want;
}

/** Reads `rclone hashsum sha256` output (`<hex>  <path>`). */
export function parseHashsum(out: string): Map<string, string> {
  const got = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(.*)$/.exec(line);
    if (m) got.set(m[2], m[1]);
  }
  return got;
}

/** What the copy on an rclone remote lacks or has wrong, compared with what it must hold. */
export function compareHashes(
  want: Map<string, string>,
  got: Map<string, string>,
): { missing: string[]; differs: string[]; extra: string[]; manifest: RsyncReport['manifest'] } {
  const missing: string[] = [];
  const differs: string[] = [];
  for (const [p, h] of want) {
    const g = got.get(p);
    if (g === undefined) missing.push(p);
    else if (g !== h) differs.push(p);
  }
  const extra = [...got.keys()].filter((p) => !want.has(p));
  const manifest = !got.has(MANIFEST) ? 'missing' : got.get(MANIFEST) !== want.get(MANIFEST) ? 'differs' : 'same';
  return { missing: missing.sort(), differs: differs.sort(), extra: extra.sort(), manifest };
}
