// Helpers of the task nodes that write a server's configuration files (bind.*, apache.*): paths safe to write into a
// config file, a candidate checked by the server's own tool before it replaces anything (a refused one installs
// nothing, and the error quotes the tool and the candidate), and rollback that puts back the file it replaced.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { TaskError, type Store } from '../../engine/index.js';
import { execCommand, type CommandContext } from './command.js';
import { errnoCode, writeFileAtomic } from './files.js';
import { resolvePath } from './paths.js';

/**
 * A path written into a server's configuration (quoted there): no quote, backslash, dollar (Apache's ${VAR}), braces,
 * semicolon, angle brackets, newline or NUL, so it can neither end its quotes nor start a directive.
 */
export const confPath = (what: string) =>
  z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[^"\\$;{}<>\n\r\0]+$/, `${what}: a path without quotes, backslashes, $ ; { } < >, newlines or NUL`);

/** The absolute form of `path` (relative ones from the run root). */
export const absolute = (root: string, path: string) => resolvePath(root, path);

/** The text of `path`, or null when there is no such file. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return null;
    throw e;
  }
}

/** The lines of `text` numbered (`  12| ...`), for an error that quotes a candidate file the tool cites by line. */
export function numbered(text: string, most = 400): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const width = String(Math.min(lines.length, most)).length;
  const shown = lines.slice(0, most).map((l, i) => `${String(i + 1).padStart(width)}| ${l}`);
  if (lines.length > most) shown.push(`(${lines.length - most} more lines)`);
  return shown.join('\n');
}

/** How a candidate is checked: the command, given the path of the candidate (and the private folder it lies in). */
export type Check = (candidate: string, dir: string) => Promise<{ command: string; args: string[] }>;

/**
 * Checks `content`, the new text of `dest`, with the tool `check` names: the candidate is written to a private temp
 * folder under the name of `dest`, the tool is run on it, and a refusal throws a TaskError naming `dest`, quoting what
 * the tool printed and the numbered candidate. Nothing outside the temp folder is touched; it is removed after.
 */
export async function checkCandidate(ctx: CommandContext, dest: string, content: string, check: Check): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'gravity-check-'));
  try {
    const candidate = join(dir, basename(dest));
    await writeFile(candidate, content, { mode: 0o644 });
    const { command, args } = await check(candidate, dir);
    const r = await execCommand(ctx, command, args, { allowFail: true, timeoutMs: 60_000 });
    if (r.exitCode !== 0) {
      const said = `${r.stdout}${r.stderr}`.trim();
      throw new TaskError(
        `${command} refused the new ${dest} (checked as ${candidate}): nothing was installed, ${dest} is as it was\n` +
          `${command} says:\n${said}\nthe refused file:\n${numbered(content)}`,
        { file: dest, candidate, command, args, exitCode: r.exitCode, output: said },
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The mode a file gets: the one of the file it replaces, else 0644 (servers read these as another user). */
async function modeFor(path: string): Promise<number> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 0o644;
    throw e;
  }
}

/** Writes `content` to `path` atomically, keeping the mode of the file it replaces (0644 for a new one). */
export async function install(path: string, content: string): Promise<void> {
  await writeFileAtomic(path, content, await modeFor(path));
}

/**
 * Rollback of a file a step wrote: when `path` still holds `written`, `previous` is put back (null: the file is
 * removed); when someone changed it since, it is left alone and a warning says so.
 */
export async function restoreFile(
  ctx: { log: { info(m: string): void; warn(m: string): void } },
  path: string,
  written: string | null,
  previous: string | null,
): Promise<void> {
  const now = await readIfExists(path);
  if (now !== written) {
    ctx.log.warn(`${path} changed since this step: left as it is`);
    return;
  }
  if (previous === null) {
    await rm(path, { force: true });
    ctx.log.info(`removed ${path}`);
  } else {
    await install(path, previous);
    ctx.log.info(`put back ${path} as it was`);
  }
}

/**
 * Runs `fn` holding the store lease of the shared file `path` when the run has a store (two runs at once never lose
 * each other's change to it); without a store (a task called directly), it just runs `fn`.
 */
export async function withFileLease<T>(ctx: { store?: Store }, path: string, fn: () => Promise<T>): Promise<T> {
  if (!ctx.store) return fn();
  const name = `config-file:${createHash('sha256').update(path).digest('hex').slice(0, 32)}`;
  const lease = await ctx.store.lock(name, { ttlMs: 60_000, waitMs: 60_000 });
  try {
    return await fn();
  } finally {
    await lease.release();
  }
}
