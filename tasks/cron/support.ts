// Helpers of the cron.* task nodes: read a user's crontab, find and change the blocks gravity manages in it (between
// `# BEGIN gravity <marker>` and `# END gravity <marker>`, every other byte kept), check the result with `crontab -n`
// and install it, all under one store lease per crontab so that two runs at once never lose each other's block.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { BadInputError, TaskError, type Store } from '../../engine/index.js';
import { execCommand, type CommandContext } from '../support/command.js';

/** The first words of the line that opens a block. */
export const BEGIN = '# BEGIN gravity ';
/** The first words of the line that closes a block. */
export const END = '# END gravity ';

/** A crontab user name (what `crontab -u` takes). */
export const cronUser = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'a user name: letters, digits, _ . - (at most 32 characters)')
  .nullable()
  .optional()
  .describe("Whose crontab (crontab -u <user>: only root may edit another user's); default: the user running gravity.");

/** The name of a block: what follows `# BEGIN gravity ` on its first line. */
export const cronMarker = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@/-]*( [A-Za-z0-9._:@/-]+)*$/,
    'a marker: letters, digits and . _ : @ / -, words separated by one space',
  )
  .max(100)
  .describe(
    'The block\'s name, e.g. "gitlab:backup alpha": its lines sit between # BEGIN gravity <marker> and # END gravity <marker>.',
  );

/** One line of a block: a cron job or environment line (checked by crontab -n), never a marker line. */
export const cronLine = z
  .string()
  .min(1)
  .refine((l) => !/[\n\r\0]/.test(l), 'one line: no newline, carriage return or NUL')
  .refine((l) => !l.startsWith(BEGIN) && !l.startsWith(END), 'not a # BEGIN / # END gravity line')
  .describe('A crontab line (a job: five time fields or @keyword, then the command).');

/** A block as found in a crontab. */
export interface CronBlock {
  marker: string;
  lines: string[];
}

/** A block's lines, markers included. */
export const blockText = (marker: string, lines: readonly string[]): string[] => [
  `${BEGIN}${marker}`,
  ...lines,
  `${END}${marker}`,
];

/** `crontab` arguments naming the user, if one is given. */
const userArgs = (user?: string | null) => (user ? ['-u', user] : []);

/** Who a crontab belongs to, for messages and the lease: the given user, else the one running gravity. */
export const ownerOf = (user?: string | null): string => user || userInfo().username;

/** A crontab as `crontab -l` prints it; `exists` is false when the user has none. */
export interface Crontab {
  text: string;
  exists: boolean;
}

/**
 * The crontab of `user`. A listing with a line ending in `\r` is refused: Debian's `crontab -l` prints a carriage
 * return as the two characters `\r`, so such a crontab (CRLF line ends) cannot be read back byte for byte, and
 * installing what was listed would change its lines.
 */
export async function readCrontab(ctx: CommandContext, user?: string | null): Promise<Crontab> {
  const r = await execCommand(ctx, 'crontab', [...userArgs(user), '-l'], { allowFail: true });
  if (r.exitCode !== 0) {
    if (/^no crontab for /m.test(r.stderr)) return { text: '', exists: false };
    throw new TaskError(`crontab ${userArgs(user).join(' ')} -l failed (exit code ${r.exitCode}): ${r.stderr.trim()}`, {
      user: ownerOf(user),
    });
  }
  if (/\\r(\n|$)/.test(r.stdout))
    throw new TaskError(
      `the crontab of ${ownerOf(user)} has lines ending in a carriage return (crontab -l shows them as \\r): gravity does not rewrite it, since that would change those lines; convert it to plain line ends (crontab -e) first`,
      { user: ownerOf(user) },
    );
  return { text: r.stdout, exists: true };
}

