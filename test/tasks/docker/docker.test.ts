// The docker.* task nodes against a real Docker engine started here (no bridge: containers use --network host on
// 127.0.0.31-39): build, run (labelled, adopted on a re-run, refused on a foreign name), wait-healthy (healthy, timeout
// with the last check, a container that dies), exec, stop / start / rm, their rollbacks, and bad input.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../../engine/index.js';
import {
  dockerBuild,
  dockerExec,
  dockerInspect,
  dockerRm,
  dockerRun,
  dockerStart,
  dockerStop,
  dockerWaitHealthy,
} from '../../../tasks/index.js';
import { BUSYBOX, buildBusyboxImage, startDocker, type TestDocker } from '../../support/docker.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, contextFor, rejection, runTask } from '../context.js';

let d: TestDocker;
const IMAGE = 'gravity-test/web:1';
// a web server on $ADDR:8080 whose /health answers; its healthcheck asks it every half second
const HEALTHY = [
  'ENV ADDR=127.0.0.31',
  'HEALTHCHECK --interval=500ms --timeout=2s --retries=2 CMD ["sh", "-c", "wget -q -O - http://$ADDR:8080/health"]',
  'CMD ["sh", "-c", "exec httpd -f -p $ADDR:8080 -h /www"]',
].join('\n');

beforeAll(async () => {
  d = await startDocker();
  process.env.DOCKER_HOST = d.host;
  buildBusyboxImage(d, IMAGE, { '/www/health': 'ok\n', '/www/index.html': 'hello from the container\n' }, HEALTHY);
}, 120_000);

afterAll(async () => {
  delete process.env.DOCKER_HOST;
  await d?.stop();
});

const root = () => tempDir('gravity-docker-');
let n = 0;
/** A container name of its own for each test. */
const fresh = (prefix: string) => `${prefix}-${process.pid}-${++n}`;

async function runWeb(name: string, addr: string, extra: Record<string, unknown> = {}) {
  return runTask(
    dockerRun,
    { image: IMAGE, name, network: 'host', env: { ADDR: addr }, restart: 'no', ...extra },
    { root: root() },
  );
}

describe('docker.build', () => {
  it('builds and tags an image from a context folder; again is safe', async () => {
    const ctxDir = root();
    writeFileSync(join(ctxDir, 'busybox'), readFileSync(BUSYBOX), { mode: 0o755 });
    writeFileSync(
      join(ctxDir, 'Dockerfile'),
      'FROM scratch\nARG GREETING\nCOPY busybox /bin/busybox\nLABEL greeting=$GREETING\n',
    );
    const input = { context: '.', tag: 'gravity-test/built:1', buildArgs: { GREETING: 'hi' }, labels: { team: 'ops' } };
    const first = await runTask(dockerBuild, input, { root: ctxDir });
    expect(first.imageId).toMatch(/^sha256:[a-f0-9]{64}$/);
    const labels = JSON.parse(
      d.docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', 'gravity-test/built:1']),
    );
    expect(labels).toEqual({ greeting: 'hi', team: 'ops' });
    expect((await runTask(dockerBuild, input, { root: ctxDir })).imageId).toBe(first.imageId);
  });

  it('fails naming the Dockerfile problem', async () => {
    const ctxDir = root();
    writeFileSync(join(ctxDir, 'Dockerfile'), 'FROM scratch\nCOPY missing-file /x\n');
    const e = await rejection(runTask(dockerBuild, { context: ctxDir, tag: 'gravity-test/bad:1' }, { root: ctxDir }));
    expect(e.message).toMatch(/docker build .*failed with exit code 1: .*missing-file/s);
  });
});

