// platform.status: a platform's environments as a table — each one's sites with their URLs, its machines' states (vagrant
// status --machine-readable in the environment's folder), its homepage, and whether the host's Bind (its stanza in the
// zone include file and its zone file) and Apache (its virtual hosts file) serve it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, type TaskContext } from '../../engine/index.js';
import { envHost, envModel, siteHost } from '../env/model.js';
import { errnoCode } from '../support/files.js';
import { table } from '../support/format.js';
import { readStatus, vagrantTarget } from '../vagrant/support.js';
import { environmentsOf } from './environment.js';
import { envName, homeInput, homeOf, loadPlatform, platformName, type Platform } from './support.js';

const row = z.object({
  env: z.string().describe('The environment.'),
  url: z.string().describe('Its homepage.'),
  sites: z
    .array(z.object({ name: z.string().describe('The site.'), url: z.string().describe('Its URL.') }))
    .describe('Its sites.'),
  machines: z
    .array(
      z.object({
        name: z.string().describe('The machine.'),
        ip: z.string().describe('Its address.'),
        state: z.string().describe('Its state (vagrant status), or unknown.'),
      }),
    )
    .describe('Its machines.'),
  dns: z.boolean().describe("Whether the host's Bind serves its zone (stanza and zone file there)."),
  apache: z.boolean().describe("Whether the host's Apache has its virtual hosts file."),
  problem: z.string().optional().describe('What could not be read.'),
});
type Row = z.infer<typeof row>;

/** The rows as a table: one line per environment. */
export function formatStatus(platform: string, rows: Row[]): string {
  if (!rows.length)
    return `platform ${platform} has no environment (gravity run env:init --param platform=${platform} --param env=<ticket> makes one)`;
  return table([
    ['ENV', 'URL', 'SITES', 'MACHINES', 'DNS', 'APACHE'],
    ...rows.map((r) => [
      r.env,
      r.url,
      r.sites.map((s) => s.name).join(',') || '-',
      r.problem ?? (r.machines.map((m) => `${m.name}:${m.state}`).join(' ') || '-'),
      r.dns ? 'bound' : '-',
      r.apache ? 'bound' : '-',
    ]),
  ]);
}

const readOr = async (p: string): Promise<string | undefined> => {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
};

/** `text` as JSON, or undefined when it is not JSON (an env.json cut halfway is a row's problem, not a failure). */
function jsonOr<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Where platform.status reads: the platform, its environments (none: every one) and the host's Bind and Apache files. */
export interface StatusQuery {
  home: string;
  platform: string;
  envs: string[];
  include: string;
  zonesDir: string;
  sitesDir: string;
}

/** The machines' states of the environment in `dir` (its Vagrantfile's folder): machine -> vagrant's state id. */
export type StatesReader = (dir: string) => Promise<Map<string, string>>;

/** The states as platform.status reads them: `vagrant status --machine-readable` in the folder. */
export const vagrantStates =
  (ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log' | 'root' | 'rootOrigin'>, timeoutMs = 120_000) =>
  async (dir: string): Promise<Map<string, string>> => {
    const t = await vagrantTarget(ctx, 'platform.status', dir, timeoutMs);
    return new Map((await readStatus(ctx, t)).map((r) => [r.name, r.state]));
  };

/**
 * The rows of platform.status (also what gravity serve answers): each environment's homepage, sites' URLs, machines
 * with their states (`states`, when its folder has a Vagrantfile: a failure is the row's problem; null: not asked, each
 * state is `unknown`), and whether the host's Bind and Apache serve it. Read only.
 */
export async function statusRows(
  ctx: Pick<TaskContext<unknown>, 'exec' | 'signal' | 'log' | 'root' | 'rootOrigin'>,
  i: StatusQuery,
  states: StatesReader | null = vagrantStates(ctx),
): Promise<{ platform: Platform; rows: Row[] }> {
  const h = homeOf(ctx.root, i.home);
  const p = await loadPlatform(h, i.platform);
  const pdir = join(h, 'platforms', p.name);
  const envs = i.envs.length ? i.envs : await environmentsOf(pdir);
  const include = (await readOr(homeOf(ctx.root, i.include))) ?? '';
  const rows: Row[] = [];
  for (const env of envs) {
    const dir = join(pdir, env);
    const names = { env, platform: p.name, domain: p.domain };
    const base = {
      env,
      url: `http://${envHost(names)}/`,
      dns:
        include.includes(`// BEGIN gravity zone ${envHost(names)}\n`) &&
        (await readOr(join(homeOf(ctx.root, i.zonesDir), `${envHost(names)}.zone`))) !== undefined,
      apache: (await readOr(join(homeOf(ctx.root, i.sitesDir), `${p.name}-${env}.conf`))) !== undefined,
    };
    const text = await readOr(join(dir, 'etc', 'gravity', 'env.json'));
    const parsed = text ? envModel.safeParse(jsonOr<{ model?: unknown }>(text)?.model) : undefined;
    if (!parsed?.success) {
      rows.push({
        ...base,
        sites: [],
        machines: [],
        problem: text ? 'etc/gravity/env.json unreadable' : 'not initialised (no etc/gravity/env.json)',
      });
      continue;
    }
    const m = parsed.data;
    let known = new Map<string, string>();
    let problem: string | undefined;
    if (states && (await readOr(join(dir, 'Vagrantfile'))) !== undefined)
      try {
        known = await states(dir);
      } catch (e) {
        problem = `vagrant status: ${(e as Error).message.split('\n')[0]}`;
      }
    rows.push({
      ...base,
      sites: m.sites.map((s) => ({ name: s.name, url: `http://${siteHost(m, s.name)}/` })),
      machines: m.machines.map((x) => ({ name: x.name, ip: x.ip, state: known.get(x.name) ?? 'unknown' })),
      ...(problem ? { problem } : {}),
    });
  }
  return { platform: p, rows };
}

/** Reports a platform's environments. */
export const platformStatus = defineTask({
  id: 'platform.status',
  title: "Report a platform's environments",
  description:
    "For each environment of the platform (or those given): its homepage and sites' URLs, its machines with their address and state (vagrant status --machine-readable; unknown when there is no Vagrantfile or vagrant fails), and whether the host's Bind (its stanza in the include file and its zone file in zonesDir) and Apache (<platform>-<env>.conf in sitesDir) serve it. Outputs the rows and the table. Read only.",
  input: z.strictObject({
    home: homeInput,
    platform: platformName,
    envs: z.array(envName).max(256).default([]).describe('The environments (none: every one of the platform).'),
    include: z.string().min(1).describe('The zone include file of the host (host:bind-proxy writes it).'),
    zonesDir: z.string().min(1).describe('The folder of the zone files.'),
    sitesDir: z.string().min(1).describe('The folder of the virtual hosts files.'),
  }),
  output: z.object({
    rows: z.array(row).describe('One row per environment.'),
    report: z.string().describe('The rows as a table.'),
  }),
  idempotent: true,
  plan: (i) => [
    `report ${i.envs.length ? i.envs.join(', ') : 'every environment'} of ${i.platform}: sites, machines (vagrant status), DNS and Apache`,
  ],
  async run(ctx) {
    const { platform, rows } = await statusRows(ctx, ctx.input);
    return { rows, report: formatStatus(platform.name, rows) };
  },
});
