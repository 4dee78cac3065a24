// `gravity run` asking the params it lacks, end to end: the real CLI on a pseudo-terminal (util-linux `script`, the
// answers typed into its stdin once each question shows), CI unset. gitlab:restore offers the inventory's two instances,
// then the chosen one's complete backups; a bad answer is asked again; the run gets the answers (it then fails at its
// first step, the instance folder being absent: no Docker needed). Without a terminal, or with --dry-run, nothing is
// asked and a missing param is exit 2 as before; Ctrl-C at a question starts no run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { askParams } from '../../cli/ask-params.js';
import { createJsonStore, defineChoices, resolveParams, TaskRegistry, type Definition } from '../../engine/index.js';
import { putInstance, type Instance } from '../../tasks/gitlab/inventory.js';
import { quoteArg } from '../../tasks/support/format.js';
import { BIN, sandbox } from '../support/cli.js';
import { makeBackup } from '../support/gitlab-backups.js';

const hasScript = spawnSync('script', ['--version']).status === 0;

let sb: ReturnType<typeof sandbox>;
let root: string;

const record = (name: string, number: number, ip: string): Instance => ({
  name,
  number,
  container: `gitlab-${name}`,
  ip,
  network: 'host',
  ports: { http: 80, https: 443, ssh: 22 },
  dir: join(root, `noeud-gitlab-${number}`),
  image: 'gitlab/gitlab-ce:17.5.1-ce.0',
  version: '17.5.1',
  url: `http://${ip}`,
  state: 'active',
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

/** The env of a terminal session: the sandbox's, without CI (which forbids asking). */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GRAVITY_HOME: sb.dataDir, FORCE_COLOR: '0' };
  delete env.CI;
  return env;
}

