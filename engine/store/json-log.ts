// Append-only JSON-lines logs (run journals) for the JSON store: one durable line per record, torn tails tolerated.
import type { FileHandle } from 'node:fs/promises';
import { open, readFile } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BadInputError, CorruptDataError, printable } from '../errors.js';
import { ensureDir, fsyncDir, isMissing } from './durable-fs.js';
import { KeyedQueue, type KeyLocks } from './file-lock.js';

/** Lines waiting for their write: taken whole when their turn in the log's queue comes. */
interface Batch {
  lines: Buffer[];
  sync: boolean;
  /** Its write is queued. */
  scheduled: boolean;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** The logs of one JSON store: `<folder>/<key>.jsonl`, one JSON record per line. */
export class JsonLogs {
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private readonly queue = new KeyedQueue();
  private readonly knownDirs = new Set<string>();
  /** Per log, the lines waiting for their write (a batch is taken whole when its turn in the queue comes). */
  private readonly batches = new Map<string, Batch>();
  /** Per log, its open handle once opened (for the synchronous write of a line without sync). */
  private readonly opened = new Map<string, FileHandle>();
  /** Per log, the batches queued and not written yet. */
  private readonly busy = new Map<string, number>();
  /** Per log, true when lines were written and not synced since. */
  private readonly unsynced = new Map<string, boolean>();

  /** @param locks - cross-process locks used while repairing a torn tail. */
  constructor(
    private readonly folder: string,
    private readonly locks: KeyLocks,
    private readonly durable = true,
  ) {}

  /** Path of the log file of a (validated) key. */
  pathOf(key: string): string {
    return `${join(this.folder, ...key.split('/'))}.jsonl`;
  }

  /**
   * Appends one line with O_APPEND; appends to one key keep their call order. With `sync`, resolves once the line is
   * durable (fdatasync). Group commit: lines appended while the log's previous write is under way are written together,
   * with one write and at most one fdatasync. A line without `sync` is written at once (a synchronous write to the
   * page cache, safe from a crash of this process) when nothing is ahead of it: a run's step end costs no round trip,
   * and the next step's synced start makes both durable with one sync.
   */
  append(key: string, record: unknown, sync = true): Promise<void> {
    const json = JSON.stringify(record);
    if (json === undefined)
      throw new BadInputError(`log record for ${key} is not JSON-serializable (${typeof record})`, { key });
    const line = Buffer.from(`${json}\n`, 'utf8');
    const idle = this.opened.get(key);
    if (!sync && idle && !this.batches.has(key) && !this.busy.get(key)) {
      try {
        let written = 0;
        while (written < line.length) written += writeSync(idle.fd, line, written);
      } catch (err) {
        return Promise.reject(err);
      }
      this.unsynced.set(key, true);
      return Promise.resolve();
    }
    let batch = this.batches.get(key);
    if (!batch) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      batch = { lines: [], sync: false, scheduled: false, done, resolve, reject };
      this.batches.set(key, batch);
    }
    batch.lines.push(line);
    if (sync && this.durable) batch.sync = true;
    this.schedule(key, batch);
    return batch.done;
  }

  /** Queues the write of `batch` (once); until its turn comes, later appends still join it. */
  private schedule(key: string, batch: Batch): void {
    if (batch.scheduled) return;
    batch.scheduled = true;
    this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    this.queue
      .run(key, async () => {
        // from here on, later appends start the next batch
        if (this.batches.get(key) === batch) this.batches.delete(key);
        const handle = await this.handle(key);
        const data = batch.lines.length === 1 ? batch.lines[0] : Buffer.concat(batch.lines);
        // a write to the page cache is quicker done at once than through the thread pool; the sync is not
        let written = 0;
        while (written < data.length) written += writeSync(handle.fd, data, written);
        if (batch.sync) await handle.datasync();
        this.unsynced.set(key, !batch.sync);
      })
      .finally(() => this.busy.set(key, (this.busy.get(key) ?? 1) - 1))
      .then(batch.resolve, batch.reject);
  }

  /** Makes every line appended to log `key` so far durable. */
  sync(key: string): Promise<void> {
    const pending = this.batches.get(key);
    if (pending) this.schedule(key, pending);
    return this.queue.run(key, async () => {
      if (!this.unsynced.get(key)) return;
      const handle = await this.handle(key);
      if (this.durable) await handle.datasync();
      this.unsynced.set(key, false);
    });
  }

  /**
   * Records of a log, oldest first ([] when it does not exist). The last line is dropped when it is
   * unterminated or not JSON (a crash mid-append); any other bad line is an error naming file and line.
   */
  async read<T>(key: string): Promise<T[]> {
    const file = this.pathOf(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const lines = text.split('\n');
    const terminated = lines.pop() === ''; // the piece after the last newline: '' when the file ends cleanly
    const records: T[] = [];
    for (const [i, line] of lines.entries()) {
      try {
        records.push(JSON.parse(line) as T);
      } catch (err) {
        if (i === lines.length - 1 && terminated) break; // an invalid last line is a torn write too
        const reason = printable((err as Error).message);
        throw new CorruptDataError(
          `corrupt log ${file} at line ${i + 1}: ${reason}`,
          file,
          `line ${i + 1}: ${reason}`,
          { file, line: i + 1 },
        );
      }
    }
    return records;
  }

  /** Writes what is pending, then closes every open log file. */
  async close(): Promise<void> {
    const pending = [...this.batches.entries()];
    for (const [key, b] of pending) this.schedule(key, b);
    await Promise.allSettled(pending.map(([, b]) => b.done));
    const handles = [...this.handles.values()];
    this.handles.clear();
    this.opened.clear();
    await Promise.all(handles.map(async (h) => (await h.catch(() => undefined))?.close()));
  }

  /** The open O_APPEND handle of a log, opened once per key (repairing a torn tail first). */
  private handle(key: string): Promise<FileHandle> {
    let handle = this.handles.get(key);
    if (!handle) {
      handle = this.openLog(key);
      handle.then(
        (h) => this.opened.set(key, h),
        () => this.handles.delete(key),
      );
      this.handles.set(key, handle);
    }
    return handle;
  }

  private async openLog(key: string): Promise<FileHandle> {
    const file = this.pathOf(key);
    await ensureDir(this.folder, dirname(file), this.knownDirs);
    return this.locks.with(key, async () => {
      const handle = await open(file, 'a+', 0o644);
      try {
        const { size } = await handle.stat();
        if (size === 0) {
          await fsyncDir(dirname(file)); // the name may be new: make it durable
        } else {
          const last = Buffer.alloc(1);
          await handle.read(last, 0, 1, size - 1);
          if (last[0] !== 0x0a) {
            // a crash left an unterminated line: cut it, or the next record would be glued to it
            const text = await readFile(file);
            await handle.truncate(text.lastIndexOf(0x0a) + 1);
            await handle.sync();
          }
        }
        return handle;
      } catch (err) {
        await handle.close();
        throw err;
      }
    });
  }
}
