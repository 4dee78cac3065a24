// The GitLab stand-in image (test/support/gitlab-image.ts) against a real Docker engine started here (no bridge:
// containers use --network host on 127.0.0.51-59): built once per version with GitLab's volumes, healthcheck and
// version manifest; a first start makes gitlab.rb and the secrets and turns healthy; gitlab-ctl stops and starts the
// web service; gitlab-backup create writes a GitLab-named archive without /etc/gitlab, and restore brings the
// repositories back (puma and sidekiq stopped, confirmed), refusing another version's backup; reconfigure moves the
// web service to a changed external_url and refuses a bad one; docker stop is graceful and a restart keeps the config.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDocker, type TestDocker } from '../../support/docker.js';
import { tempDir } from '../../support/git-fixtures.js';
import {
  buildGitlabStandIn,
  GITLAB_BACKUP_NAME,
  GITLAB_BACKUP_SUFFIX,
  GITLAB_DATA_DIRS,
  GITLAB_GIT_USER,
  GITLAB_HEALTHCHECK,
  GITLAB_PATHS,
  GITLAB_SERVICES,
  GITLAB_VERSION,
  GITLAB_VOLUMES,
} from '../../support/gitlab-image.js';

let d: TestDocker;
let image: string;
const containers: string[] = [];

beforeAll(async () => {
  d = await startDocker();
  image = buildGitlabStandIn(d);
}, 120_000);

afterAll(async () => {
  for (const name of containers) tryDocker(['rm', '-f', name]);
  await d?.stop();
});

/** Runs docker without throwing: its exit code and output. */
function tryDocker(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: d.host }, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const exec = (name: string, ...command: string[]) => tryDocker(['exec', name, ...command]);

/** The host folders bound to GitLab's volumes. */
interface Folders {
  config: string;
  logs: string;
  data: string;
}

/** Starts the stand-in as a workflow would: host network, host folders on its volumes, external_url in the env. */
function runGitlab(name: string, address: string, tag = image): Folders {
  const root = tempDir('gravity-gitlab-', 'file');
  const folders = { config: join(root, 'config'), logs: join(root, 'logs'), data: join(root, 'data') };
  for (const dir of Object.values(folders)) mkdirSync(dir);
  containers.push(name);
  d.docker([
    'run',
    '--detach',
    '--name',
    name,
    '--network',
    'host',
    '--env',
    `GITLAB_OMNIBUS_CONFIG=external_url 'http://${address}'`,
    '--volume',
    `${folders.config}:${GITLAB_VOLUMES.config}`,
    '--volume',
    `${folders.logs}:${GITLAB_VOLUMES.logs}`,
    '--volume',
    `${folders.data}:${GITLAB_VOLUMES.data}`,
    tag,
  ]);
  return folders;
}

const health = (name: string) => d.docker(['inspect', '--format', '{{.State.Health.Status}}', name]).trim();

/** Polls docker's health of the container until it is `want`; throws with its state otherwise. */
async function waitHealth(name: string, want: 'healthy' | 'unhealthy', timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (health(name) === want) return;
    await sleep(200);
  }
  const state = d.docker(['inspect', '--format', '{{json .State}}', name]);
  throw new Error(`${name} was not ${want} after ${timeoutMs} ms: ${state}\n${tryDocker(['logs', name]).stdout}`);
}

/** The body at `url`, or the error's message when nothing answers. */
async function get(url: string): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    return { error: String((e as Error).cause ?? e) };
  }
}

/** The services gitlab-ctl status reports: name -> run | down. */
function statuses(name: string): Record<string, string> {
  const out = exec(name, 'gitlab-ctl', 'status');
  expect(out.code).toBe(0);
  return Object.fromEntries(
    out.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const m = /^(run|down): ([a-z-]+): /.exec(line);
        if (!m) throw new Error(`not a status line: ${line}`);
        return [m[2], m[1]];
      }),
  );
}

/** The names of the entries of a tar archive (GNU tar of the host). */
const tarList = (file: string) => spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.trim().split('\n');
const tarRead = (file: string, entry: string) => spawnSync('tar', ['-xOf', file, entry], { encoding: 'utf8' }).stdout;

