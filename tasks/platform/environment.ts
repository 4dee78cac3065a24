// platform.get and platform.environment: what env:init knows of a platform (its platform.json), and the one description
// of an environment every later step reads: the model the generators take (machines with their addresses, sites,
// tools), the variables `*-dist` templates are rendered with, and both written to etc/gravity/ (env.json and an env file
// a shell can source).
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { DNS_LABEL, envHost, envModel, siteHost, type EnvModel } from '../env/model.js';
import { errnoCode, writeFileAtomic } from '../support/files.js';
import { envDir, envName, homeOf, homeInput, loadPlatform, platformName } from './support.js';

const home = homeInput;

/** The model in an environment's env.json, checked; undefined when the file is not there. */
async function readModel(file: string): Promise<EnvModel | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  let doc: { model?: unknown };
  try {
    doc = JSON.parse(text) as { model?: unknown };
  } catch (e) {
    throw new TaskError(`${file} is not JSON: ${(e as Error).message} (env:init writes it again)`, { file });
  }
  const r = envModel.safeParse(doc?.model);
  if (!r.success)
    throw new TaskError(
      `${file}: model is not an environment model (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}); env:init writes it again`,
      { file },
    );
  return r.data;
}

/**
 * The environments of a platform folder: its sub-folders named like one (an env:init that failed halfway leaves one
 * without etc/gravity/env.json: it is listed too, for env:destroy to take away), sorted.
 */
export async function environmentsOf(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && DNS_LABEL.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** Reads a platform. */
export const platformGet = defineTask({
  id: 'platform.get',
  title: 'Read a platform',
  description:
    "Reads <home>/platforms/<platform>/platform.json: its domain, address range and projects (a missing or malformed file is an error naming it and the field). With env, also that environment's folder. Changes nothing.",
  input: z.strictObject({
    home,
    platform: platformName,
    env: envName.nullable().optional().describe('An environment: its folder, its clones and its model too.'),
    envs: z
      .string()
      .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, 'environments separated by commas (e.g. 1161,1170)')
      .nullable()
      .optional()
      .describe('Environments, comma-separated: each must exist; they are `selected` (absent: every environment).'),
  }),
  output: z.object({
    name: z.string().describe('The platform.'),
    domain: z.string().describe('Its domain.'),
    ipRange: z.string().describe('Its address range.'),
    dir: z.string().describe('Its folder.'),
    envDir: z.string().optional().describe("The environment's folder (with env)."),
    projects: z
      .array(
        z.object({
          name: z.string().describe('The project.'),
          repo: z.string().describe('Its repository.'),
          branch: z.string().optional().describe('Its branch.'),
          dir: z.string().optional().describe("Its clone in the environment's srv/ (with env)."),
        }),
      )
      .describe('Its projects.'),
    environments: z.array(z.string()).describe("The platform's environments (its sub-folders), sorted."),
    selected: z.array(z.string()).describe('The environments `envs` names, in its order; absent: every environment.'),
    model: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe(
        "The environment's model, as env:init wrote it in etc/gravity/env.json (null: no env given, or not written).",
      ),
  }),
  idempotent: true,
  plan: (i) => [`read ${join(i.home, 'platforms', i.platform, 'platform.json')}`],
  async run(ctx) {
    const h = homeOf(ctx.root, ctx.input.home);
    const p = await loadPlatform(h, ctx.input.platform);
    const env = ctx.input.env ?? undefined;
    const ed = env ? envDir(h, p.name, env) : undefined;
    const model = ed ? await readModel(join(ed, 'etc', 'gravity', 'env.json')) : undefined;
    const environments = await environmentsOf(join(h, 'platforms', p.name));
    const named = ctx.input.envs ? [...new Set(ctx.input.envs.split(','))] : undefined;
    for (const e of named ?? [])
      if (!envName.safeParse(e).success || !environments.includes(e))
        throw new TaskError(
          `platform ${p.name} has no environment ${e} (its environments: ${environments.join(', ') || 'none'})`,
          { platform: p.name, env: e },
        );
    return {
      name: p.name,
      domain: p.domain,
      ipRange: p.ipRange,
      dir: join(h, 'platforms', p.name),
      ...(ed ? { envDir: ed } : {}),
      environments,
      selected: named ?? environments,
      model: model ?? null,
      projects: p.projects.map((x) => ({ ...x, ...(ed ? { dir: join(ed, 'srv', x.name) } : {}) })),
    };
  },
});

const activeItem = z.strictObject({
  name: z.string().describe('The site or service.'),
  kind: z.enum(['site', 'service']).describe('site or service.'),
  project: z.string().optional().describe('The project declaring it.'),
  depends: z.array(z.string()).optional().describe('What it depends on directly.'),
  port: z.number().int().optional().describe('Its port.'),
  title: z.string().optional().describe('Its title.'),
});

/** A variable name from a machine name: `api-v2` -> `API_V2`. */
const varName = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** The environment's variables (for templates and the env file): flat names, string values. */
export function variablesOf(m: EnvModel, dir: string): Record<string, string> {
  const v: Record<string, string> = {
    PLATFORM: m.platform,
    ENV: m.env,
    DOMAIN: m.domain,
    ENV_HOST: envHost(m),
    ENV_URL: `http://${envHost(m)}/`,
    ENV_DIR: dir,
    SITES: m.sites.map((s) => s.name).join(','),
    MACHINES: m.machines.map((x) => x.name).join(','),
  };
  for (const x of m.machines) {
    const site = m.sites.find((s) => s.name === x.name);
    v[`${varName(x.name)}_IP`] = x.ip;
    v[`${varName(x.name)}_HOST`] = site ? siteHost(m, site.name) : `${x.name}.${envHost(m)}`;
    if (site) {
      v[`${varName(x.name)}_PORT`] = String(site.port);
      v[`${varName(x.name)}_URL`] = `http://${siteHost(m, site.name)}/`;
    }
  }
  return v;
}