describe('docker.run, docker.wait-healthy, docker.inspect', () => {
  it('runs a labelled container with its mounts and environment, waits until healthy, and reports it', async () => {
    const name = fresh('web');
    const data = root();
    writeFileSync(join(data, 'note.txt'), 'from the host\n');
    const out = await runWeb(name, '127.0.0.31', {
      hostname: 'gitlab-a',
      volumes: [{ source: data, target: '/data' }],
      labels: { instance: 'a' },
    });
    expect(out).toMatchObject({ name, adopted: false });
    expect(out.containerId).toMatch(/^[a-f0-9]{64}$/);
    const healthy = await runTask(dockerWaitHealthy, { name, intervalMs: 200, timeoutMs: 30_000 }, { root: data });
    expect(healthy).toMatchObject({ exists: true, running: true, health: 'healthy', networkMode: 'host' });
    // it serves on its own loopback address
    expect(await (await fetch('http://127.0.0.31:8080/index.html')).text()).toBe('hello from the container\n');
    const seen = await runTask(dockerInspect, { name }, { root: data });
    expect(seen).toMatchObject({ exists: true, id: out.containerId, image: IMAGE, status: 'running', restart: 'no' });
    expect(seen.labels).toMatchObject({ instance: 'a', 'org.gravity.run': 'test', 'org.gravity.step': 'step' });
    expect(seen.mounts).toEqual([{ source: data, target: '/data', readOnly: false }]);
    expect(d.docker(['exec', name, 'cat', '/data/note.txt'])).toBe('from the host\n');
    expect(d.docker(['exec', name, 'hostname']).trim()).toBe('gitlab-a');
    d.docker(['rm', '-f', name]);
  });

  it('a re-run of the same step adopts its container (started again); a name another step used is refused', async () => {
    const name = fresh('adopt');
    const first = await runWeb(name, '127.0.0.32');
    d.docker(['stop', '-t', '0', name]);
    const again = await runWeb(name, '127.0.0.32');
    expect(again).toEqual({ containerId: first.containerId, name, adopted: true });
    expect(JSON.parse(d.docker(['inspect', '--format', '{{json .State.Running}}', name]))).toBe(true);
    // another run (or step) asking for the name is refused, naming who made the container
    const other = contextFor(dockerRun, { image: IMAGE, name, network: 'host' }, { root: root() });
    other.ctx.runId = 'another-run';
    const e = await rejection(dockerRun.run(other.ctx));
    expect(e.message).toBe(
      `a container named ${name} exists already (made by run test, step step): remove it or choose another name`,
    );
    d.docker(['rm', '-f', name]);
  });

  it('rollback removes the container it made, and keeps one that took the name since', async () => {
    const name = fresh('undo');
    const out = await runWeb(name, '127.0.0.33');
    await compensate(dockerRun, root(), { image: IMAGE, name }, out);
    expect((await runTask(dockerInspect, { name }, { root: root() })).exists).toBe(false);
    // a container of that name made by someone else since is not the step's to remove
    d.docker(['run', '-d', '--name', name, '--network', 'host', '-e', 'ADDR=127.0.0.33', IMAGE]);
    await compensate(dockerRun, root(), { image: IMAGE, name }, out);
    expect((await runTask(dockerInspect, { name }, { root: root() })).exists).toBe(true);
    d.docker(['rm', '-f', name]);
  });

  it('wait-healthy: a timeout says the last health check; a container that dies says its exit code and logs', async () => {
    const sick = fresh('sick');
    // the server listens on .34, the healthcheck asks .35: never healthy
    await runTask(
      dockerRun,
      {
        image: IMAGE,
        name: sick,
        network: 'host',
        env: { ADDR: '127.0.0.35' },
        command: ['httpd', '-f', '-p', '127.0.0.34:8080', '-h', '/www'],
      },
      { root: root() },
    );
    const slow = await rejection(
      runTask(dockerWaitHealthy, { name: sick, intervalMs: 200, timeoutMs: 3000 }, { root: root() }),
    );
    expect(slow.code).toBe('TIMEOUT');
    expect(slow.message).toMatch(
      new RegExp(
        `^container ${sick} was not healthy after 3 s \\(health: (starting|unhealthy); last check: .*\\(exit 1\\)\\)$`,
      ),
    );
    const dying = fresh('dying');
    await runTask(
      dockerRun,
      { image: IMAGE, name: dying, network: 'host', command: ['sh', '-c', 'echo cannot read config >&2; exit 3'] },
      { root: root() },
    );
    const died = await rejection(
      runTask(dockerWaitHealthy, { name: dying, intervalMs: 200, timeoutMs: 30_000 }, { root: root() }),
    );
    expect(died.message).toMatch(
      new RegExp(
        `^container ${dying} stopped \\(exited, exit code 3\\) before it was healthy; its last lines: cannot read config`,
      ),
    );
    const missing = await rejection(runTask(dockerWaitHealthy, { name: fresh('nobody') }, { root: root() }));
    expect(missing.message).toMatch(/^container nobody-\d+-\d+ does not exist$/);
    d.docker(['rm', '-f', sick, dying]);
  });

  it('wait-healthy stops at once when cancelled', async () => {
    const sick = fresh('cancel');
    await runTask(
      dockerRun,
      { image: IMAGE, name: sick, network: 'host', env: { ADDR: '127.0.0.37' }, command: ['sleep', '300'] },
      { root: root() },
    );
    const { ctx, controller } = contextFor(
      dockerWaitHealthy,
      { name: sick, intervalMs: 1000, timeoutMs: 600_000 },
      { root: root() },
    );
    const p = dockerWaitHealthy.run(ctx);
    setTimeout(() => controller.abort(new CancelledError()), 300);
    const t = Date.now();
    await expect(p).rejects.toThrow();
    expect(Date.now() - t).toBeLessThan(5000);
    d.docker(['rm', '-f', sick]);
  });
});

