// Inventories over HTTP, from the code of the CLI's tables: the platforms (platform.json of each folder under
// <home>/platforms/), a platform's environments (platform.status's rows: `gravity run platform:status`) and the GitLab
// instances (gitlab.list's rows: `gravity run gitlab:list`). The slow parts are bounded: the machines' states (vagrant
// status, seconds per environment) only on `?machines=true` and kept 15 s; Docker's answers for the GitLab list kept 5 s,
// and a Docker that cannot answer leaves the inventory's rows with their container `unknown` (never a failure).
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { exec, GravityError, type TaskContext } from '../engine/index.js';
import { DNS_LABEL } from '../tasks/env/model.js';
import { instanceRow, listRows, type GitlabRow } from '../tasks/gitlab/list.js';
import { listInstances, type Instance } from '../tasks/gitlab/inventory.js';
import { environmentsOf } from '../tasks/platform/environment.js';
import { statusRows, vagrantStates, type StatesReader } from '../tasks/platform/status.js';
import { readPlatform } from '../tasks/platform/support.js';
import { errnoCode } from '../tasks/support/files.js';
import { HttpError, type ServerContext } from './context.js';
import type {
  InventoryProject,
  InventoryPlatform,
  PlatformsResponse,
  InventoryMachine,
  InventoryEnvironment,
  EnvironmentsResponse,
  InventoryGitlabInstance,
  GitlabInstancesResponse,
} from './inventory-types.js';

export type {
  InventoryProject,
  InventoryPlatform,
  PlatformsResponse,
  InventoryMachine,
  InventoryEnvironment,
  EnvironmentsResponse,
  InventoryGitlabInstance,
  GitlabInstancesResponse,
};

// ------------------------------------------------------------------------------------------------------------ routes

/** Where the inventories are read; every field has a default. */
export interface InventoryOptions {
  /**
   * The folder holding platforms/ (the `home` param of the platform workflows; `gravity serve --platform-home`).
   * Default: the default of platform:status's `home` param (/srv/gravity).
   */
  platformHome?: string;
  /** The host's Bind and Apache files platform.status checks (default: platform:status's param defaults). */
  include?: string;
  zonesDir?: string;
  sitesDir?: string;
  /** How long vagrant status may take per environment (default 60 s), and how long a state is kept (default 15 s). */
  vagrantTimeoutMs?: number;
  machinesTtlMs?: number;
  /** How long Docker's answer for the GitLab list is kept (default 5 s). */
  dockerTtlMs?: number;
}

/** A platform name, as the platform tasks take it: a DNS label. */
const PLATFORM = { type: 'string', pattern: DNS_LABEL.source, maxLength: 63 } as const;

/** The context the task modules' functions are given: the engine's exec, no cancel, nothing logged. */
function readContext(root: string): Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log' | 'root' | 'rootOrigin'> {
  const quiet = () => undefined;
  return {
    exec,
    signal: new AbortController().signal,
    log: { info: quiet, warn: quiet, error: quiet, stream: quiet },
    root,
    rootOrigin: 'the platform home of gravity serve',
  };
}

