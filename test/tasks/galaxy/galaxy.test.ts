// galaxy.build and galaxy.stop against real git, a real git daemon and the real http server, over every transport.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, isAlive } from '../../../engine/index.js';
import { galaxyBuild } from '../../../tasks/galaxy/build.js';
import { galaxyStop } from '../../../tasks/galaxy/stop.js';
import { isGalaxyAddress } from '../../../tasks/galaxy/support-address.js';
import { serverCommand } from '../../../tasks/galaxy/support-http.js';
import type { GalaxyBuildOutput } from '../../../tasks/galaxy/support-schema.js';
import { canConnect } from '../../../tasks/galaxy/support-servers.js';
import { stopGalaxy } from '../../../tasks/galaxy/support.js';
import { git, tempDir } from '../../support/git-fixtures.js';
import { compensate, contextFor, rejection, runTask } from '../context.js';

const refuseForcePush = `#!/bin/sh
zero=0000000000000000000000000000000000000000
while read old new ref; do
  if [ "$old" != "$zero" ] && [ "$new" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
    echo "pre-receive: force pushes to $ref are not allowed" >&2
    exit 1
  fi
done
`;

const galaxy = (transport: string, extra: Record<string, unknown> = {}) => ({
  name: 'galaxy:test',
  transport,
  remotes: {
    origin: {
      files: { 'README.md': 'hello\n', 'conf/app.conf': 'port=80\n' },
      hooks: { 'pre-receive': refuseForcePush },
      branches: { develop: { 'dev.txt': 'wip\n' } },
    },
  },
  actors: { alice: {}, bob: { name: 'Bob', email: 'bob@example.test' } },
  ...extra,
});

const root = tmpdir();
const quiet = { info() {}, warn() {}, error() {}, stream() {} };
const built: GalaxyBuildOutput[] = [];
const strays: string[] = [];

async function build(raw: unknown): Promise<GalaxyBuildOutput> {
  const g = await runTask(galaxyBuild, raw, { root });
  built.push(g);
  return g;
}

/** Runs git expecting a failure; returns its stderr. */
function gitFails(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  expect(r.status, `git ${args.join(' ')} should fail`).not.toBe(0);
  return r.stderr;
}

