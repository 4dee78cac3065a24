// Copying an instance's volumes (backup and restore): a tree copied with owner, mode and times kept, several files at a
// time (most of a GitLab volume is small files: one at a time, each file's open, write, chown, chmod and utimes leave the
// disk idle between them), small files read whole and large ones streamed (never a whole large file in memory), each
// file's sha256 taken on the way when asked.
import { createHash } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import {
  chmod,
  copyFile,
  lchown,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readFile,
  readlink,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** How many files are copied at once. */
export const COPY_CONCURRENCY = 16;
/** Files up to this size are read whole (one read, one write); larger ones are streamed. */
export const WHOLE_FILE_BYTES = 1024 * 1024;

/** A regular file as copied: its path relative to the copy's root, size, sha256 (when asked), owner, mode, mtime. */
export interface CopiedFile {
  path: string;
  size: number;
  sha256?: string;
  mode: number;
  mtime: string;
  uid: number;
  gid: number;
}

/** What a copy made: its files, folders, symlinks, and what it skipped (sockets, fifos, devices). */
export interface CopyReport {
  files: CopiedFile[];
  dirs: Array<{ path: string; mode: number; mtime: string; uid: number; gid: number }>;
  symlinks: Array<{ path: string; target: string; mtime: string; uid: number; gid: number }>;
  skipped: Array<{ path: string; type: string }>;
}

/** At most `n` tasks at once. */
class Limit {
  private running = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly n: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

/**
 * Copies `from` (a folder, a file or a symlink) to `to`, which must not exist: folders made first and given their owner,
 * mode and times once their entries are in; files copied `COPY_CONCURRENCY` at a time, with their sha256 when `hash`;
 * symlinks as links. `rel` is the name `from` gets in the report (paths below it are `rel/...`). Entries are reported in
 * path order whatever order they were copied in.
 */
export async function copyTreeInto(
  from: string,
  to: string,
  rel: string,
  o: { hash: boolean; signal?: AbortSignal; report?: CopyReport },
): Promise<CopyReport> {
  const report: CopyReport = o.report ?? { files: [], dirs: [], symlinks: [], skipped: [] };
  const limit = new Limit(COPY_CONCURRENCY);
  const copy = async (src: string, dst: string, name: string): Promise<void> => {
    o.signal?.throwIfAborted();
    const st = await lstat(src);
    const owner = { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime: st.mtime.toISOString() };
    if (st.isDirectory()) {
      await mkdir(dst, { mode: 0o700 });
      const names = await readdir(src);
      // every entry settles before a failure is told: nothing of this copy still writes when its caller cleans up
      const settled = await Promise.allSettled(names.map((n) => copy(join(src, n), join(dst, n), `${name}/${n}`)));
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      // its owner, mode and times last: writing its entries changed its mtime
      await lchown(dst, st.uid, st.gid);
      await chmod(dst, owner.mode);
      await utimes(dst, st.atime, st.mtime);
      report.dirs.push({ path: name, ...owner });
    } else if (st.isFile()) {
      const file = await limit.run(async () => {
        o.signal?.throwIfAborted();
        let sha256: string | undefined;
        if (!o.hash) await copyFile(src, dst, constants.COPYFILE_EXCL);
        else if (st.size <= WHOLE_FILE_BYTES) {
          const data = await readFile(src, { signal: o.signal });
          sha256 = createHash('sha256').update(data).digest('hex');
          await writeFile(dst, data, { flag: 'wx', mode: 0o600 });
        } else {
          const h = createHash('sha256');
          await pipeline(
            createReadStream(src),
            async function* (source: AsyncIterable<Buffer>) {
              for await (const chunk of source) {
                h.update(chunk);
                yield chunk;
              }
            },
            createWriteStream(dst, { flags: 'wx', mode: 0o600 }),
            { signal: o.signal },
          );
          sha256 = h.digest('hex');
        }
        await lchown(dst, st.uid, st.gid);
        await chmod(dst, owner.mode);
        await utimes(dst, st.atime, st.mtime);
        return { path: name, size: st.size, ...(sha256 ? { sha256 } : {}), ...owner };
      });
      report.files.push(file);
    } else if (st.isSymbolicLink()) {
      const target = await readlink(src);
      await symlink(target, dst);
      await lchown(dst, st.uid, st.gid);
      await lutimes(dst, st.atime, st.mtime);
      report.symlinks.push({ path: name, target, mtime: owner.mtime, uid: st.uid, gid: st.gid });
    } else {
      // sockets, fifos, devices: GitLab's run-time files, nothing a restore needs
      report.skipped.push({ path: name, type: st.isSocket() ? 'socket' : st.isFIFO() ? 'fifo' : 'device' });
    }
  };
  await copy(from, to, rel);
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  report.files.sort(byPath);
  report.dirs.sort(byPath);
  report.symlinks.sort(byPath);
  report.skipped.sort(byPath);
  return report;
}
