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
  files: fileMap.optional(),
  hooks: z.record(z.string(), z.string()).optional(),
  branches: z.record(z.string(), fileMap).optional(),
});

/** One actor: a git identity and the remotes it clones (default: every remote). */
export const actorSpec = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  email: z.string().min(3).max(200).optional(),
  clones: z.array(z.string()).min(1).optional(),
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
    /** A label for the galaxy; only its safe characters reach the temp folder's name. */
    name: z.string().max(200).optional(),
    transport: z.enum(TRANSPORTS).default('file'),
    defaultBranch: z.string().min(1).max(200).default('main'),
    remotes: z
      .record(z.string(), remoteSpec)
      .refine((r) => Object.keys(r).length > 0, 'a galaxy needs at least one remote'),
    actors: z.record(z.string(), actorSpec).default({}),
    /** Leave the folder on disk when the build fails (servers are stopped anyway). */
    keep: z.boolean().default(false),
  })
  .superRefine((i, ctx) => checkNames(i, (path, message) => ctx.addIssue({ code: 'custom', path, message })));
export type GalaxyBuildInput = z.output<typeof galaxyBuildInput>;

/** A server a galaxy started: what galaxy.stop needs to kill it. */
export const serverInfo = z.strictObject({
  kind: z.enum(['daemon', 'http']),
  pid: z.number().int().positive(),
  address: z.string(),
  port: z.number().int().positive(),
});
export type ServerInfo = z.output<typeof serverInfo>;

/** Output of `galaxy.build`. */
export const galaxyBuildOutput = z.object({
  root: z.string(),
  transport: z.enum(TRANSPORTS),
  defaultBranch: z.string(),
  remotes: z.record(z.string(), z.strictObject({ dir: z.string(), url: z.string() })),
  actors: z.record(
    z.string(),
    z.strictObject({ name: z.string(), email: z.string(), dir: z.string(), repos: z.record(z.string(), z.string()) }),
  ),
  servers: z.array(serverInfo),
});
export type GalaxyBuildOutput = z.output<typeof galaxyBuildOutput>;

/** Input of `galaxy.stop`; `servers` and `root` may be null when the build never finished (teardown after a failure). */
export const galaxyStopInput = z.strictObject({
  servers: z
    .array(serverInfo)
    .nullish()
    .transform((s) => s ?? []),
  root: z.string().nullish(),
  keep: z.boolean().nullish(),
});

/** Output of `galaxy.stop`: how many servers were running and got stopped, and the folder left on disk if kept. */
export const galaxyStopOutput = z.object({
  stopped: z.number().int(),
  kept: z.string().optional(),
});
