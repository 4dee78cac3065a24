// Input and output shapes of galaxy.build and galaxy.stop, with the name and path checks that keep a galaxy inside its folder.
import { z } from 'zod';

/** Names that become folder or file names (remotes, actors): letters, digits, `.`, `_`, `-`, not `.` or `..`. */
export const NAME = /^[A-Za-z0-9._-]+$/;

/** Hooks a galaxy may install in a bare remote (server-side hooks only). */
export const SERVER_HOOKS = [
  'pre-receive',
  'update',
  'post-receive',
  'post-update',
  'reference-transaction',
  'proc-receive',
  'push-to-checkout',
] as const;

/** The ways actors reach the remotes. */
export const TRANSPORTS = ['file', 'daemon', 'http'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Why `name` is not a usable remote/actor name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (!NAME.test(name)) return 'use only letters, digits, ".", "_" and "-"';
  if (name === '.' || name === '..') return 'it is "." or ".."';
  return undefined;
}

/** Why `path` is not a usable file path inside a repo (relative, no `..`, not in `.git`), or undefined when it is. */
export function filePathProblem(path: string): string | undefined {
  if (path === '' || path.includes('\0') || path.includes('\\')) return 'it is empty or holds a NUL or a backslash';
  if (path.startsWith('/')) return 'it is absolute; use a path relative to the repo';
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'it has an empty, "." or ".." segment';
  if (parts.some((p) => p.toLowerCase() === '.git')) return 'it points into .git';
  return undefined;
}

/** Why `branch` is not a plain branch name (segments of NAME characters, no `..`, no `.lock`), or undefined. */
export function branchProblem(branch: string): string | undefined {
  const parts = branch.split('/');
  if (
    parts.some((p) => !NAME.test(p) || p.startsWith('.') || p.startsWith('-') || p.endsWith('.lock')) ||
    branch.includes('..')
  ) {
    return 'use "/"-separated segments of letters, digits, ".", "_" and "-" (no "..", no leading "." or "-", no ".lock")';
  }
  return undefined;
}

const fileMap = z.record(z.string(), z.string());

/** One bare remote: initial files on the default branch, server hooks, extra branches (files on top of the default branch). */
export const remoteSpec = z.strictObject({
  files: fileMap.optional().describe('Files of the first commit on the default branch, by path.'),
  hooks: z
    .record(z.string(), z.string())
    .optional()
    .describe('Server hooks to install (pre-receive, update, post-receive...), by name: their scripts.'),
  branches: z
    .record(z.string(), fileMap)
    .optional()
    .describe('Extra branches, by name: files committed on top of the default branch.'),
});

/** One actor: a git identity and the remotes it clones (default: every remote). */
export const actorSpec = z.strictObject({
  name: z.string().min(1).max(200).optional().describe("The actor's user.name (default: the actor's key)."),
  email: z.string().min(3).max(200).optional().describe("The actor's user.email (default: <actor>@galaxy.invalid)."),
  clones: z.array(z.string()).min(1).optional().describe('The remotes the actor clones (default: every remote).'),
});

type Issue = (path: PropertyKey[], message: string) => void;

// Reports every bad remote, actor, hook, branch and file name with the parameter path that holds it.
function checkNames(
  i: {
    defaultBranch: string;
    remotes: Record<string, z.output<typeof remoteSpec>>;
    actors: Record<string, z.output<typeof actorSpec>>;
  },
  issue: Issue,
): void {
  const bad = branchProblem(i.defaultBranch);
  if (bad) issue(['defaultBranch'], `default branch "${i.defaultBranch}" is not allowed: ${bad}`);
  for (const [r, spec] of Object.entries(i.remotes)) {
    const why = nameProblem(r);
    if (why) issue(['remotes', r], `remote name "${r}" is not allowed: ${why}`);
    for (const f of Object.keys(spec.files ?? {})) {
      const p = filePathProblem(f);
      if (p) issue(['remotes', r, 'files', f], `file path "${f}" of remote "${r}" is not allowed: ${p}`);
    }
    for (const h of Object.keys(spec.hooks ?? {})) {
      if (!(SERVER_HOOKS as readonly string[]).includes(h))
        issue(
          ['remotes', r, 'hooks', h],
          `hook "${h}" of remote "${r}" is not a server hook (one of ${SERVER_HOOKS.join(', ')})`,
        );
    }
    for (const [b, files] of Object.entries(spec.branches ?? {})) {
      const pb = branchProblem(b);
      if (pb) issue(['remotes', r, 'branches', b], `branch "${b}" of remote "${r}" is not allowed: ${pb}`);
      for (const f of Object.keys(files)) {
        const p = filePathProblem(f);
        if (p)
          issue(
            ['remotes', r, 'branches', b, f],
            `file path "${f}" of branch "${b}" of remote "${r}" is not allowed: ${p}`,
          );
      }
    }
  }
  for (const [a, spec] of Object.entries(i.actors)) {
    const why = nameProblem(a);
    if (why) issue(['actors', a], `actor name "${a}" is not allowed: ${why}`);
    (spec.clones ?? []).forEach((c, n) => {
      const pc = nameProblem(c);
      if (pc)
        issue(['actors', a, 'clones', n], `remote name "${c}" in the clones of actor "${a}" is not allowed: ${pc}`);
      else if (!(c in i.remotes))
        issue(
          ['actors', a, 'clones', n],
          `actor "${a}" clones unknown remote "${c}" (remotes: ${Object.keys(i.remotes).join(', ') || 'none'})`,
        );
    });
  }
}