/** A value made at most once per `ttlMs` (callers at once share the one being made; a failure is not kept). */
function cached<T>(ttlMs: number) {
  const kept = new Map<string, { at: number; value: Promise<T> }>();
  return (key: string, make: () => Promise<T>): { at: number; value: Promise<T> } => {
    const now = Date.now();
    const k = kept.get(key);
    if (k && now - k.at <= ttlMs) return k;
    const entry = { at: now, value: make() };
    kept.set(key, entry);
    entry.value.catch(() => kept.get(key) === entry && kept.delete(key));
    // (the map never holds more than the keys asked lately: old ones go)
    for (const [key2, e] of kept) if (now - e.at > ttlMs) kept.delete(key2);
    return entry;
  };
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

export async function registerInventoryRoutes(
  fastify: FastifyInstance,
  ctx: ServerContext,
  o: InventoryOptions = {},
): Promise<void> {
  const statusDef = (await ctx.app.catalog()).findWorkflow('platform:status');
  const paramDefault = (name: string, fallback: string) => {
    const d = statusDef?.params?.[name]?.default;
    return typeof d === 'string' ? d : fallback;
  };
  const home = resolve(o.platformHome ?? paramDefault('home', '/srv/gravity'));
  const hostFiles = {
    include: o.include ?? paramDefault('include', '/etc/bind/named.conf.gravity'),
    zonesDir: o.zonesDir ?? paramDefault('zonesDir', '/etc/bind/gravity'),
    sitesDir: o.sitesDir ?? paramDefault('sitesDir', '/etc/apache2/gravity'),
  };
  const task = readContext(home);
  const machinesTtl = o.machinesTtlMs ?? 15_000;
  const dockerTtl = o.dockerTtlMs ?? 5_000;
  const machineStates = cached<Map<string, string>>(machinesTtl);
  const vagrant = vagrantStates(task, o.vagrantTimeoutMs ?? 60_000);
  const dockerRows = cached<GitlabRow[]>(dockerTtl);

  /** The platforms' names: the folders under platforms/ named like one (none when there is no platforms/). */
  const platformNames = async (): Promise<string[]> => {
    try {
      return (await readdir(join(home, 'platforms'), { withFileTypes: true }))
        .filter((e) => e.isDirectory() && DNS_LABEL.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    }
  };

  fastify.get(
    '/api/platforms',
    {
      schema: {
        summary: "The platforms under the server's platform home: domain, address range, projects, environments",
        querystring: { type: 'object', properties: {}, additionalProperties: false },
      },
    },
    async (): Promise<PlatformsResponse> => {
      const platforms: InventoryPlatform[] = [];
      const unreadable: PlatformsResponse['unreadable'] = [];
      for (const name of await platformNames()) {
        try {
          const p = await readPlatform(home, name);
          if (!p) {
            unreadable.push({ name, problem: 'no platform.json' });
            continue;
          }
          platforms.push({
            name: p.name,
            domain: p.domain,
            ipRange: p.ipRange,
            projects: p.projects.map((x) => ({
              name: x.name,
              repo: x.repo,
              ...(x.branch ? { branch: x.branch } : {}),
            })),
            environments: await environmentsOf(join(home, 'platforms', name)),
          });
        } catch (e) {
          if (!(e instanceof GravityError)) throw e;
          unreadable.push({ name, problem: firstLine(e) });
        }
      }
      return { home, platforms, unreadable };
    },
  );

  fastify.get<{ Params: { platform: string }; Querystring: { machines?: boolean } }>(
    '/api/platforms/:platform/environments',
    {
      schema: {
        summary: `A platform's environments as platform:status reports them: homepage and sites' URLs, machines, DNS and Apache; the machines' states (vagrant status, slow) only with machines=true, kept ${machinesTtl / 1000} s`,
        params: {
          type: 'object',
          properties: { platform: PLATFORM },
          required: ['platform'],
          additionalProperties: false,
        },
        querystring: {
          type: 'object',
          properties: {
            machines: {
              type: 'boolean',
              default: false,
              description: `Read the machines' states with vagrant status (seconds per environment; kept ${machinesTtl / 1000} s)`,
            },
          },
          additionalProperties: false,
        },
      },
    },
    async (req): Promise<EnvironmentsResponse> => {
      const platform = req.params.platform;
      if (!(await readPlatform(home, platform).catch(() => true))) {
        const known: string[] = [];
        for (const name of await platformNames())
          if (await readPlatform(home, name).catch(() => undefined)) known.push(name);
        throw new HttpError(
          404,
          'NOT_FOUND',
          `no platform "${platform}" under ${join(home, 'platforms')} (its platforms: ${known.join(', ') || 'none'}; GET /api/platforms lists them)`,
        );
      }
      const asked = req.query.machines === true;
      let oldest: number | undefined;
      const states: StatesReader | null = asked
        ? (dir) => {
            const e = machineStates(dir, () => vagrant(dir));
            oldest = Math.min(oldest ?? e.at, e.at);
            return e.value;
          }
        : null;
      const { platform: p, rows } = await statusRows(task, { home, platform, envs: [], ...hostFiles }, states);
      return {
        platform: p.name,
        domain: p.domain,
        environments: rows.map((r) => ({
          env: r.env,
          url: r.url,
          sites: r.sites,
          machines: r.machines.map((m) => (asked ? m : { name: m.name, ip: m.ip })),
          dns: r.dns,
          apache: r.apache,
          ...(r.problem ? { problem: r.problem } : {}),
        })),
        machines: asked ? { asked, readAt: new Date(oldest ?? Date.now()).toISOString() } : { asked },
      };
    },
  );

  fastify.get<{ Querystring: { docker?: boolean } }>(
    '/api/gitlab/instances',
    {
      schema: {
        summary: `The GitLab instances as gitlab:list reports them: the inventory beside Docker's container status, health and drift (Docker's answer kept ${dockerTtl / 1000} s; docker=false: the inventory only; Docker unreachable: containers unknown)`,
        querystring: {
          type: 'object',
          properties: {
            docker: {
              type: 'boolean',
              default: true,
              description: `Ask Docker for the containers (kept ${dockerTtl / 1000} s)`,
            },
          },
          additionalProperties: false,
        },
      },
    },
    async (req): Promise<GitlabInstancesResponse> => {
      const records = await listInstances(ctx.app.store);
      const byName = new Map(records.map((r) => [r.name, r]));
      const extra = (name: string) => {
        const r = byName.get(name);
        if (!r) return {};
        return { number: r.number, version: r.version, ...(r.lastBackup ? { lastBackupAt: r.lastBackup.at } : {}) };
      };
      const withRecord = (rows: GitlabRow[]): InventoryGitlabInstance[] =>
        rows.map((row) => ({ ...row, ...(row.state === 'unknown' ? {} : extra(row.name)) }));
      const inventoryOnly = (): InventoryGitlabInstance[] => {
        const now = Date.now();
        return withRecord([...records].sort((a, b) => a.number - b.number).map((r) => instanceRow(r, undefined, now)));
      };
      if (req.query.docker === false) return { instances: inventoryOnly(), docker: { asked: false, ok: false } };
      // (the records are part of the key: a record changed meanwhile is never answered with Docker's older reading)
      const key = JSON.stringify(records.map((r: Instance) => [r.name, r.container, r.updatedAt]));
      const e = dockerRows(key, () => listRows(task, records));
      try {
        const rows = await e.value;
        return { instances: withRecord(rows), docker: { asked: true, ok: true, readAt: new Date(e.at).toISOString() } };
      } catch (err) {
        return {
          instances: inventoryOnly(),
          docker: { asked: true, ok: false, problem: firstLine(err), readAt: new Date(e.at).toISOString() },
        };
      }
    },
  );
}