/** The blocks of a crontab, in order; a broken one (no end, no start, nested, twice the same) is an error naming it. */
export function findBlocks(text: string, owner = 'the user'): Array<CronBlock & { start: number; end: number }> {
  const lines = text.split('\n');
  const out: Array<CronBlock & { start: number; end: number }> = [];
  const broken = (what: string) =>
    new TaskError(`the crontab of ${owner} has a broken gravity block: ${what}; fix it by hand (crontab -e)`, {
      user: owner,
    });
  let open: { marker: string; start: number } | undefined;
  lines.forEach((line, i) => {
    if (line.startsWith(BEGIN)) {
      if (open) throw broken(`"${line}" (line ${i + 1}) inside block "${open.marker}"`);
      open = { marker: line.slice(BEGIN.length), start: i };
    } else if (line.startsWith(END)) {
      const marker = line.slice(END.length);
      if (!open || open.marker !== marker) throw broken(`"${line}" (line ${i + 1}) closes no open block`);
      if (out.some((b) => b.marker === marker)) throw broken(`block "${marker}" appears twice`);
      out.push({ marker, lines: lines.slice(open.start + 1, i), start: open.start, end: i });
      open = undefined;
    }
  });
  if (open) throw broken(`"${BEGIN}${open.marker}" (line ${open.start + 1}) has no "${END}${open.marker}"`);
  return out;
}

/** The lines of block `marker`, or null when the crontab has none. */
export function getBlock(text: string, marker: string, owner?: string): string[] | null {
  return findBlocks(text, owner).find((b) => b.marker === marker)?.lines ?? null;
}

/**
 * `text` with block `marker` holding `lines` (null: without the block). Every other byte stays as it is: a block that
 * exists is replaced where it is, a new one is appended at the end (after a newline, when the text does not end with
 * one); the result ends with a newline unless empty (crontab refuses a file without one).
 */
export function setBlock(text: string, marker: string, lines: readonly string[] | null, owner?: string): string {
  const found = findBlocks(text, owner).find((b) => b.marker === marker);
  const all = text.split('\n');
  let next: string;
  if (found) {
    all.splice(found.start, found.end - found.start + 1, ...(lines ? blockText(marker, lines) : []));
    next = all.join('\n');
  } else if (!lines) return text;
  else {
    const block = blockText(marker, lines).join('\n');
    next = text === '' ? block : text.endsWith('\n') ? `${text}${block}` : `${text}\n${block}`;
  }
  return next !== '' && !next.endsWith('\n') ? `${next}\n` : next;
}

/**
 * Installs `text` as the crontab of `user`: written to a private temp file, checked with `crontab -n` (nothing is
 * installed when it fails: the error quotes crontab and `what`), then installed with `crontab <file>`. An empty text
 * removes the crontab (crontab -r).
 */
export async function installCrontab(ctx: CommandContext, user: string | null | undefined, text: string, what: string) {
  if (text === '') {
    const r = await execCommand(ctx, 'crontab', [...userArgs(user), '-r'], { allowFail: true });
    if (r.exitCode !== 0 && !/no crontab for /.test(r.stderr))
      throw new TaskError(`crontab -r of ${ownerOf(user)} failed: ${r.stderr.trim()}`, { user: ownerOf(user) });
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'gravity-crontab-'));
  try {
    const file = join(dir, 'crontab');
    await writeFile(file, text, { mode: 0o600 });
    const check = await execCommand(ctx, 'crontab', [...userArgs(user), '-n', file], { allowFail: true });
    if (check.exitCode !== 0)
      throw new TaskError(
        `crontab -n refused the new crontab of ${ownerOf(user)}, nothing was installed; ${what}\ncrontab says: ${`${check.stderr}${check.stdout}`.trim()}`,
        { user: ownerOf(user), exitCode: check.exitCode },
      );
    await execCommand(ctx, 'crontab', [...userArgs(user), file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The store a cron.* task takes its lease in (the run's). */
export function cronStore(ctx: { store?: Store }): Store {
  if (!ctx.store) throw new BadInputError('the cron tasks need the engine store (run them through gravity run)');
  return ctx.store;
}

/**
 * Runs `fn` holding the lease of `user`'s crontab: every cron.* change of one crontab reads, changes and installs it
 * under it, so two runs at once (two instances scheduled together) never install over each other's block.
 */
export async function withCrontab<T>(store: Store, user: string | null | undefined, fn: () => Promise<T>): Promise<T> {
  const lease = await store.lock(`crontab-${ownerOf(user)}`, { ttlMs: 60_000, waitMs: 60_000 });
  try {
    return await fn();
  } finally {
    await lease.release();
  }
}

/** A block as text for reports. */
export const formatBlock = (marker: string, lines: readonly string[]) => blockText(marker, lines).join('\n');