/** Input of `galaxy.build`. */
export const galaxyBuildInput = z
  .strictObject({
    name: z
      .string()
      .max(200)
      .optional()
      .describe("A label for the galaxy; only its safe characters reach the temp folder's name."),
    transport: z
      .enum(TRANSPORTS)
      .default('file')
      .describe('How actors reach the remotes: file://, git daemon or smart HTTP (on a 127.0.0.x address).'),
    defaultBranch: z.string().min(1).max(200).default('main').describe('The default branch of every remote.'),
    remotes: z
      .record(z.string(), remoteSpec)
      .refine((r) => Object.keys(r).length > 0, 'a galaxy needs at least one remote')
      .describe('The bare remotes, by name (at least one).'),
    actors: z
      .record(z.string(), actorSpec)
      .default({})
      .describe('The actors, by name: each gets a clone of its remotes.'),
    keep: z
      .boolean()
      .default(false)
      .describe('Leave the folder on disk when the build fails (servers are stopped anyway).'),
  })
  .superRefine((i, ctx) => checkNames(i, (path, message) => ctx.addIssue({ code: 'custom', path, message })));
export type GalaxyBuildInput = z.output<typeof galaxyBuildInput>;

/** A server a galaxy started: what galaxy.stop needs to kill it. */
export const serverInfo = z.strictObject({
  kind: z.enum(['daemon', 'http']).describe('git daemon or the smart HTTP server.'),
  pid: z.number().int().positive().describe('Its process id (the leader of its process group).'),
  address: z.string().describe('The 127.0.0.x address it listens on.'),
  port: z.number().int().positive().describe('The port it listens on.'),
});
export type ServerInfo = z.output<typeof serverInfo>;

/** Output of `galaxy.build`. */
export const galaxyBuildOutput = z.object({
  root: z.string().describe("The galaxy's temp folder."),
  transport: z.enum(TRANSPORTS).describe('The transport the actors use.'),
  defaultBranch: z.string().describe('The default branch of the remotes.'),
  remotes: z
    .record(
      z.string(),
      z.strictObject({
        dir: z.string().describe("The bare repository's folder."),
        url: z.string().describe('The URL actors clone it from.'),
      }),
    )
    .describe('The remotes, by name.'),
  actors: z
    .record(
      z.string(),
      z.strictObject({
        name: z.string().describe("The actor's user.name."),
        email: z.string().describe("The actor's user.email."),
        dir: z.string().describe("The folder holding the actor's clones."),
        repos: z.record(z.string(), z.string()).describe("The actor's clones, by remote name: their folders."),
      }),
    )
    .describe('The actors, by name.'),
  servers: z.array(serverInfo).describe('The servers started for the transport (none for file).'),
});
export type GalaxyBuildOutput = z.output<typeof galaxyBuildOutput>;

/** Input of `galaxy.stop`; `servers` and `root` may be null when the build never finished (teardown after a failure). */
export const galaxyStopInput = z.strictObject({
  servers: z
    .array(serverInfo)
    .nullish()
    .transform((s) => s ?? [])
    .describe("The servers to stop (galaxy.build's `servers`); null when the build never finished."),
  root: z
    .string()
    .nullish()
    .describe(
      "The galaxy's folder, removed unless `keep` (only when it holds the galaxy marker); null when the build never finished.",
    ),
  keep: z.boolean().nullish().describe('Leave the folder on disk.'),
});

/** Output of `galaxy.stop`: how many servers were running and got stopped, and the folder left on disk if kept. */
export const galaxyStopOutput = z.object({
  stopped: z.number().int().describe('How many servers were running and got stopped.'),
  kept: z.string().optional().describe('The folder left on disk, when kept.'),
});
