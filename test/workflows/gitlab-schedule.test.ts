// gitlab:schedule end to end: the real CLI and the real crontab of a throwaway user (crontab -u, the workflow's user
// param). The block's line names absolute paths, quoted for cron's /bin/sh (a data dir with a space, a quote and a % in
// its path), and really runs gitlab:backup when /bin/sh runs it as cron would; the same schedule twice is one block; a
// bad schedule or an unknown instance installs nothing; remove and list; two runs at once lose no block.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonStore, task, workflow, sequence } from '../../engine/index.js';
import { putInstance, type Instance } from '../../tasks/gitlab/inventory.js';
import { BIN, sandbox } from '../support/cli.js';
import { createCronUser, type CronUser } from '../support/cron.js';
import { tempDir } from '../support/git-fixtures.js';

const FOREIGN = '# mine\nMAILTO=""\n\n*/5 * * * * /bin/true\n';

let u: CronUser;
beforeAll(() => {
  u = createCronUser('w');
});
afterAll(() => u?.remove());

/** A sandbox whose data dir path needs quoting (space, quote, %), holding instance `alpha` in its inventory. */
async function setup() {
  const sb = sandbox();
  const dataDir = join(sb.base, "data dir 'q' 50%");
  const root = join(tempDir('gravity-gitlab-root-'), 'srv gitlab');
  mkdirSync(root, { recursive: true });
  const store = await createJsonStore(dataDir);
  const now = new Date().toISOString();
  const alpha: Instance = {
    name: 'alpha',
    number: 1,
    container: `gitlab-alpha-missing-${process.pid}`,
    ip: '127.0.0.71',
    network: 'host',
    ports: { http: 80, https: 443, ssh: 22 },
    dir: join(root, 'noeud-gitlab-1'),
    image: 'gitlab/gitlab-ce:17.5.1-ce.0',
    version: '17.5.1',
    url: 'http://127.0.0.71',
    state: 'active',
    createdAt: now,
    updatedAt: now,
  };
  await putInstance(store, alpha);
  await store.close();
  const gravity = (...args: string[]) => sb.run('--data-dir', dataDir, ...args);
  const schedule = (...params: string[]) =>
    gravity(
      'run',
      'gitlab:schedule',
      '--param',
      `user=${u.name}`,
      '--param',
      `root=${root}`,
      ...params.flatMap((p) => (p.startsWith('--') ? [p] : ['--param', p])),
    );
  return { sb, dataDir, root, gravity, schedule };
}

/** What cron does to a job line before /bin/sh gets it: the five time fields off, `\%` -> `%`, a bare `%` ends it. */
function cronCommand(line: string): string {
  const command = line.replace(/^(\S+\s+){5}/, '');
  let out = '';
  for (let i = 0; i < command.length; i++) {
    if (command[i] === '\\' && command[i + 1] === '%') out += command[++i];
    else if (command[i] === '%') break;
    else out += command[i];
  }
  return out;
}