describe('docker.exec, stop, start, rm', () => {
  it('exec runs a command with stdin, user and environment; a failure says its exit code and stderr', async () => {
    const name = fresh('exec');
    const data = root();
    mkdirSync(data, { recursive: true });
    await runWeb(name, '127.0.0.36', { volumes: [{ source: data, target: '/data' }] });
    const out = await runTask(
      dockerExec,
      {
        name,
        command: ['sh', '-c', 'cat > /data/in.txt; echo "$GREETING $(id -u)"'],
        input: 'piped\n',
        env: { GREETING: 'hello' },
        user: '0',
      },
      { root: data },
    );
    expect(out).toMatchObject({ exitCode: 0, stdout: 'hello 0\n' });
    expect(readFileSync(join(data, 'in.txt'), 'utf8')).toBe('piped\n');
    const e = await rejection(
      runTask(dockerExec, { name, command: ['sh', '-c', 'echo no such backup >&2; exit 4'] }, { root: data }),
    );
    expect(e.message).toMatch(
      /^docker container exec -- exec-\d+-\d+ sh -c .* failed with exit code 4: no such backup$/,
    );
    expect(
      (await runTask(dockerExec, { name, command: ['sh', '-c', 'exit 4'], allowedExitCodes: [4] }, { root: data }))
        .exitCode,
    ).toBe(4);
    d.docker(['rm', '-f', name]);
  });

  it('stop and start are no-ops when already done, and undo each other on rollback', async () => {
    const name = fresh('life');
    await runWeb(name, '127.0.0.38');
    const state = async () => (await runTask(dockerInspect, { name }, { root: root() })).status;
    const stopped = await runTask(dockerStop, { name, graceSeconds: 1 }, { root: root() });
    expect(stopped).toEqual({ name, wasRunning: true });
    expect(await state()).toBe('exited');
    expect(await runTask(dockerStop, { name }, { root: root() })).toEqual({ name, wasRunning: false });
    // rollback of the first stop starts it again
    await compensate(dockerStop, root(), { name }, stopped);
    expect(await state()).toBe('running');
    expect(await runTask(dockerStart, { name }, { root: root() })).toEqual({ name, wasRunning: true });
    await compensate(dockerStart, root(), { name }, { name, wasRunning: true });
    expect(await state()).toBe('running');
    d.docker(['rm', '-f', name]);
  });

  it('rm refuses a running container without force, removes with it, and a missing one is a no-op unless told', async () => {
    const name = fresh('rm');
    const out = await runWeb(name, '127.0.0.39');
    const e = await rejection(runTask(dockerRm, { name }, { root: root() }));
    expect(e.message).toBe(`container ${name} is running: stop it first, or remove it with force: true`);
    expect(await runTask(dockerRm, { name, force: true }, { root: root() })).toEqual({
      name,
      removed: true,
      containerId: out.containerId,
    });
    expect(await runTask(dockerRm, { name }, { root: root() })).toEqual({ name, removed: false });
    const missing = await rejection(runTask(dockerRm, { name, missingOk: false }, { root: root() }));
    expect(missing.message).toBe(`container ${name} does not exist`);
  });
});

