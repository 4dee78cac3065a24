// Runs the real `gravity` binary in a child process, with its own data dir, for end-to-end CLI tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Definition } from '../../engine/index.js';
import { tempDir } from './git-fixtures.js';

export const BIN = resolve(import.meta.dirname, '../../bin/gravity.mjs');

/** A result of one CLI invocation. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A sandbox: a data dir and a work dir, and helpers to run the CLI in them; removed when the test finishes. */
export function sandbox() {
  const base = tempDir('gravity-cli-');
  const dataDir = join(base, 'data');
  const work = join(base, 'work');
  const env = { ...process.env, GRAVITY_HOME: dataDir, CI: 'true', FORCE_COLOR: '0' };
  const spawnCli = (args: string[]): ChildProcess =>
    spawn(process.execPath, [BIN, ...args], { cwd: base, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (child: ChildProcess): Promise<CliResult> =>
    new Promise((res) => {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (b) => (stdout += b));
      child.stderr!.on('data', (b) => (stderr += b));
      child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
    });
  return {
    base,
    dataDir,
    work,
    spawn: spawnCli,
    collect,
    run: (...args: string[]) => collect(spawnCli(args)),
    /** Writes a definition as a JSON file and returns its path. */
    writeDefinition(name: string, def: Definition): string {
      const p = join(base, `${name}.json`);
      writeFileSync(p, JSON.stringify(def, null, 2));
      return p;
    },
    /** Ids of the runs stored so far (top-level and child runs). */
    runIds(): string[] {
      const d = join(dataDir, 'kv', 'runs');
      return existsSync(d)
        ? readdirSync(d)
            .filter((f) => f.endsWith('.json'))
            .map((f) => f.slice(0, -5))
            .sort()
        : [];
    },
    /** The stored record of a run. */
    record(runId: string): { status: string; pid?: number; attention?: { steps: string[] } } {
      return JSON.parse(readFileSync(join(dataDir, 'kv', 'runs', `${runId}.json`), 'utf8')).value;
    },
    /** Journal entries of a run, read straight from the data dir. */
    journal(runId: string): Array<{ type: string; step?: string }> {
      const p = join(dataDir, 'logs', 'journal', `${runId}.jsonl`);
      if (!existsSync(p)) return [];
      return readFileSync(p, 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((l) => {
          try {
            return [JSON.parse(l)];
          } catch {
            return [];
          }
        });
    },
  };
}

/** Polls `check` every 25 ms until it returns a value, for at most `ms`. */
export async function waitFor<T>(check: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