describe('gitlab:schedule', () => {
  it('installs one block with absolute, quoted paths that cron runs; again changes nothing; list and remove', async () => {
    u.install(FOREIGN);
    const { sb, dataDir, root, schedule } = await setup();
    const r = await schedule('instance=alpha', 'keep=3', 'cron=15 */6 * * *', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout).output;
    expect(out.changed).toBe(true);
    const log = join(dataDir, 'logs', 'gitlab-backup-alpha.log');
    expect(out.log).toBe(log);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`.replace(/%/g, '\\%');
    const line =
      `15 */6 * * * ${q(process.execPath)} ${q(BIN)} '--data-dir' ${q(dataDir)} 'run' 'gitlab:backup'` +
      ` '--param' 'instance=alpha' '--param' 'mode=online' '--param' ${q(`root=${root}`)} '--param' 'keep=3'` +
      ` >>${q(log)} 2>&1`;
    const installed = `${FOREIGN}# BEGIN gravity gitlab:backup alpha\n${line}\n# END gravity gitlab:backup alpha\n`;
    expect(u.list()).toBe(installed);

    // the same schedule again: nothing changes
    const again = await schedule('instance=alpha', 'keep=3', 'cron=15 */6 * * *', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).output.changed).toBe(false);
    expect(u.list()).toBe(installed);

    // the line, run as cron runs it (/bin/sh -c, cron's environment, from /): gitlab:backup of alpha runs in that
    // data dir with those params, and its output lands in the log
    const sh = spawnSync('/bin/sh', ['-c', cronCommand(line)], {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', HOME: sb.base, LOGNAME: 'root', SHELL: '/bin/sh' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(sh.stdout + sh.stderr).toBe(''); // all of it went to the log
    expect(sh.status).not.toBe(0); // alpha's container does not exist
    const logged = readFileSync(log, 'utf8');
    expect(logged).toContain('gitlab:backup failed');
    expect(logged).toContain(`gitlab-alpha-missing-${process.pid}`);
    const runs = readdirSync(join(dataDir, 'kv', 'runs')).map(
      (f) => JSON.parse(readFileSync(join(dataDir, 'kv', 'runs', f), 'utf8')).value,
    );
    const backup = runs.find((x) => x.workflow === 'gitlab:backup' || x.workflowId === 'gitlab:backup');
    expect(backup, JSON.stringify(runs.map((x) => Object.keys(x)))).toBeDefined();
    expect(backup.params).toMatchObject({ instance: 'alpha', mode: 'online', keep: 3, root });

    // list: the block as it is, nothing changed
    const listed = await schedule('instance=alpha', 'list=true');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`# BEGIN gravity gitlab:backup alpha\n${line}\n# END gravity gitlab:backup alpha`);
    expect(u.list()).toBe(installed);

    // remove: the rest byte for byte (the instance need not be in the inventory)
    const removed = await schedule('instance=alpha', 'remove=true');
    expect(removed.code, removed.stderr).toBe(0);
    expect(u.list()).toBe(FOREIGN);
    expect(existsSync(log)).toBe(true);
  }, 60_000);

  it('refuses a bad schedule, naming it, and an unknown instance, installing nothing', async () => {
    u.install(FOREIGN);
    const { schedule } = await setup();
    // four runs at once: none of them installs anything
    const [values, shape, unknown, none] = await Promise.all([
      schedule('instance=alpha', 'cron=61 * * * *'),
      schedule('instance=alpha', 'cron=* * * * * /bin/evil'),
      schedule('instance=nope'),
      schedule(),
    ]);
    expect(values.code).not.toBe(0);
    expect(values.stderr + values.stdout).toContain('61 * * * *');
    expect(values.stderr + values.stdout).toMatch(/crontab -n refused/);
    expect(shape.code).not.toBe(0);
    expect(shape.stderr + shape.stdout).toContain('cron "* * * * * /bin/evil" is not a cron schedule');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr + unknown.stdout).toContain('no instance nope in the inventory');
    expect(none.code).not.toBe(0);
    expect(none.stderr + none.stdout).toContain('instance is required');
    expect(u.list()).toBe(FOREIGN);
  }, 60_000);

  it('loses no block when three runs change the crontab at once', async () => {
    u.install(FOREIGN);
    const { sb, gravity } = await setup();
    const markers = (p: string) => Array.from({ length: 6 }, (_, i) => `${p}${i}`);
    const def = (p: string) =>
      sb.writeDefinition(
        `install-${p}`,
        workflow({
          id: `test:cron-${p}`,
          steps: sequence(
            ...markers(p).map((m) =>
              task(`i_${m}`, 'cron.install-block', { user: u.name, marker: m, lines: [`@daily /bin/echo ${m}`] }),
            ),
          ),
        }),
      );
    const defs = ['a', 'b', 'c'].map(def);
    for (const r of await Promise.all(defs.map((d) => gravity('run', d)))) expect(r.code, r.stderr).toBe(0);
    const text = u.list()!;
    expect(text.startsWith(FOREIGN)).toBe(true);
    for (const m of ['a', 'b', 'c'].flatMap(markers))
      expect(text).toContain(`# BEGIN gravity ${m}\n@daily /bin/echo ${m}\n# END gravity ${m}\n`);
  }, 60_000);
});
