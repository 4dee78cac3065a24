// Builds a git galaxy in a fresh temp folder: bare remotes, a server for the transport, and each actor's clones.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask, TaskError } from '../../engine/index.js';
import { startDaemon } from './support-daemon.js';
import { startHttpServer } from './support-http.js';
import {
  galaxyBuildInput,
  galaxyBuildOutput,
  type GalaxyBuildInput,
  type GalaxyBuildOutput,
  type ServerInfo,
} from './support-schema.js';
import { seedRemote } from './support-seed.js';
import { pickAddress, throwIfCancelled } from './support-servers.js';
import { gitRunner, MARKER, slug, stopGalaxy } from './support.js';

/** The URL actors clone `remote` from, for the transport and the server serving it (none for `file`). */
export function remoteUrl(
  transport: GalaxyBuildInput['transport'],
  root: string,
  remote: string,
  server?: ServerInfo,
): string {
  if (transport === 'file' || !server) return `file://${join(root, 'remotes', `${remote}.git`)}`;
  const scheme = transport === 'daemon' ? 'git' : 'http';
  return `${scheme}://${server.address}:${server.port}/${remote}.git`;
}

/** Builds bare remotes with content, branches and hooks, serves them over the transport, and clones them for each actor. */
export const galaxyBuild = defineTask({
  id: 'galaxy.build',
  title: 'Build a git galaxy',
  description:
    'Creates bare remotes (initial files, branches, hooks) in a fresh temp folder, starts git daemon or an http server on 127.0.0.x for the transport, and clones the remotes for each actor with its identity. Rollback stops it, as galaxy.stop does.',
  input: galaxyBuildInput,
  output: galaxyBuildOutput,
  idempotent: false,
  timeoutMs: 120_000,
  plan: (i) => [
    `mkdtemp ${join(tmpdir(), `gravity-galaxy-${slug(i.name)}-XXXXXX`)}`,
    ...Object.entries(i.remotes).map(
      ([r, s]) =>
        `git init --bare -b ${i.defaultBranch} remotes/${r}.git  # ${Object.keys(s.files ?? {}).length} file(s), branches: ${Object.keys(s.branches ?? {}).join(', ') || 'none'}, hooks: ${Object.keys(s.hooks ?? {}).join(', ') || 'none'}`,
    ),
    ...(i.transport === 'daemon'
      ? ['git daemon --export-all --enable=receive-pack --listen=127.0.0.x (own process group)']
      : []),
    ...(i.transport === 'http'
      ? ['node support-http-server.js --address 127.0.0.x  # git http-backend per request']
      : []),
    ...Object.entries(i.actors).flatMap(([a, s]) =>
      (s.clones ?? Object.keys(i.remotes)).map((r) => `git clone <${i.transport} url of ${r}> actors/${a}/${r}`),
    ),
  ],
  async run(ctx) {
    const i = ctx.input;
    const git = gitRunner(ctx);
    const root = await mkdtemp(join(tmpdir(), `gravity-galaxy-${slug(i.name)}-`));
    const servers: ServerInfo[] = [];
    try {
      await writeFile(
        join(root, MARKER),
        `${JSON.stringify({ createdBy: 'galaxy.build', name: i.name ?? null, transport: i.transport, runId: ctx.runId })}\n`,
      );
      await mkdir(join(root, 'remotes'));
      await mkdir(join(root, 'actors'));
      const remotes: GalaxyBuildOutput['remotes'] = {};
      for (const [name, spec] of Object.entries(i.remotes)) {
        const dir = await seedRemote(git, root, name, spec, i.defaultBranch);
        remotes[name] = { dir, url: '' };
      }
      ctx.log.info(`galaxy ${root}: ${Object.keys(remotes).length} remote(s) on ${i.defaultBranch}`);

      if (i.transport !== 'file') {
        const address = pickAddress();
        const start = { root, address, signal: ctx.signal, log: ctx.log };
        const server =
          i.transport === 'daemon'
            ? await startDaemon({ ...start, probe: Object.keys(i.remotes)[0], git: gitRunner(ctx, 5_000) })
            : await startHttpServer(start);
        servers.push(server);
      }
      for (const name of Object.keys(remotes)) remotes[name].url = remoteUrl(i.transport, root, name, servers[0]);

      const actors: GalaxyBuildOutput['actors'] = {};
      for (const [actor, spec] of Object.entries(i.actors)) {
        const name = spec.name ?? actor;
        const email = spec.email ?? `${actor}@galaxy.invalid`;
        const repos: Record<string, string> = {};
        for (const remote of new Set(spec.clones ?? Object.keys(remotes))) {
          throwIfCancelled(ctx.signal, `cloning ${remote} for ${actor}`);
          if (!remotes[remote])
            throw new TaskError(
              `actor "${actor}" clones unknown remote "${remote}" (remotes: ${Object.keys(remotes).join(', ')})`,
              { actor, remote },
            );
          const dir = join(root, 'actors', actor, remote);
          await git([
            'clone',
            '--quiet',
            '-c',
            `user.name=${name}`,
            '-c',
            `user.email=${email}`,
            remotes[remote].url,
            dir,
          ]);
          repos[remote] = dir;
        }
        actors[actor] = { name, email, dir: Object.values(repos)[0], repos };
      }
      ctx.log.info(`galaxy ${root}: ${Object.keys(actors).length} actor(s) cloned over ${i.transport}`);
      return { root, transport: i.transport, defaultBranch: i.defaultBranch, remotes, actors, servers };
    } catch (e) {
      ctx.log.warn(
        `galaxy build failed; stopping ${servers.length} server(s)${i.keep ? `, keeping ${root}` : ` and removing ${root}`}`,
      );
      await stopGalaxy({ servers, root, keep: i.keep }, ctx.log).catch((err: unknown) =>
        ctx.log.error(`galaxy clean-up failed: ${(err as Error).message}`),
      );
      throw e;
    }
  },
  async compensate(ctx) {
    await stopGalaxy({ servers: ctx.output.servers, root: ctx.output.root, keep: ctx.input.keep }, ctx.log);
  },
});