describe('bad input', () => {
  it.each([
    [dockerRun, { image: IMAGE, name: '--privileged' }, 'a container name'],
    [dockerRun, { image: '-v/:/host', name: 'x' }, 'an image reference'],
    [dockerRun, { image: 'Upper/Case', name: 'x' }, 'an image reference'],
    [dockerRun, { image: IMAGE, name: 'x', publish: ['80'] }, 'IP:hostPort:containerPort'],
    [dockerRun, { image: IMAGE, name: 'x', volumes: [{ source: '/a,b', target: '/x' }] }, 'without commas'],
    [dockerRun, { image: IMAGE, name: 'x', networks: 'host' }, 'Unrecognized key'],
    [dockerExec, { name: 'x', command: [] }, 'expected array to have >=1 items'],
  ])('case %# is refused', (task, input, message) => {
    const r = task.input.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });

  it("a health check of its own replaces the image's: run by the container's sh, each argument quoted", async () => {
    const name = fresh('health');
    const data = root();
    // the image's check asks 127.0.0.35:8080, where nothing listens (the server is told another address): it would fail;
    // ours asks the right one, and its argument holding ; and $() stays one argument, never shell syntax
    await runWeb(name, '127.0.0.36', {
      command: ['httpd', '-f', '-p', '127.0.0.36:8080', '-h', '/www'],
      env: { ADDR: '127.0.0.35' },
      health: {
        command: ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.36:8080/index.html', '-U', 'x; touch /pwned $(id)'],
        intervalMs: 1000,
        retries: 2,
      },
    });
    const healthy = await runTask(dockerWaitHealthy, { name, intervalMs: 200, timeoutMs: 30_000 }, { root: data });
    expect(healthy).toMatchObject({ health: 'healthy' });
    const test = JSON.parse(d.docker(['inspect', '--format', '{{json .Config.Healthcheck.Test}}', name]));
    expect(test).toEqual([
      'CMD-SHELL',
      "wget -q -O /dev/null http://127.0.0.36:8080/index.html -U 'x; touch /pwned $(id)'",
    ]);
    expect(d.docker(['exec', name, 'ls', '/']).split('\n')).not.toContain('pwned');
    d.docker(['rm', '-f', name]);
  });

  it('refuses published ports with network host', async () => {
    const e = await rejection(
      runTask(
        dockerRun,
        { image: IMAGE, name: fresh('pub'), network: 'host', publish: ['127.0.0.40:80:80'] },
        { root: root() },
      ),
    );
    expect(e.message).toMatch(/publish does not go with network host/);
  });

  it('plans show the docker command lines', () => {
    expect(
      dockerRun.plan(dockerRun.input.parse({ image: IMAGE, name: 'web', network: 'host', env: { A: 'b c' } })),
    ).toEqual([
      "docker run --detach --name web --network host --env 'A=b c' --label 'org.gravity.run=<run>' --label 'org.gravity.step=<step>' -- gravity-test/web:1",
    ]);
  });
});
