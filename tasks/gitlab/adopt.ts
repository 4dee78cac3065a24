// gitlab.adopt: takes an instance made by hand (or by the original tool's scripts) into the inventory, after checking
// its container, its folder and its backups, every failed check named at once; rollback removes the record it added.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { stateOf } from '../docker/inspect.js';
import { containerName, docker, inspectContainer, type ContainerInfo } from '../docker/support.js';
import { errnoCode } from '../support/files.js';
import { versionOfImage } from './allocate.js';
import {
  getInstance,
  instanceKey,
  instanceName,
  instanceRecord,
  listInstances,
  putInstance,
  storeOf,
  withInventory,
  type Instance,
} from './inventory.js';
import { layoutOf, VOLUMES } from './prepare-dir.js';
import { readManifest } from './support-backup.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** The last uncommented `external_url '...'` (or `"..."`, or `external_url(...)`) of a gitlab.rb text. */
export function externalUrlOf(text: string): string | undefined {
  let url: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*external_url[\s(]+(['"])([^'"]+)\1/.exec(line);
    if (m) url = m[2];
  }
  return url;
}

/** The GitLab version in /opt/gitlab/version-manifest.txt (its first line, `gitlab-ce 17.5.1`). */
export function versionOfManifest(text: string): string | undefined {
  return /^gitlab-(?:ce|ee) (\d+\.\d+\.\d+)/.exec(text.trimStart())?.[1];
}

/** The host port docker publishes container port `port` on, if any. */
function publishedPort(info: ContainerInfo, port: number): { ip?: string; port: number } | undefined {
  const b = (
    info.HostConfig.PortBindings as Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null
  )?.[`${port}/tcp`]?.[0];
  if (!b?.HostPort) return undefined;
  return { ...(b.HostIp ? { ip: b.HostIp } : {}), port: Number(b.HostPort) };
}

/** Whether `p` is a folder. */
async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return false;
    throw e;
  }
}

/** The real path of `p`, or `p` resolved when it does not exist here. */
const real = (p: string) => realpath(p).catch(() => resolve(p));

const input = z.strictObject({
  name: instanceName,
  container: containerName.describe('The container the instance runs in (as docker ps names it).'),
  dir: z
    .string()
    .min(1)
    .describe('The instance folder (mapping-volumes/{data,config,log}, bckups/), usually noeud-gitlab-<n>.'),
  ip: z
    .string()
    .regex(IPV4, 'an IPv4 address')
    .nullable()
    .optional()
    .describe(
      'Its address; else (null or absent) the host of its external_url (gitlab.rb, then GITLAB_OMNIBUS_CONFIG).',
    ),
});