describe('the stand-in image', () => {
  it('is tagged as GitLab CE, built once per dockerd and version', () => {
    expect(image).toBe(`gravity-test/gitlab-ce:${GITLAB_VERSION}-ce.0`);
    let calls = 0;
    const counting: TestDocker = {
      ...d,
      docker: (args, input) => {
        calls++;
        return d.docker(args, input);
      },
    };
    expect(buildGitlabStandIn(counting)).toBe(image);
    expect(calls).toBe(0);
    expect(() => buildGitlabStandIn(counting, 'latest')).toThrow('a GitLab version is major.minor.patch, not latest');
  });

  it("has GitLab's volumes, entrypoint, healthcheck and version manifest", () => {
    const config = JSON.parse(d.docker(['image', 'inspect', '--format', '{{json .Config}}', image]));
    expect(Object.keys(config.Volumes).sort()).toEqual(['/etc/gitlab', '/var/log/gitlab', '/var/opt/gitlab']);
    expect(config.Cmd).toEqual(['/assets/wrapper']);
    expect(config.Healthcheck).toEqual({
      Test: ['CMD-SHELL', GITLAB_HEALTHCHECK.command],
      Interval: GITLAB_HEALTHCHECK.intervalMs * 1e6,
      Timeout: GITLAB_HEALTHCHECK.timeoutMs * 1e6,
      Retries: GITLAB_HEALTHCHECK.retries,
    });
    const manifest = d.docker([
      'run',
      '--rm',
      '--network',
      'host',
      '--entrypoint',
      'cat',
      image,
      GITLAB_PATHS.versionManifest,
    ]);
    expect(manifest.split('\n')[0]).toBe(`gitlab-ce ${GITLAB_VERSION}`);
  });
});

