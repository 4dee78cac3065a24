// The step supervisor (engine/supervisor.ts, engine/supervisor-child.mjs): real commands run by a real detached
// supervisor process, their folders, their ends, caps, cancel and detach, and what resume reads back from a folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, DetachedError, isAlive } from '../../engine/index.js';
import {
  attachCommand,
  attemptCommands,
  commandState,
  onceIn,
  setAsideAttempt,
  stepFolderName,
  superviseCommand,
  supervisedExec,
  supervisorPid,
  type CommandRecord,
  type CommandStatus,
} from '../../engine/supervisor.js';
import { tempDir } from '../support/git-fixtures.js';
import { DEAD_PID } from './support.js';
import { waitFor } from '../support/cli.js';

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

afterEach(() => {
  delete process.env.GRAVITY_OUTPUT_FILE_BYTES;
});

describe('superviseCommand', () => {
  it('runs a command under a detached supervisor and records it in its folder', async () => {
    const dir = join(tempDir('gravity-sup-'), 'c1');
    const r = await superviseCommand(dir, 'sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    expect(r.stdoutTruncated).toBe(false);
    // the folder: what ran and by whom, the output, and the end
    const record = readJson<CommandRecord>(join(dir, 'command.json'));
    expect(record).toMatchObject({ command: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'] });
    expect(record.supervisor.pid).toBe(supervisorPid());
    expect(record.supervisor.pid).not.toBe(process.pid);
    expect(record.pid).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'stdout'), 'utf8')).toBe('out\n');
    expect(readFileSync(join(dir, 'stderr'), 'utf8')).toBe('err\n');
    const status = readJson<CommandStatus>(join(dir, 'status.json'));
    expect(status).toMatchObject({ exitCode: 3, timedOut: false, stdout: { bytes: 4, fileBytes: 4 } });
    expect(readdirSync(dir).sort()).toEqual(['command.json', 'status.json', 'stderr', 'stdout']);
  });

  it('shares one supervisor between commands, and runs them at once', async () => {
    const base = tempDir('gravity-sup-');
    const started = Date.now();
    const rs = await Promise.all(
      [1, 2, 3].map((i) => superviseCommand(join(base, `c${i}`), 'sh', ['-c', `sleep 0.4; echo ${i}`])),
    );
    expect(rs.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n']);
    expect(Date.now() - started).toBeLessThan(1100);
    const sups = [1, 2, 3].map((i) => readJson<CommandRecord>(join(base, `c${i}`, 'command.json')).supervisor.pid);
    expect(new Set(sups).size).toBe(1);
  });

  it('reports a command that cannot be started like a shell would (127), with the reason', async () => {
    const r = await superviseCommand(join(tempDir('gravity-sup-'), 'c1'), 'no-such-command-here', ['x']);
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toMatch(/ENOENT/);
  });

  it('writes the input to stdin and passes the environment and the folder', async () => {
    const cwd = tempDir('gravity-sup-cwd-');
    const r = await superviseCommand(join(tempDir('gravity-sup-'), 'c1'), 'sh', ['-c', 'cat; echo "$GV_X"; pwd'], {
      input: 'from stdin\n',
      env: { GV_X: 'from env' },
      cwd,
    });
    expect(r.stdout).toBe(`from stdin\nfrom env\n${cwd}\n`);
  });

  it('kills the whole process group on timeout, and says so', async () => {
    const dir = join(tempDir('gravity-sup-'), 'c1');
    const pidFile = join(dir, '..', 'grandchild');
    const r = await superviseCommand(dir, 'sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], {
      timeoutMs: 300,
      killGraceMs: 200,
    });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGTERM');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !isAlive(grandchild) || undefined, 3000);
  });

  it('on cancel, kills the whole group and rejects with CancelledError', async () => {
    const dir = join(tempDir('gravity-sup-'), 'c1');
    const pidFile = join(dir, '..', 'grandchild');
    const ac = new AbortController();
    const p = superviseCommand(dir, 'sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], {
      signal: ac.signal,
      killGraceMs: 200,
    });
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await waitFor(() => !isAlive(Number(readFileSync(pidFile, 'utf8'))) || undefined, 3000);
    // its end is recorded all the same: a resume finds it stopped, not lost
    await waitFor(() => existsSync(join(dir, 'status.json')));
    expect(readJson<CommandStatus>(join(dir, 'status.json')).signal).toBe('SIGTERM');
  });

  it('on detach, lets the command run on and rejects at once; attaching later gives its result', async () => {
    const dir = join(tempDir('gravity-sup-'), 'c1');
    const ac = new AbortController();
    const p = superviseCommand(dir, 'sh', ['-c', 'echo begun; sleep 0.6; echo done'], { signal: ac.signal });
    await waitFor(
      () => existsSync(join(dir, 'command.json')) && readJson<CommandRecord>(join(dir, 'command.json')).pid,
    );
    ac.abort(new DetachedError());
    await expect(p).rejects.toBeInstanceOf(DetachedError);
    expect(commandState(dir).state).toBe('running');
    // re-attached: its output so far and to come is streamed, and its end awaited
    const chunks: string[] = [];
    const r = await attachCommand(dir, { onStdout: (c) => chunks.push(c) });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'begun\ndone\n' });
    expect(chunks.join('')).toBe('begun\ndone\n');
    // adopted once it ended: the same result, read from the folder
    expect(commandState(dir).state).toBe('finished');
    expect(await attachCommand(dir)).toMatchObject({ exitCode: 0, stdout: 'begun\ndone\n' });
  });

  it('gives up attaching, with a clear error, when the folder of the command it waits for goes away', async () => {
    const dir = join(tempDir('gravity-sup-'), 'c1');
    const ac = new AbortController();
    const p = superviseCommand(dir, 'sleep', ['30'], { signal: ac.signal });
    await waitFor(
      () => existsSync(join(dir, 'command.json')) && readJson<CommandRecord>(join(dir, 'command.json')).pid,
    );
    const record = readJson<CommandRecord>(join(dir, 'command.json'));
    ac.abort(new DetachedError());
    await expect(p).rejects.toBeInstanceOf(DetachedError);
    const attached = attachCommand(dir);
    rmSync(dir, { recursive: true, force: true });
    await expect(attached).rejects.toThrow(/ended without recording how the command ended/);
    process.kill(-record.pid!, 'SIGKILL');
  });

  it('keeps the tail asked for, the byte count and where the whole output is', async () => {
    const dir = join(tempDir('gravity-sup-'), 'c1');
    const r = await superviseCommand(dir, 'sh', ['-c', 'head -c 100000 /dev/zero | tr "\\0" a; printf END'], {
      tailBytes: 1000,
    });
    expect(r.stdout).toBe(`${'a'.repeat(997)}END`);
    expect(r).toMatchObject({ stdoutBytes: 100_003, stdoutTruncated: true, stdoutFile: join(dir, 'stdout') });
    expect(readFileSync(join(dir, 'stdout'), 'utf8').length).toBe(100_003);
  });

  it('caps each output file (GRAVITY_OUTPUT_FILE_BYTES) and still knows the end of the output', async () => {
    process.env.GRAVITY_OUTPUT_FILE_BYTES = '5000';
    const dir = join(tempDir('gravity-sup-'), 'c1');
    const r = await superviseCommand(dir, 'sh', ['-c', 'head -c 50000 /dev/zero | tr "\\0" b; printf END'], {
      tailBytes: 100,
    });
    expect(readFileSync(join(dir, 'stdout'), 'utf8')).toBe('b'.repeat(5000));
    expect(r.stdout).toBe(`${'b'.repeat(97)}END`);
    expect(r.stdoutBytes).toBe(50_003);
    expect(readJson<CommandStatus>(join(dir, 'status.json')).stdout).toMatchObject({
      bytes: 50_003,
      fileBytes: 5000,
    });
  });

  it('streams the output as it comes, never cutting a character in two', async () => {
    const chunks: string[] = [];
    const text = 'é'.repeat(40_000);
    const r = await superviseCommand(join(tempDir('gravity-sup-'), 'c1'), 'sh', ['-c', `printf '%s' "$1"`, 'x', text], {
      onStdout: (c) => chunks.push(c),
      tailBytes: 100_000,
    });
    expect(chunks.join('')).toBe(text);
    expect(chunks.every((c) => !c.includes('\uFFFD'))).toBe(true);
    expect(r.stdout).toBe(text);
  });

  it('rejects at once, starting nothing, when cancelled before it starts', async () => {
    const dir = join(tempDir('gravity-sup-'), 'c1');
    const ac = new AbortController();
    ac.abort();
    await expect(superviseCommand(dir, 'touch', [join(dir, 'x')], { signal: ac.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(existsSync(dir)).toBe(false);
  });
});

describe('what resume reads from a folder', () => {
  const fakeRecord = (supervisorPid: number): CommandRecord => ({
    command: 'sh',
    args: ['-c', 'true'],
    supervisor: { pid: supervisorPid },
    startedAt: new Date().toISOString(),
    pid: DEAD_PID,
  });

  it('tells a command not started, running, finished and lost apart', async () => {
    const base = tempDir('gravity-sup-');
    mkdirSync(join(base, 'c1'));
    expect(commandState(join(base, 'c1')).state).toBe('not-started');
    // a live supervisor (this process stands for it), no status: running
    mkdirSync(join(base, 'c2'));
    writeFileSync(join(base, 'c2', 'command.json'), JSON.stringify(fakeRecord(process.pid)));
    expect(commandState(join(base, 'c2')).state).toBe('running');
    // its supervisor gone without a status: lost
    mkdirSync(join(base, 'c3'));
    writeFileSync(join(base, 'c3', 'command.json'), JSON.stringify(fakeRecord(DEAD_PID)));
    expect(commandState(join(base, 'c3')).state).toBe('lost');
    // a status, whatever became of the supervisor: finished
    await superviseCommand(join(base, 'c10'), 'true', []);
    expect(commandState(join(base, 'c10')).state).toBe('finished');
    // in call order (c10 after c3), other names ignored
    mkdirSync(join(base, 'notes'));
    expect(attemptCommands(base).map((c) => [c.dir.slice(base.length + 1), c.state.state])).toEqual([
      ['c1', 'not-started'],
      ['c2', 'running'],
      ['c3', 'lost'],
      ['c10', 'finished'],
    ]);
    await expect(attachCommand(join(base, 'c3'))).rejects.toThrow(/ended without recording how the command ended/);
    // a command.json that is there but unreadable (damaged: it is written atomically) is lost, never "not started"
    mkdirSync(join(base, 'c4'));
    writeFileSync(join(base, 'c4', 'command.json'), '{"command": "sh", "ar');
    expect(commandState(join(base, 'c4')).state).toBe('lost');
  });

  it('replays an interrupted attempt: ended commands adopted, not run again; a changed command refused', async () => {
    const base = tempDir('gravity-sup-');
    const attempt = join(base, 'attempt-1');
    const log = join(base, 'runs.log');
    const first = supervisedExec(attempt, false);
    await first('sh', ['-c', `echo one >> ${log}; echo first`]);
    // the same attempt made again over its folder: the first command's end is adopted
    const again = supervisedExec(attempt, true);
    const r = await again('sh', ['-c', `echo one >> ${log}; echo first`]);
    expect(r.stdout).toBe('first\n');
    expect(readFileSync(log, 'utf8')).toBe('one\n');
    // the next call was never made: it runs now
    expect((await again('echo', ['second'])).stdout).toBe('second\n');
    // a command that differs from the one recorded is not taken for it
    const changed = supervisedExec(attempt, true);
    await expect(changed('echo', ['other'])).rejects.toThrow(/changed, so its earlier command cannot be adopted/);
  });

  it("keeps an attempt's once-decisions: computed once, given back on replay; a damaged one needs attention", async () => {
    const attempt = join(tempDir('gravity-sup-'), 'attempt-1');
    let computed = 0;
    const decide = () => {
      computed++;
      return { path: 'clone', n: computed };
    };
    expect(await onceIn(attempt)('path', decide)).toEqual({ path: 'clone', n: 1 });
    // the replay of the attempt (a new process) gets the value the attempt had, without computing it
    expect(await onceIn(attempt)('path', decide)).toEqual({ path: 'clone', n: 1 });
    expect(computed).toBe(1);
    // undefined is a value like any other
    expect(await onceIn(attempt)('nothing', () => undefined)).toBeUndefined();
    expect(await onceIn(attempt)('nothing', () => 'late')).toBeUndefined();
    // a failed decision is not kept: the replay decides again
    await expect(onceIn(attempt)('fails', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await onceIn(attempt)('fails', () => 'now')).toBe('now');
    writeFileSync(join(attempt, 'once-path.json'), '{"kept": 1, "val');
    await expect(onceIn(attempt)('path', decide)).rejects.toMatchObject({
      code: 'NEEDS_ATTENTION',
      message: expect.stringContaining(`${join(attempt, 'once-path.json')} is damaged`),
    });
    await expect(onceIn(attempt)('../x', decide)).rejects.toThrow(/must be 1 to 64 letters, digits or -/);
    expect(readdirSync(attempt).sort()).toEqual(['once-fails.json', 'once-nothing.json', 'once-path.json']);
  });

  it('puts an attempt made afresh aside, keeping its logs', async () => {
    const base = tempDir('gravity-sup-');
    const attempt = join(base, 'attempt-1');
    await superviseCommand(join(attempt, 'c1'), 'echo', ['old']);
    setAsideAttempt(attempt);
    expect(existsSync(attempt)).toBe(false);
    const aside = readdirSync(base);
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(/^attempt-1\.\d{4}-/);
    expect(readFileSync(join(base, aside[0], 'c1', 'stdout'), 'utf8')).toBe('old\n');
    setAsideAttempt(attempt); // nothing there: nothing to do
    expect(readdirSync(base)).toEqual(aside);
  });

  it('gives each step id a folder name of its own', () => {
    const ids = ['build', 'a/b', 'a_b', 'a%2Fb', '..', '.hidden', 'é', 'x y'];
    const names = ids.map(stepFolderName);
    expect(new Set(names).size).toBe(ids.length);
    for (const n of names) {
      expect(n).toMatch(/^[\w.%-]+$/);
      expect(n.startsWith('.')).toBe(false);
    }
    expect(stepFolderName('build')).toBe('build');
    expect(stepFolderName('a/b')).toBe('a%2Fb');
  });
});