/** Adopts an instance made outside gravity. */
export const gitlabAdopt = defineTask({
  id: 'gitlab.adopt',
  title: 'Adopt a GitLab instance',
  description:
    "Checks an instance made outside gravity and records it active, under the inventory lock. Checks (each failure named, all reported): the container exists (its state is reported) and mounts the folder's volumes, the folder holds mapping-volumes/{data,config,log}, bckups/ holds only backups (folders with data, config and log, or complete gitlab:backup folders with their manifest.json), the name, number (from noeud-gitlab-<n>, else the smallest free one), address and container are not in the inventory, and the GitLab version is known (the image tag <version>-ce.<n>, else /opt/gitlab/version-manifest.txt read with docker exec cat). The address is --param ip or the host of the last uncommented external_url of gitlab.rb (else GITLAB_OMNIBUS_CONFIG's); the network mode is docker's (host or publish). Writes nothing but the record. Rollback removes the record it added.",
  input,
  output: z.object({
    record: instanceRecord.describe('The record added.'),
    containerStatus: z.string().describe('The container status when it was adopted (running, exited...).'),
    backups: z.array(z.string()).describe('The backups found under bckups/.'),
  }),
  idempotent: true,
  plan: (i) => [`adopt container ${i.container} (folder ${i.dir}) as GitLab instance ${i.name}`],
  async run(ctx) {
    const i = ctx.input;
    const store = storeOf(ctx);
    const dir = resolve(ctx.root, i.dir);
    const failed: string[] = [];

    // the container
    const info = await inspectContainer(ctx, i.container);
    const state = stateOf(i.container, info);
    if (!info) failed.push(`container ${i.container} does not exist (docker inspect)`);

    // the folder and its volumes
    const l = layoutOf(dir);
    if (!(await isDir(dir))) failed.push(`folder ${dir} does not exist`);
    else
      for (const v of VOLUMES)
        if (!(await isDir(join(l.volumes, v.folder)))) failed.push(`folder ${dir} lacks mapping-volumes/${v.folder}`);
    if (info)
      for (const v of VOLUMES) {
        const mount = info.Mounts?.find((m) => m.Destination === v.target);
        const want = join(l.volumes, v.folder);
        if (!mount) failed.push(`container ${i.container} mounts nothing on ${v.target} (expected ${want})`);
        else if ((await real(mount.Source)) !== (await real(want)))
          failed.push(`container ${i.container} mounts ${mount.Source} on ${v.target}, not ${want}`);
      }

    // the backups: every entry of bckups/ a folder with data, config and log
    const backups: string[] = [];
    const entries = await readdir(l.backups).catch((e) => {
      if (errnoCode(e) === 'ENOENT') return [] as string[];
      throw e;
    });
    for (const e of entries.sort()) {
      const parts = await Promise.all(['data', 'config', 'log'].map((p) => isDir(join(l.backups, e, p))));
      // the original tool's backups (data, config, log), or gravity's own (a complete manifest.json: gitlab:backup)
      if (parts.every(Boolean) || readManifest(join(l.backups, e), e)) backups.push(e);
      else
        failed.push(
          (await isDir(join(l.backups, e)))
            ? `bckups/${e} is not a backup (it lacks ${['data', 'config', 'log'].filter((_, k) => !parts[k]).join(', ')})`
            : `bckups/${e} is not a backup (not a folder)`,
        );
    }

    // its GitLab version: the image tag, else the version manifest in the container
    const image = info?.Config.Image ?? '';
    let version = info ? versionOfImage(image) : undefined;
    if (info && !version) {
      if (!info.State.Running)
        failed.push(
          `the GitLab version is unknown: image ${image} names none (<name>:<version>-ce.<n>) and container ${i.container} is ${info.State.Status}, so /opt/gitlab/version-manifest.txt cannot be read`,
        );
      else {
        const r = await docker(
          ctx,
          ['container', 'exec', '--', i.container, 'cat', '/opt/gitlab/version-manifest.txt'],
          {
            allowFailure: true,
          },
        );
        version = r.exitCode === 0 ? versionOfManifest(r.stdout) : undefined;
        if (!version)
          failed.push(
            `the GitLab version is unknown: image ${image} names none and /opt/gitlab/version-manifest.txt in ${i.container} ${r.exitCode === 0 ? 'names none' : `cannot be read (${r.stderr.trim().split('\n').pop()})`}`,
          );
      }
    }

    // its URL and address: gitlab.rb's external_url (it wins), else GITLAB_OMNIBUS_CONFIG's
    const rb = await readFile(join(l.config, 'gitlab.rb'), 'utf8').catch(() => '');
    const env = ((info?.Config as { Env?: string[] } | undefined)?.Env ?? [])
      .filter((e) => e.startsWith('GITLAB_OMNIBUS_CONFIG='))
      .map((e) => e.slice('GITLAB_OMNIBUS_CONFIG='.length).replace(/;/g, '\n'))
      .join('\n');
    const externalUrl = externalUrlOf(rb) ?? externalUrlOf(env);
    let urlHost: string | undefined;
    let urlPort: number | undefined;
    let scheme = 'http';
    if (externalUrl) {
      try {
        const u = new URL(externalUrl);
        urlHost = u.hostname;
        scheme = u.protocol.replace(/:$/, '');
        urlPort = u.port ? Number(u.port) : undefined;
      } catch {
        failed.push(`external_url '${externalUrl}' is not a URL`);
      }
    }
    const network: Instance['network'] = info?.HostConfig.NetworkMode === 'host' ? 'host' : 'publish';
    let ip = i.ip ?? undefined;
    if (!ip) {
      if (urlHost && IPV4.test(urlHost)) ip = urlHost;
      else if (info && network === 'publish' && publishedPort(info, 80)?.ip) ip = publishedPort(info, 80)!.ip;
      else if (info)
        failed.push(
          externalUrl
            ? `external_url '${externalUrl}' names no IPv4 address: give --param ip=`
            : `no external_url in ${join(l.config, 'gitlab.rb')} nor in GITLAB_OMNIBUS_CONFIG: give --param ip=`,
        );
    }
    const ports =
      network === 'host'
        ? { http: urlPort ?? (scheme === 'https' ? 443 : 80), https: 443, ssh: 22 }
        : {
            http: (info && publishedPort(info, 80)?.port) ?? 80,
            https: (info && publishedPort(info, 443)?.port) ?? 443,
            ssh: (info && publishedPort(info, 22)?.port) ?? 22,
          };
    const url = externalUrl ?? `http://${ip}`;
    const folderNumber = /^noeud-gitlab-(\d+)$/.exec(basename(dir))?.[1];

    return withInventory(store, async () => {
      const all = await listInstances(store);
      const same = all.find((x) => x.name === i.name);
      if (same && same.run === ctx.runId && same.container === i.container)
        return { record: same, containerStatus: state.status ?? 'missing', backups };
      const problems = [...failed];
      if (same)
        problems.unshift(
          same.state === 'decommissioned'
            ? `name ${i.name} is kept by a decommissioned instance until gitlab:decommission --param instance=${i.name} --param purge=true`
            : `name ${i.name} is used by an instance already (${same.state}, ${same.url})`,
        );
      const live = all.filter((x) => x.state !== 'decommissioned');
      const ipHolder = ip ? live.find((x) => x.ip === ip) : undefined;
      if (ipHolder) problems.push(`address ${ip} is used by instance ${ipHolder.name}`);
      const cHolder = live.find((x) => x.container === i.container);
      if (cHolder) problems.push(`container ${i.container} is instance ${cHolder.name}'s already`);
      const dHolder = live.find((x) => resolve(x.dir) === dir);
      if (dHolder) problems.push(`folder ${dir} is instance ${dHolder.name}'s already`);
      const numbers = new Set(all.map((x) => x.number));
      let number = folderNumber ? Number(folderNumber) : 1;
      if (folderNumber) {
        const nHolder = all.find((x) => x.number === number);
        if (nHolder) problems.push(`number ${number} (from ${basename(dir)}) is instance ${nHolder.name}'s already`);
      } else while (numbers.has(number)) number++;
      if (problems.length)
        throw new TaskError(
          `cannot adopt ${i.name}: ${problems.length} check${problems.length === 1 ? '' : 's'} failed: ${problems.join('; ')}`,
          { name: i.name, failed: problems, containerStatus: state.status ?? 'missing' },
        );
      const now = new Date().toISOString();
      const record = await putInstance(store, {
        name: i.name,
        number,
        container: i.container,
        ip: ip!,
        network,
        ports,
        dir,
        image,
        version: version!,
        url,
        state: 'active',
        createdAt: now,
        updatedAt: now,
        run: ctx.runId,
      });
      ctx.log.info(
        `adopted ${i.container} (${state.status}${state.health ? `, ${state.health}` : ''}) as instance ${i.name}: number ${number}, ${url}, GitLab ${version}, ${backups.length} backup${backups.length === 1 ? '' : 's'}`,
      );
      return { record, containerStatus: state.status!, backups };
    });
  },
  async compensate(ctx) {
    const store = storeOf(ctx);
    await withInventory(store, async () => {
      const rec = await getInstance(store, ctx.output.record.name);
      if (rec && rec.run === ctx.output.record.run && rec.createdAt === ctx.output.record.createdAt)
        await store.delete(instanceKey(rec.name));
    });
  },
});
