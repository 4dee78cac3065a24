// gravity serve as a real process: it prints its URL, serves a workflow file, and a run it drives survives the server's
// SIGKILL: the next server on the same data dir resumes it (its supervised step adopted), nothing lost, and SIGTERM
// detaches what runs, for the next one to take up. Servers on 127.0.0.175.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sequence, task, workflow } from '../../engine/authoring.js';
import { BIN } from '../support/cli.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts `gravity serve` on 127.0.0.175 (a free port) and resolves with its URL (its first stdout line). */
async function serve(home: string, file: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    [BIN, '--data-dir', home, 'serve', '--listen', '127.0.0.175:0', '--workflow', file, '--root', home],
    { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let err = '';
  child.stderr!.on('data', (b) => (err += b));
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (b) => {
      out += b;
      const line = /^(http:\/\/\S+)\n/.exec(out)?.[1];
      if (line) res(line);
    });
    child.on('exit', (code) => rej(new Error(`gravity serve exited (${code}): ${err}`)));
  });
  return { child, url, stderr: () => err };
}

const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())));

describe('gravity serve, a real process', () => {
  it('resumes after SIGKILL a run it drove, adopting its supervised step; detaches on SIGTERM; the CLI sees it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gravity-serve-restart-'));
    const marker = join(home, 'marker');
    const file = join(home, 'slow.json');
    writeFileSync(
      file,
      JSON.stringify(
        workflow({
          id: 'test:restart',
          params: {},
          steps: sequence(
            task('before', 'exec.run', { command: 'echo', args: ['before'], supervised: false, idempotent: true }),
            // supervised: it goes on under the step supervisor when the server dies, and is adopted
            task('work', 'exec.run', { command: 'sh', args: ['-c', `sleep 2; echo done >> ${marker}`] }),
            task('after', 'exec.run', { command: 'echo', args: ['after'], supervised: false, idempotent: true }),
          ),
        }),
      ),
    );
    const first = await serve(home, file);
    const { loadTokens } = await import('../../server/tokens.js');
    const token = loadTokens(join(home, 'tokens.json')).set.tokens[0].token;
    expect(first.stderr()).toMatch(/created .*tokens\.json \(mode 0600\)/);
    const call = async (url: string, method: string, path: string, body?: unknown) => {
      const r = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, body: (await r.json()) as any };
    };
    const started = await call(first.url, 'POST', '/api/runs', { workflow: 'test:restart' });
    expect(started.status).toBe(202);
    const id = started.body.runId as string;
    // kill the server while <work> runs
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const r = await call(first.url, 'GET', `/api/runs/${id}`);
      if (r.body.steps.some((x: any) => x.id === 'work' && x.status === 'running')) break;
      await new Promise((x) => setTimeout(x, 20));
    }
    first.child.kill('SIGKILL');
    await exited(first.child);

    const second = await serve(home, file);
    let run: any;
    while (Date.now() < deadline + 20_000) {
      run = (await call(second.url, 'GET', `/api/runs/${id}`)).body;
      if (run.run.status !== 'running' && run.run.status !== 'interrupted') break;
      await new Promise((x) => setTimeout(x, 100));
    }
    expect(run.run.status, second.stderr()).toBe('succeeded');
    expect(second.stderr()).toMatch(new RegExp(`resuming run ${id}`));
    // the supervised command ran once: adopted, not started again
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(marker, 'utf8')).toBe('done\n');
    expect(run.steps.map((x: any) => x.id)).toEqual(['before', 'work', 'after']);

    // SIGTERM while a run waits on its command: the run is detached, and the next server takes it up
    const again = await call(second.url, 'POST', '/api/runs', { workflow: 'test:restart' });
    const id2 = again.body.runId as string;
    while ((await call(second.url, 'GET', `/api/runs/${id2}`)).body.steps.length < 2)
      await new Promise((x) => setTimeout(x, 20));
    second.child.kill('SIGTERM');
    await exited(second.child);
    expect(second.child.exitCode).toBe(0);
    const cli = spawn(process.execPath, [BIN, '--data-dir', home, 'runs', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    cli.stdout!.on('data', (b) => (out += b));
    await exited(cli);
    const listed = JSON.parse(out).runs as Array<{ runId: string; status: string }>;
    expect(listed.find((r) => r.runId === id)?.status).toBe('succeeded');
    expect(listed.find((r) => r.runId === id2)?.status).toBe('detached');
    const third = await serve(home, file);
    let r2: any;
    for (let i = 0; i < 200; i++) {
      r2 = (await call(third.url, 'GET', `/api/runs/${id2}`)).body;
      if (r2.run.status === 'succeeded') break;
      await new Promise((x) => setTimeout(x, 100));
    }
    expect(r2.run.status, third.stderr()).toBe('succeeded');
    expect(readFileSync(marker, 'utf8')).toBe('done\ndone\n');
    third.child.kill('SIGTERM');
    await exited(third.child);
  }, 60_000);
});