describe('a running stand-in (127.0.0.51)', () => {
  const name = `gitlab-${process.pid}`;
  let folders: Folders;
  const backups = () => join(folders.data, GITLAB_DATA_DIRS.backups);
  const repositories = () => join(folders.data, GITLAB_DATA_DIRS.repositories);
  const archives = () => readdirSync(backups()).filter((f) => f.endsWith(GITLAB_BACKUP_SUFFIX));
  let lastBackupSecond = 0;
  /** Runs gitlab-backup create, returns the new archive's id. */
  const createBackup = async (...options: string[]) => {
    // a backup's id is its second, as GitLab's: a second backup within the same second would replace the first
    while (Math.floor(Date.now() / 1000) === lastBackupSecond) await sleep(50);
    const before = archives();
    const out = exec(name, 'gitlab-backup', 'create', ...options);
    lastBackupSecond = Math.floor(Date.now() / 1000);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    const made = archives().filter((f) => !before.includes(f));
    expect(made).toHaveLength(1);
    return { id: made[0].slice(0, -GITLAB_BACKUP_SUFFIX.length), file: join(backups(), made[0]), out };
  };

  beforeAll(async () => {
    folders = runGitlab(name, '127.0.0.51');
    await waitHealth(name, 'healthy');
  }, 60_000);

  it('starts like GitLab: healthy and serving, with gitlab.rb and gitlab-secrets.json made on the first start', async () => {
    expect(await get('http://127.0.0.51/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
    expect(await get('http://127.0.0.51/-/readiness')).toEqual({ status: 200, body: '{"status":"ok"}' });
    const home = await get('http://127.0.0.51/');
    expect(home).toMatchObject({ status: 200 });
    expect((home as { body: string }).body).toContain(`GitLab Community Edition ${GITLAB_VERSION}`);
    expect((home as { body: string }).body).toContain('http://127.0.0.51');
    // nothing else of the host network answers for it
    expect(await get('http://127.0.0.52/-/health')).toHaveProperty('error');

    const rb = join(folders.config, 'gitlab.rb');
    expect(statSync(rb).mode & 0o777).toBe(0o600);
    // a commented template: every line a comment or blank
    expect(
      readFileSync(rb, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#')),
    ).toEqual([]);
    const secretsFile = join(folders.config, 'gitlab-secrets.json');
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8'));
    expect(secrets.gitlab_rails.secret_key_base).toMatch(/^[0-9a-f]{128}$/);
    expect(secrets.gitlab_rails.db_key_base).toMatch(/^[0-9a-f]{128}$/);
    expect(secrets.gitlab_rails.db_key_base).not.toBe(secrets.gitlab_rails.secret_key_base);

    for (const dir of [repositories(), backups()]) {
      expect(statSync(dir).isDirectory()).toBe(true);
      expect(statSync(dir).uid).toBe(GITLAB_GIT_USER.uid);
    }
    expect(readFileSync(join(folders.data, GITLAB_DATA_DIRS.reconfiguredAt), 'utf8')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/,
    );
    expect(Object.keys(statuses(name))).toEqual([...GITLAB_SERVICES]);
    expect(Object.values(statuses(name))).toEqual(GITLAB_SERVICES.map(() => 'run'));
  });

  it('gitlab-ctl stop puma takes the web service down (health fails, status says down); start brings it back', async () => {
    const stop = exec(name, 'gitlab-ctl', 'stop', 'puma');
    expect(stop).toMatchObject({ code: 0 });
    expect(stop.stdout).toMatch(/^ok: down: puma: \ds, normally up\n$/);
    expect(await get('http://127.0.0.51/-/health')).toHaveProperty('error');
    expect(exec(name, GITLAB_PATHS.healthcheck, '--fail', '--max-time', '2').code).not.toBe(0);
    expect(statuses(name)).toMatchObject({ puma: 'down', sidekiq: 'run', nginx: 'run' });
    expect(exec(name, 'gitlab-ctl', 'status', 'puma').stdout).toMatch(/^down: puma: \d+s, normally up\n$/);
    // docker sees it too: the healthcheck fails 3 times in a row
    await waitHealth(name, 'unhealthy');
    // no backup of a GitLab that is down
    const refused = exec(name, 'gitlab-backup', 'create');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gitlab-backup: puma is down');
    expect(archives()).toEqual([]);

    const start = exec(name, 'gitlab-ctl', 'start', 'puma');
    expect(start).toMatchObject({ code: 0 });
    expect(start.stdout).toMatch(/^ok: run: puma: \(pid \d+\) \ds\n$/);
    expect(await get('http://127.0.0.51/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
    await waitHealth(name, 'healthy');

    // nginx is part of the web service too; restart brings everything back
    expect(exec(name, 'gitlab-ctl', 'stop', 'nginx').code).toBe(0);
    expect(await get('http://127.0.0.51/-/health')).toHaveProperty('error');
    const restart = exec(name, 'gitlab-ctl', 'restart');
    expect(restart.code).toBe(0);
    expect(restart.stdout.trim().split('\n')).toHaveLength(GITLAB_SERVICES.length);
    expect(await get('http://127.0.0.51/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
    const unknown = exec(name, 'gitlab-ctl', 'stop', 'unicorn');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('fail: unicorn: unknown service');
  });

  it('gitlab-backup create writes a GitLab-named 0600 archive of the repositories, without /etc/gitlab', async () => {
    expect(
      exec(
        name,
        'sh',
        '-c',
        `mkdir -p ${GITLAB_PATHS.repositories}/alpha.git && echo one > ${GITLAB_PATHS.repositories}/alpha.git/HEAD`,
      ).code,
    ).toBe(0);
    const t0 = Math.floor(Date.now() / 1000);
    const { id, file, out } = await createBackup();
    const m = GITLAB_BACKUP_NAME.exec(`${id}${GITLAB_BACKUP_SUFFIX}`);
    expect(m, id).not.toBeNull();
    const [, unix, year, month, day, version] = m!;
    expect(version).toBe(GITLAB_VERSION);
    expect(Math.abs(Number(unix) - t0)).toBeLessThan(10);
    const date = new Date(Number(unix) * 1000);
    expect(`${year}-${month}-${day}`).toBe(date.toISOString().slice(0, 10));

    const lines = out.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC -- Backup ${id} is done\\.$`),
    );
    expect(out.stdout).toContain(
      'Warning: Your gitlab.rb and gitlab-secrets.json files contain sensitive data \n' +
        'and are not included in this backup. You will need these files to restore a backup.\n' +
        'Please back them up manually.\n',
    );
    expect(out.stdout).toContain(`Creating backup archive: ${id}${GITLAB_BACKUP_SUFFIX} ... done`);

    const st = statSync(file);
    expect(st.mode & 0o777).toBe(0o600);
    expect([st.uid, st.gid]).toEqual([GITLAB_GIT_USER.uid, GITLAB_GIT_USER.gid]);
    const entries = tarList(file);
    expect(entries).toContain('backup_information.yml');
    expect(entries).toContain('db/database.sql.gz');
    expect(entries).toContain('repositories/default/alpha.git/HEAD');
    expect(entries.filter((e) => /gitlab\.rb|gitlab-secrets\.json|^etc\//.test(e))).toEqual([]);
    expect(tarRead(file, 'repositories/default/alpha.git/HEAD')).toBe('one\n');
    const info = tarRead(file, 'backup_information.yml');
    expect(info).toContain(`:gitlab_version: ${GITLAB_VERSION}\n`);
    expect(info).toContain(`:backup_id: ${id}\n`);
    expect(info).toMatch(/^:backup_created_at: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$/m);
    // the staging folder is gone
    expect(readdirSync(backups()).filter((f) => !f.endsWith(GITLAB_BACKUP_SUFFIX))).toEqual([]);

    // SKIP= and BACKUP= as GitLab's
    const named = await createBackup('SKIP=db,repositories', 'BACKUP=nightly');
    expect(named.id).toBe('nightly');
    expect(tarList(named.file)).toEqual(['backup_information.yml']);
    expect(named.out.stdout).toContain('Dumping repositories ... [SKIPPED]');
  });

  it('gitlab-backup restore brings the repositories back once puma and sidekiq are stopped and it is confirmed', async () => {
    const write = (path: string, text: string) =>
      exec(name, 'sh', '-c', `mkdir -p "$(dirname "$1")" && printf %s "$2" > "$1"`, 'sh', path, text);
    expect(write(`${GITLAB_PATHS.repositories}/beta.git/refs/heads/main`, 'c0ffee').code).toBe(0);
    const { id } = await createBackup();
    // data lost after the backup; data added after it
    expect(exec(name, 'rm', '-rf', `${GITLAB_PATHS.repositories}/beta.git`).code).toBe(0);
    expect(write(`${GITLAB_PATHS.repositories}/gamma.git/HEAD`, 'later').code).toBe(0);
    const beta = join(repositories(), 'beta.git/refs/heads/main');
    expect(existsSync(beta)).toBe(false);

    const missing = exec(name, 'gitlab-backup', 'restore', 'BACKUP=1700000000_2023_11_14_17.5.1', 'force=yes');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('The backup file 1700000000_2023_11_14_17.5.1_gitlab_backup.tar does not exist!');

    const running = exec(name, 'gitlab-backup', 'restore', `BACKUP=${id}`, 'force=yes');
    expect(running.code).toBe(1);
    expect(running.stderr).toContain('gitlab-backup: puma is running: stop puma and sidekiq before a restore');
    expect(exec(name, 'gitlab-ctl', 'stop', 'puma').code).toBe(0);
    const sidekiq = exec(name, 'gitlab-backup', 'restore', `BACKUP=${id}`, 'force=yes');
    expect(sidekiq.code).toBe(1);
    expect(sidekiq.stderr).toContain('gitlab-backup: sidekiq is running');
    expect(exec(name, 'gitlab-ctl', 'stop', 'sidekiq').code).toBe(0);
    expect(existsSync(beta)).toBe(false);

    // without force=yes it asks; no answer (no stdin) and "no" both quit
    const unanswered = exec(name, 'gitlab-backup', 'restore', `BACKUP=${id}`);
    expect(unanswered.code).toBe(1);
    expect(unanswered.stdout).toContain('Do you want to continue (yes/no)? ');
    expect(unanswered.stdout).toMatch(/ -- Quitting\.\.\.\n$/);
    const no = tryDocker(['exec', '-i', name, 'gitlab-backup', 'restore', `BACKUP=${id}`], 'no\n');
    expect(no.code).toBe(1);
    expect(existsSync(beta)).toBe(false);

    const yes = tryDocker(['exec', '-i', name, 'gitlab-backup', 'restore', `BACKUP=${id}`], 'yes\n');
    expect(yes.code, yes.stdout + yes.stderr).toBe(0);
    expect(yes.stdout).toMatch(/ -- Restore task is done\.\n$/);
    expect(readFileSync(beta, 'utf8')).toBe('c0ffee');
    expect(existsSync(join(repositories(), 'alpha.git/HEAD'))).toBe(true);
    // the repositories are the backup's: what came after it is gone
    expect(existsSync(join(repositories(), 'gamma.git'))).toBe(false);

    expect(exec(name, 'gitlab-ctl', 'start').code).toBe(0);
    expect(Object.values(statuses(name))).toEqual(GITLAB_SERVICES.map(() => 'run'));
  });

  it('a restore of a backup made by another GitLab version is refused, naming both versions', async () => {
    const other = `gitlab-old-${process.pid}`;
    const oldImage = buildGitlabStandIn(d, '17.4.0');
    expect(oldImage).toBe('gravity-test/gitlab-ce:17.4.0-ce.0');
    const oldFolders = runGitlab(other, '127.0.0.53', oldImage);
    await waitHealth(other, 'healthy');
    expect(exec(other, 'head', '-n', '1', GITLAB_PATHS.versionManifest).stdout).toBe('gitlab-ce 17.4.0\n');
    expect(exec(other, 'gitlab-backup', 'create').code).toBe(0);
    const [old] = readdirSync(join(oldFolders.data, GITLAB_DATA_DIRS.backups));
    expect(old).toMatch(/^\d{10}_\d{4}_\d\d_\d\d_17\.4\.0_gitlab_backup\.tar$/);
    d.docker(['rm', '-f', other]);

    copyFileSync(join(oldFolders.data, GITLAB_DATA_DIRS.backups, old), join(backups(), old));
    const oldId = old.slice(0, -GITLAB_BACKUP_SUFFIX.length);
    const refused = exec(name, 'gitlab-backup', 'restore', `BACKUP=${oldId}`, 'force=yes');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('GitLab version mismatch:\n');
    expect(refused.stdout).toContain(
      `  Your current GitLab version (${GITLAB_VERSION}) differs from the GitLab version in the backup!\n`,
    );
    expect(refused.stdout).toContain('  version: 17.4.0\n');
    expect(refused.stdout).not.toContain('Restoring repositories');
    expect(existsSync(join(repositories(), 'beta.git/refs/heads/main'))).toBe(true);
  });

  it('reconfigure moves the web service to a changed external_url; a bad one fails and changes nothing', async () => {
    const rb = join(folders.config, 'gitlab.rb');
    const template = readFileSync(rb, 'utf8');
    const before = statSync(join(folders.data, GITLAB_DATA_DIRS.reconfiguredAt)).mtimeMs;
    // gitlab.rb is read after GITLAB_OMNIBUS_CONFIG (still 127.0.0.51): it wins, as in GitLab
    writeFileSync(rb, `${template}external_url 'http://127.0.0.52'\n`);
    await sleep(1100);
    const out = exec(name, 'gitlab-ctl', 'reconfigure');
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toMatch(/gitlab Reconfigured!\n$/);
    expect(statSync(join(folders.data, GITLAB_DATA_DIRS.reconfiguredAt)).mtimeMs).toBeGreaterThan(before);
    expect(await get('http://127.0.0.52/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
    expect(await get('http://127.0.0.51/-/health')).toHaveProperty('error');
    expect(exec(name, 'sh', '-c', 'echo "$GITLAB_OMNIBUS_CONFIG"').stdout).toBe("external_url 'http://127.0.0.51'\n");
    expect(exec(name, 'cat', GITLAB_PATHS.healthcheckRc).stdout).toBe("url='http://127.0.0.52:80/-/health'\n");
    expect(exec(name, GITLAB_PATHS.healthcheck, '--fail', '--max-time', '2').stdout).toBe('GitLab OK');
    await waitHealth(name, 'healthy');

    for (const [settings, message] of [
      [
        "external_url 'gitlab.example.com'",
        'GitLab external URL must include a schema and FQDN, e.g. http://gitlab.example.com/',
      ],
      ["external_url 'ftp://127.0.0.54'", 'Unsupported external URL scheme: ftp'],
      ["external_url 'http://gitlab.example.com'", 'serves only on a loopback address'],
      ["external_url 'http://127.0.0.54'\nnginx['listen_addresses'] = ['0.0.0.0']", 'not 0.0.0.0'],
      [
        "external_url 'http://127.0.0.54'\nnginx['listen_addresses'] = ['127.0.0.54', '[::]']",
        'listens on one address',
      ],
      ["external_url 'http://127.0.0.54/gitlab'", 'serves no relative URL root'],
    ]) {
      writeFileSync(rb, `${template}${settings}\n`);
      const bad = exec(name, 'gitlab-ctl', 'reconfigure');
      expect(bad.code, settings).toBe(1);
      expect(bad.stderr).toContain(`There was an error running gitlab-ctl reconfigure:\n\n`);
      expect(bad.stderr).toContain(message);
      expect(await get('http://127.0.0.52/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
    }
    // a port in the URL is used
    writeFileSync(rb, `${template}external_url 'http://127.0.0.52:8929'\n`);
    expect(exec(name, 'gitlab-ctl', 'reconfigure').code).toBe(0);
    expect(await get('http://127.0.0.52:8929/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
    expect(await get('http://127.0.0.52/-/health')).toHaveProperty('error');
    // a named external_url served on nginx's listen address and port, as gitlab.configure writes them
    writeFileSync(
      rb,
      `${template}external_url 'http://gitlab-a.example.test'\nnginx['listen_addresses'] = ["127.0.0.54"]\nnginx['listen_port'] = 8080\n`,
    );
    expect(exec(name, 'gitlab-ctl', 'reconfigure').code).toBe(0);
    expect(await get('http://127.0.0.54:8080/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
    expect(await get('http://127.0.0.52:8929/-/health')).toHaveProperty('error');
    expect(await get('http://127.0.0.54:8080/')).toMatchObject({
      body: expect.stringContaining('http://gitlab-a.example.test'),
    });
    await waitHealth(name, 'healthy');

    writeFileSync(rb, `${template}external_url 'http://127.0.0.52'\n`);
    expect(exec(name, 'gitlab-ctl', 'reconfigure').code).toBe(0);
    expect(await get('http://127.0.0.52/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
  });

  it('docker stop is quick and graceful, and a restart keeps gitlab.rb and the secrets', async () => {
    const rb = readFileSync(join(folders.config, 'gitlab.rb'), 'utf8');
    const secrets = readFileSync(join(folders.config, 'gitlab-secrets.json'), 'utf8');
    const t = Date.now();
    d.docker(['stop', name]);
    // SIGTERM is handled (docker would wait its 10 s grace, then kill)
    expect(Date.now() - t).toBeLessThan(5000);
    expect(d.docker(['inspect', '--format', '{{.State.ExitCode}}', name]).trim()).toBe('0');
    expect(tryDocker(['logs', name]).stdout).toContain('ok: down: puma: ');
    expect(await get('http://127.0.0.52/-/health')).toHaveProperty('error');

    d.docker(['start', name]);
    await waitHealth(name, 'healthy');
    expect(await get('http://127.0.0.52/-/health')).toEqual({ status: 200, body: 'GitLab OK' });
    expect(readFileSync(join(folders.config, 'gitlab.rb'), 'utf8')).toBe(rb);
    expect(readFileSync(join(folders.config, 'gitlab-secrets.json'), 'utf8')).toBe(secrets);
    expect(Object.values(statuses(name))).toEqual(GITLAB_SERVICES.map(() => 'run'));
  });
});

describe('a stand-in whose external_url is not a loopback address (never bound)', () => {
  it('fails its first reconfigure and stops, as GitLab stops on a failed reconfigure', async () => {
    const name = `gitlab-bad-${process.pid}`;
    runGitlab(name, 'gitlab.example.com');
    let state = { Running: true, ExitCode: -1 };
    for (let i = 0; i < 100 && state.Running; i++) {
      await sleep(100);
      state = JSON.parse(d.docker(['inspect', '--format', '{{json .State}}', name]));
    }
    expect(state).toMatchObject({ Running: false, ExitCode: 1 });
    const logs = tryDocker(['logs', name]);
    expect(logs.stderr).toContain(
      "The GitLab stand-in serves only on a loopback address (127.x.y.z or localhost), not gitlab.example.com: set external_url's host or nginx['listen_addresses'] to one",
    );
  });
});
