// Append-only JSON-lines logs (run journals) for the JSON store: one durable line per record, torn tails tolerated.
import type { FileHandle } from 'node:fs/promises';
import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BadInputError, CorruptDataError, printable } from '../errors.js';
import { ensureDir, fsyncDir, isMissing } from './durable-fs.js';
import { KeyedQueue, type KeyLocks } from './file-lock.js';

/** The logs of one JSON store: `<folder>/<key>.jsonl`, one JSON record per line. */
export class JsonLogs {
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private readonly queue = new KeyedQueue();
  private readonly knownDirs = new Set<string>();

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

  /** Appends one line with O_APPEND and fsyncs it; appends to one key keep their call order. */
  append(key: string, record: unknown): Promise<void> {
    const json = JSON.stringify(record);
    if (json === undefined)
      throw new BadInputError(`log record for ${key} is not JSON-serializable (${typeof record})`, { key });
    const line = Buffer.from(`${json}\n`, 'utf8');
    return this.queue.run(key, async () => {
      const handle = await this.handle(key);
      let written = 0;
      while (written < line.length) written += (await handle.write(line, written)).bytesWritten;
      if (this.durable) await handle.sync();
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

  /** Closes every open log file. */
  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map(async (h) => (await h.catch(() => undefined))?.close()));
  }

  /** The open O_APPEND handle of a log, opened once per key (repairing a torn tail first). */
  private handle(key: string): Promise<FileHandle> {
    let handle = this.handles.get(key);
    if (!handle) {
      handle = this.openLog(key);
      handle.catch(() => this.handles.delete(key));
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
