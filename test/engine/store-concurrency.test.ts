// Two real processes writing one key of one JSON store: no lost write, no half-written file ever visible.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HammerValue } from '../support/store-hammer.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const PER_WORKER = 200;

/** Starts one hammer child; resolves with its exit code and output. */
function hammer(dir: string, worker: string, mode: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/store-hammer.ts', dir, worker, String(PER_WORKER), mode],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('the json store shared by two processes', () => {
  it.each([
    { mode: 'update', file: 'kv/inventory/hosts.json' },
    { mode: 'cas', file: 'kv/inventory/cas.json' },
  ])('loses no $mode write and never shows a half-written file', { timeout: 60_000 }, async ({ mode, file }) => {
    // given a fresh store and two workers hammering the same key
    const dir = await mkdtemp(join(tmpdir(), 'gravity-hammer-'));
    try {
      const started = Date.now();
      let running = true;
      const children = Promise.all([hammer(dir, 'alpha', mode), hammer(dir, 'beta', mode)]).finally(
        () => (running = false),
      );
      // when this process reads the raw file the whole time
      let reads = 0;
      let seen = false;
      while (running) {
        let text: string | undefined;
        try {
          text = readFileSync(join(dir, file), 'utf8');
        } catch (err) {
          if (seen || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // the file only ever appears once
        }
        if (text !== undefined) {
          const parsed = JSON.parse(text) as { version: number; value: HammerValue };
          expect(parsed.value.records.length).toBe(parsed.version);
          seen = true;
          reads++;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const results = await children;
      // then both finished, every write is there exactly once, and the reader saw many versions
      for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
      const final = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { version: number; value: HammerValue };
      expect(final.version).toBe(2 * PER_WORKER);
      expect(final.value.records).toHaveLength(2 * PER_WORKER);
      for (const worker of ['alpha', 'beta']) {
        const mine = final.value.records.filter((r) => r.worker === worker).map((r) => r.i);
        expect(mine).toEqual(Array.from({ length: PER_WORKER }, (_, i) => i));
      }
      expect(reads).toBeGreaterThan(10);
      console.log(
        `${mode}: ${Date.now() - started} ms, ${reads} raw reads; ${results.map((r) => r.out.trim()).join(' ')}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