/** Terminal output without its control sequences (readline redraws the prompt line) and carriage returns. */
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/** `gravity <args>` on a pseudo-terminal: what it printed so far, keys to type, its end. */
function onTerminal(args: string[]) {
  const cmd = [process.execPath, BIN, ...args].map(quoteArg).join(' ');
  const child: ChildProcess = spawn('script', ['-qfec', cmd, '/dev/null'], {
    cwd: sb.base,
    env: terminalEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return {
    output: () => plain(out),
    type: (keys: string) => child.stdin!.write(keys),
    /** Waits until the output holds `text` `times` times (each question ends with its prompt). */
    async until(text: string, times = 1, ms = 20_000): Promise<string> {
      const end = Date.now() + ms;
      while (plain(out).split(text).length - 1 < times) {
        if (Date.now() > end) throw new Error(`no ${JSON.stringify(text)} (x${times}) in:\n${plain(out)}`);
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${text}:\n${plain(out)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return plain(out);
    },
    async done(): Promise<number | null> {
      const code = await exit;
      child.stdin!.end();
      return code;
    },
  };
}

const ALPHA_OLD = '20261201T100000Z';
const ALPHA_NEW = '20261203T100000Z';
const BETA_OLD = '20261202T090000Z';
const BETA_NEW = '20261204T090000Z';
const BETA_INCOMPLETE = '20261205T090000Z';

beforeAll(async () => {
  sb = sandbox();
  root = join(sb.base, 'gitlab');
  mkdirSync(root, { recursive: true });
  const alpha = record('alpha', 1, '127.0.0.121');
  const beta = record('beta', 2, '127.0.0.122');
  const store = await createJsonStore(sb.dataDir);
  await putInstance(store, alpha);
  await putInstance(store, beta);
  await store.close();
  makeBackup(join(alpha.dir, 'bckups'), ALPHA_OLD, alpha, { 'data/a.txt': 'a\n' });
  makeBackup(join(alpha.dir, 'bckups'), ALPHA_NEW, alpha, { 'data/a.txt': 'a2\n' });
  makeBackup(join(beta.dir, 'bckups'), BETA_OLD, beta, { 'data/b.txt': 'b\n' });
  makeBackup(join(beta.dir, 'bckups'), BETA_NEW, beta, { 'data/b.txt': 'b2\n'.repeat(1000) });
  makeBackup(join(beta.dir, 'bckups'), BETA_INCOMPLETE, beta, { 'data/b.txt': 'partial\n' }, {}, false);
});

describe.skipIf(!hasScript)('gravity run on a terminal', () => {
  it("asks gitlab:restore's instance from the inventory, then that instance's backups, and runs with the answers", async () => {
    const t = onTerminal(['run', 'gitlab:restore', '--param', `root=${root}`]);
    const first = await t.until('number or value');
    expect(first).toContain('? instance: The instance whose backup is restored');
    expect(first).toMatch(/1\) alpha\s+http:\/\/127\.0\.0\.121, active, never backed up/);
    expect(first).toMatch(/2\) beta\s+http:\/\/127\.0\.0\.122, active, never backed up/);
    t.type('2\r');
    const second = (await t.until('number or value', 2)).slice(first.length);
    // beta's complete backups, newest first, after `latest`; neither alpha's nor the incomplete one
    expect(second).toContain('? backup:');
    expect(second).toMatch(new RegExp(`1\\) latest\\s+the newest complete one \\(now ${BETA_NEW}\\)`));
    expect(second).toMatch(new RegExp(`2\\) ${BETA_NEW}\\s+cold, GitLab 17\\.5\\.1, 2\\.9 KB, \\S+ \\S+ ago`));
    expect(second).toMatch(new RegExp(`3\\) ${BETA_OLD}\\s+cold, GitLab 17\\.5\\.1, 2 B, `));
    expect(second).not.toContain(BETA_INCOMPLETE);
    expect(second).not.toContain(ALPHA_NEW);
    expect(second).toContain('Enter = "latest"');
    // a value the list does not hold and the pattern refuses: said, and asked again
    t.type('yesterday\r');
    await t.until('✖ param backup: must match');
    t.type('3\r');
    expect(await t.done()).toBe(1); // verify fails: the instance folder holds no mapping-volumes
    const [runId, ...others] = sb.runIds();
    expect(others).toEqual([]);
    const rec = sb.record(runId) as unknown as { params: Record<string, unknown>; status: string };
    expect(['failed', 'rolled-back']).toContain(rec.status); // rollbackOnFailure: nothing to undo yet
    expect(rec.params).toMatchObject({ instance: 'beta', backup: BETA_OLD, root });
    expect(t.output()).toContain('instance beta');
  });

  it('takes the default on Enter and a value typed instead of a number', async () => {
    const before = sb.runIds();
    const t = onTerminal(['run', 'gitlab:restore', '--param', `root=${root}`]);
    await t.until('number or value');
    t.type('alpha\r');
    const out = await t.until('number or value', 2);
    expect(out).toContain(`2) ${ALPHA_NEW}`);
    t.type('\r');
    expect(await t.done()).toBe(1);
    const runId = sb.runIds().find((id) => !before.includes(id))!;
    const rec = sb.record(runId) as unknown as { params: Record<string, unknown> };
    expect(rec.params).toMatchObject({ instance: 'alpha', backup: 'latest' });
  });

  it('starts no run when Ctrl-C answers a question', async () => {
    const before = sb.runIds();
    const t = onTerminal(['run', 'gitlab:restore', '--param', `root=${root}`]);
    await t.until('number or value');
    t.type('\x03');
    expect(await t.done()).toBe(130);
    expect(t.output()).toContain('cancelled: no run was started');
    expect(sb.runIds()).toEqual(before);
  });

  it('asks nothing for a dry run: a missing param is exit 2 as without a terminal', async () => {
    const t = onTerminal(['run', 'gitlab:restore', '--dry-run', '--param', `root=${root}`]);
    expect(await t.done()).toBe(2);
    expect(t.output()).toContain('missing param "instance" for gitlab:restore');
    expect(t.output()).not.toContain('number or value');
  });

  it('ends with the missing-param error when a required param has nothing to choose from', async () => {
    const def = sb.writeDefinition('pick', {
      id: 'test:pick',
      params: {
        instance: { type: 'string' },
        backup: { type: 'string', choices: 'gitlab.backups', description: 'a backup of it' },
      },
      machine: {
        initial: 'say',
        states: {
          say: { invoke: { src: 'log.info', input: { message: 'hi' } }, onDone: 'done' },
          done: { type: 'final' },
        },
      },
    } as never);
    const before = sb.runIds();
    const t = onTerminal(['run', def, '--param', 'instance=nosuch']);
    expect(await t.done()).toBe(2);
    const out = t.output();
    expect(out).toContain('? backup: a backup of it');
    expect(out).toContain('nothing to choose from (gitlab.backups)');
    expect(out).toContain('missing param "backup" for test:pick');
    expect(sb.runIds()).toEqual(before);
  });
});

describe('gravity run without a terminal', () => {
  it('refuses a missing param with exit 2, as before (CI unset, plain pipes)', async () => {
    const child = spawn(process.execPath, [BIN, 'run', 'gitlab:restore', '--param', `root=${root}`], {
      cwd: sb.base,
      env: terminalEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end('1\n1\n');
    const r = await sb.collect(child);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'missing param "instance" for gitlab:restore: The instance whose backup is restored (into itself, unless `into` is given). (use --param instance=...)',
    );
    expect(r.stderr).not.toContain('number or value');
  });
});

describe('askParams (the questions, on a scripted terminal)', () => {
  const provider = defineChoices({
    id: 'test.items',
    description: 'items of the group chosen before',
    list: async ({ params }) =>
      params.group === 'none'
        ? []
        : [
            { value: `${String(params.group)}-1`, label: 'first' },
            { value: `${String(params.group)}-2`, label: 'second' },
          ],
  });
  const groups = defineChoices({
    id: 'test.groups',
    description: 'groups',
    list: async () => [{ value: 'a' }, { value: 'b' }],
  });
  const registry = new TaskRegistry().registerChoices(provider, groups);
  const def: Definition = {
    id: 'test:ask',
    params: {
      group: { type: 'string', choices: 'test.groups', pattern: '^[a-z]+$' },
      item: { type: 'string', choices: 'test.items', default: 'any' },
      count: { type: 'integer', description: 'how many' },
      note: { type: 'string', required: false },
      level: { type: 'integer', default: 3 },
    },
    machine: { initial: 'done', states: { done: { type: 'final' } } },
  };

  /** A terminal answering `answers` in turn (undefined: end of input), recording what was shown. */
  function scripted(answers: Array<string | undefined>) {
    let shown = '';
    const terminal = {
      ask: async (prompt: string) => {
        shown += prompt;
        const a = answers.shift();
        shown += `${a ?? '<EOF>'}\n`;
        return a;
      },
      write: (text: string) => void (shown += text),
    };
    return { terminal, shown: () => shown };
  }
  const ask = (given: Record<string, string>, answers: Array<string | undefined>) => {
    const t = scripted(answers);
    const run = askParams({
      def,
      given,
      registry,
      store: undefined as never,
      terminal: t.terminal,
      signal: new AbortController().signal,
    });
    return { run, shown: t.shown };
  };

  it('asks in declaration order, numbers pick, the later list follows the earlier answer, Enter takes the default', async () => {
    const a = ask({}, ['2', '', '7']);
    expect(await a.run).toEqual({ group: 'b', count: '7' });
    expect(resolveParams(def, await a.run)).toEqual({ group: 'b', item: 'any', count: 7, level: 3 });
    expect(a.shown()).toContain('? group\n  1) a\n  2) b\n  number or value: 2');
    expect(a.shown()).toContain('  1) b-1  first\n  2) b-2  second\n  number or value, Enter = "any": ');
    expect(a.shown()).toContain('? count: how many\n  integer: 7');
    // neither the optional note nor level (a default, no list) is asked
    expect(a.shown()).not.toContain('? note');
    expect(a.shown()).not.toContain('? level');
  });

  it('takes a typed value the list does not show when it is valid, and asks again after a bad one', async () => {
    const a = ask({ count: '1' }, ['B!', 'c', 'a-2']);
    expect(await a.run).toEqual({ count: '1', group: 'c', item: 'a-2' });
    expect(a.shown()).toContain('number or value: B!\n  ✖ param group: must match /^[a-z]+$/ (got "B!")\n');
    const b = ask({ group: 'a' }, ['', '', 'x', 'x']);
    await expect(b.run).rejects.toThrow('param count: expected an integer, got "x"');
    expect(b.shown()).toContain('  ✖ missing param "count" for test:ask: how many (use --param count=...)');
    // three tries in all: two errors shown, the third ends it
    expect(b.shown().match(/✖/g)).toHaveLength(2);
  });

  it('ends with the missing-param error on an empty list for a required param, and at end of input', async () => {
    const one: Definition = {
      ...def,
      params: { group: def.params!.group, item: { type: 'string', choices: 'test.items' } },
    };
    const run = askParams({
      def: one,
      given: { group: 'none' },
      registry,
      store: undefined as never,
      terminal: scripted([]).terminal,
      signal: new AbortController().signal,
    });
    await expect(run).rejects.toThrow('missing param "item" for test:ask: expected string (use --param item=...)');
    await expect(ask({}, [undefined]).run).rejects.toThrow('missing param "group" for test:ask');
  });

  it('refuses a bad given param before asking anything', async () => {
    const a = ask({ count: 'many' }, []);
    await expect(a.run).rejects.toThrow('param count: expected an integer, got "many"');
    expect(a.shown()).toBe('');
  });
});