/** The provisioning script of an environment whose projects bring none: it says what the machine is. */
const DEFAULT_PROVISION = `#!/bin/sh
# written by gravity: no project of this platform brings Salt states or a provisioning script
set -eu
echo "machine \${GRAVITY_MACHINE:-?} (\${GRAVITY_KIND:-?}) of environment \${GRAVITY_ENV:-?}, platform \${GRAVITY_PLATFORM:-?}, at \${GRAVITY_IP:-?}"
`;

/** A shell-sourceable line: `NAME='value'`, the value single-quoted. */
const envLine = (k: string, v: string) => `${k}='${v.replace(/'/g, `'\\''`)}'`;

/** Describes an environment and writes it to etc/gravity/. */
export const platformEnvironment = defineTask({
  id: 'platform.environment',
  title: 'Describe an environment',
  description:
    "Builds the environment's model (one machine per active site or service, with the address allocated to it; the sites with their ports; the tools) and its variables (PLATFORM, ENV, DOMAIN, ENV_HOST, ENV_URL, ENV_DIR, SITES, MACHINES, and <NAME>_IP, <NAME>_HOST, <NAME>_PORT, <NAME>_URL per machine), and writes them to etc/gravity/env.json and etc/gravity/env (NAME='value' lines) in the environment's folder, each atomically.",
  input: z.strictObject({
    home,
    platform: platformName,
    env: envName,
    active: z.array(activeItem).describe("The active sites and services (platform.activate's active)."),
    addresses: z.record(z.string(), z.string()).describe("machine -> address (platform.allocate's addresses)."),
    tools: z
      .array(
        z.strictObject({
          name: z.string().describe('The tool.'),
          machine: z.string().describe('Its machine.'),
          port: z.number().int().describe('Its port.'),
          path: z.string().describe('Its path.'),
        }),
      )
      .default([])
      .describe("The tools (platform.activate's tools)."),
    provisioning: z
      .record(
        z.string(),
        z.strictObject({
          salt: z.string().optional().describe('Its Salt states folder.'),
          shell: z.string().optional().describe('Its shell script.'),
        }),
      )
      .default({})
      .describe("project -> its provisioning (platform.activate's provisioning)."),
  }),
  output: z.object({
    model: z.record(z.string(), z.unknown()).describe('The model the generators take (tasks/env/model.ts).'),
    variables: z.record(z.string(), z.string()).describe('The variables.'),
    dir: z.string().describe("The environment's folder."),
    json: z.string().describe('etc/gravity/env.json.'),
    envFile: z.string().describe('etc/gravity/env.'),
    provisioner: z
      .object({
        salt: z
          .object({ states: z.string().describe('The states folder.') })
          .optional()
          .describe('Masterless Salt.'),
        shell: z
          .object({ script: z.string().describe('The script.') })
          .optional()
          .describe('A shell script.'),
      })
      .describe(
        "How the machines are provisioned, paths from the environment's folder (where the Vagrantfile is): the first project's Salt states, else the first project's shell script, else etc/gravity/provision.sh (written here: it prints the machine's variables).",
      ),
  }),
  idempotent: true,
  plan: (i) => [
    `write ${join(i.home, 'platforms', i.platform, i.env, 'etc/gravity/env.json')} and etc/gravity/env: ${i.active.length} machines`,
  ],
  async run(ctx) {
    const i = ctx.input;
    const h = homeOf(ctx.root, i.home);
    const p = await loadPlatform(h, i.platform);
    const dir = envDir(h, i.platform, i.env);
    const model = envModel.parse({
      platform: i.platform,
      env: i.env,
      domain: p.domain,
      machines: i.active.map((a) => ({ name: a.name, kind: a.kind, ip: i.addresses[a.name] })),
      sites: i.active
        .filter((a) => a.kind === 'site')
        .map((a) => ({ name: a.name, machine: a.name, port: a.port ?? 80, ...(a.title ? { title: a.title } : {}) })),
      tools: i.tools,
    });
    const variables = variablesOf(model, dir);
    const etc = join(dir, 'etc', 'gravity');
    await mkdir(etc, { recursive: true });
    const json = join(etc, 'env.json');
    const envFile = join(etc, 'env');
    await writeFileAtomic(json, `${JSON.stringify({ model, variables }, null, 2)}\n`);
    await writeFileAtomic(
      envFile,
      `# environment ${i.env} of platform ${i.platform}, written by gravity\n${Object.entries(variables)
        .map(([k, v]) => envLine(k, v))
        .join('\n')}\n`,
    );
    const salt = Object.entries(i.provisioning).find(([, v]) => v.salt);
    const shell = Object.entries(i.provisioning).find(([, v]) => v.shell);
    let provisioner: { salt?: { states: string }; shell?: { script: string } };
    if (salt) provisioner = { salt: { states: join('srv', salt[0], salt[1].salt!) } };
    else if (shell) provisioner = { shell: { script: join('srv', shell[0], shell[1].shell!) } };
    else {
      await writeFileAtomic(join(etc, 'provision.sh'), DEFAULT_PROVISION, 0o755);
      provisioner = { shell: { script: 'etc/gravity/provision.sh' } };
    }
    ctx.log.info(`${Object.keys(variables).length} variables in ${envFile}`);
    return { model, variables, dir, json, envFile, provisioner };
  },
});