afterEach(async () => {
  for (const g of built.splice(0)) await stopGalaxy({ servers: g.servers, root: g.root }, quiet);
  for (const dir of strays.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('galaxy.build', () => {
  it.each(['file', 'daemon', 'http'])(
    'lets alice push and bob pull over %s, and the remote hook refuses a force push',
    async (transport) => {
      const g = await build(galaxy(transport));
      const url = g.remotes.origin.url;
      expect(url).toMatch(
        {
          file: /^file:\/\/\/.+\/remotes\/origin\.git$/,
          daemon: /^git:\/\/127\.0\.0\.\d+:\d+\/origin\.git$/,
          http: /^http:\/\/127\.0\.0\.\d+:\d+\/origin\.git$/,
        }[transport]!,
      );
      expect(g.servers).toHaveLength(transport === 'file' ? 0 : 1);
      for (const s of g.servers) expect(isGalaxyAddress(s.address)).toBe(true);
      const { alice, bob } = g.actors;
      expect(git(alice.dir, 'remote', 'get-url', 'origin')).toBe(url);
      expect([git(bob.dir, 'config', 'user.name'), git(bob.dir, 'config', 'user.email')]).toEqual([
        'Bob',
        'bob@example.test',
      ]);
      expect(readFileSync(join(alice.dir, 'conf/app.conf'), 'utf8')).toBe('port=80\n');
      const heads = git(bob.dir, 'ls-remote', '--heads', 'origin');
      expect(heads).toContain('refs/heads/main');
      expect(heads).toContain('refs/heads/develop');

      // alice commits and pushes, bob pulls and sees it
      writeFileSync(join(alice.dir, 'conf/app.conf'), 'port=8080\n');
      git(alice.dir, 'commit', '-qam', 'listen on 8080');
      git(alice.dir, 'push', '-q', 'origin', 'main');
      git(bob.dir, 'pull', '-q', '--no-rebase', 'origin', 'main');
      expect(readFileSync(join(bob.dir, 'conf/app.conf'), 'utf8')).toBe('port=8080\n');
      expect(git(bob.dir, 'log', '-1', '--format=%an %s')).toBe('alice listen on 8080');

      // the pre-receive hook the galaxy installed refuses a rewrite over the same transport
      const pushed = git(g.remotes.origin.dir, 'rev-parse', 'main');
      git(alice.dir, 'commit', '-q', '--amend', '-m', 'rewritten');
      expect(gitFails(alice.dir, 'push', '--force', 'origin', 'main')).toContain(
        'pre-receive: force pushes to refs/heads/main are not allowed',
      );
      expect(git(g.remotes.origin.dir, 'rev-parse', 'main')).toBe(pushed);
    },
  );

  it('refuses bad remote, actor and file names with an error naming the parameter', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [galaxy('file', { actors: { '../x': {} } }), 'actors.../x', /actor name "\.\.\/x" is not allowed/],
      [galaxy('file', { actors: { 'a b': {} } }), 'actors.a b', /actor name "a b" is not allowed: use only letters/],
      [galaxy('file', { remotes: { '../x': {} } }), 'remotes.../x', /remote name "\.\.\/x" is not allowed/],
      [galaxy('file', { remotes: { 'a b': {} } }), 'remotes.a b', /remote name "a b" is not allowed/],
      [
        galaxy('file', { remotes: { origin: { files: { '../x': '' } } } }),
        'remotes.origin.files.../x',
        /file path "\.\.\/x" of remote "origin" is not allowed/,
      ],
      [
        galaxy('file', { remotes: { origin: { files: { '/etc/x': '' } } } }),
        'remotes.origin.files./etc/x',
        /it is absolute/,
      ],
      [
        galaxy('file', { remotes: { origin: { hooks: { '../../x': '' } } } }),
        'remotes.origin.hooks.../../x',
        /is not a server hook/,
      ],
      [
        galaxy('file', { actors: { bob: { clones: ['nope'] } } }),
        'actors.bob.clones.0',
        /actor "bob" clones unknown remote "nope" \(remotes: origin\)/,
      ],
      [galaxy('file', { defaultBranch: '../main' }), 'defaultBranch', /default branch "\.\.\/main" is not allowed/],
    ];
    for (const [raw, path, message] of cases) {
      const r = galaxyBuild.input.safeParse(raw);
      expect(r.success).toBe(false);
      const issue = r.error!.issues.find((i) => i.path.join('.') === path);
      expect(issue?.message, `issue at ${path}`).toMatch(message);
    }
  });

  it('stops what it started and removes its folder when an actor clones an unknown remote midway', async () => {
    // the schema refuses unknown remotes; bypass it to reach the clone step after the server started
    const { ctx, lines } = contextFor(galaxyBuild, galaxy('daemon'), { root });
    ctx.input.actors.bob.clones = ['nope'];
    const err = await rejection(galaxyBuild.run(ctx));
    expect(err.message).toBe('actor "bob" clones unknown remote "nope" (remotes: origin)');
    const server = lines.find((l) => l.message.startsWith('git daemon serving'))!.data as {
      pid: number;
      address: string;
      port: number;
    };
    const galaxyRoot = /^galaxy (\S+): 1 remote/.exec(lines.find((l) => l.message.startsWith('galaxy '))!.message)![1];
    expect(isAlive(server.pid)).toBe(false);
    expect(await canConnect(server.address, server.port)).toBe(false);
    expect(existsSync(galaxyRoot)).toBe(false);
  });

  it('stops its server and removes its folder when cancelled while building', async () => {
    const { ctx, lines, controller } = contextFor(galaxyBuild, galaxy('http'), { root });
    const info = ctx.log.info;
    ctx.log.info = (message, data) => {
      info(message, data);
      if (message.startsWith('http server serving')) controller.abort();
    };
    expect(await rejection(galaxyBuild.run(ctx))).toBeInstanceOf(CancelledError);
    const server = lines.find((l) => l.message.startsWith('http server serving'))!.data as { pid: number };
    const galaxyRoot = /^galaxy (\S+):/.exec(lines.find((l) => l.message.startsWith('galaxy '))!.message)![1];
    expect(isAlive(server.pid)).toBe(false);
    expect(existsSync(galaxyRoot)).toBe(false);
  });
});

describe('galaxy.stop', () => {
  it.each(['daemon', 'http'])(
    'kills the %s server by its pid and removes the galaxy, then does nothing the second time',
    async (transport) => {
      const g = await build(galaxy(transport, { actors: {} }));
      const [s] = g.servers;
      expect(isAlive(s.pid)).toBe(true);
      expect(await canConnect(s.address, s.port)).toBe(true);
      expect(await runTask(galaxyStop, { servers: g.servers, root: g.root }, { root })).toEqual({ stopped: 1 });
      expect(isAlive(s.pid)).toBe(false);
      expect(await canConnect(s.address, s.port)).toBe(false);
      expect(existsSync(g.root)).toBe(false);
      expect(await runTask(galaxyStop, { servers: g.servers, root: g.root }, { root })).toEqual({ stopped: 0 });
    },
  );

  it('leaves the folder with keep: true, and accepts a teardown after a build that never finished', async () => {
    const g = await build(galaxy('daemon', { actors: { alice: {} } }));
    strays.push(g.root);
    expect(await runTask(galaxyStop, { servers: g.servers, root: g.root, keep: true }, { root })).toEqual({
      stopped: 1,
      kept: g.root,
    });
    expect(isAlive(g.servers[0].pid)).toBe(false);
    expect(existsSync(join(g.actors.alice.dir, 'README.md'))).toBe(true);
    expect(await runTask(galaxyStop, { servers: null, root: null, keep: null }, { root })).toEqual({ stopped: 0 });
  });

  it('is also what rolling galaxy.build back does', async () => {
    const raw = galaxy('http', { actors: {} });
    const g = await build(raw);
    await compensate(galaxyBuild, root, raw, g);
    expect(isAlive(g.servers[0].pid)).toBe(false);
    expect(existsSync(g.root)).toBe(false);
  });

  it('refuses to remove a folder galaxy.build did not make', async () => {
    const dir = tempDir('gravity-not-a-galaxy-');
    const err = await rejection(runTask(galaxyStop, { servers: [], root: dir }, { root }));
    expect(err.message).toMatch(/refusing to remove .*: it is not a galaxy/);
    expect(existsSync(dir)).toBe(true);
  });
});

describe('galaxy servers', () => {
  it('bind 127.0.0.x with x in 2..250 only', () => {
    for (const ok of ['127.0.0.2', '127.0.0.99', '127.0.0.250']) expect(isGalaxyAddress(ok), ok).toBe(true);
    for (const bad of [
      '127.0.0.1',
      '127.0.0.251',
      '127.0.0.02',
      '0.0.0.0',
      '10.0.0.2',
      '127.0.1.2',
      ' 127.0.0.2',
      '127.0.0.2\n',
      '::1',
      'localhost',
    ]) {
      expect(isGalaxyAddress(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it.each([
    ['after its lifetime', ['--max-ms', '300'], 0],
    ['after its last request', ['--max-requests', '1'], 1],
  ])('the http server exits by itself %s', async (_when, limit, requests) => {
    const remotes = tempDir('gravity-galaxy-http-');
    const child = spawn(process.execPath, [...serverCommand(), '--address', '127.0.0.7', '--root', remotes, ...limit], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const { port, pid } = JSON.parse(line.toString()) as { port: number; pid: number };
      expect(pid).toBe(child.pid);
      for (let i = 0; i < requests; i++)
        expect((await fetch(`http://127.0.0.7:${port}/nope.git/info/refs?service=git-upload-pack`)).status).toBe(404);
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('the http server script refuses any other address before listening', () => {
    const r = spawnSync(process.execPath, [...serverCommand(), '--address', '0.0.0.0', '--root', tmpdir()], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('refusing to bind "0.0.0.0"');
  });
});
