// docker.exec: runs a command in a running container (argument array), failing on a non-zero exit.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { formatCommand } from '../support/format.js';
import { containerName, docker, dockerCommand, dockerFailure } from './support.js';

const input = z
  .strictObject({
    name: containerName,
    command: z.array(z.string()).min(1).describe('The command and its arguments (never a shell string).'),
    user: z
      .string()
      .regex(/^[a-zA-Z0-9_][a-zA-Z0-9_.-]*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]*)?$/, 'user[:group]')
      .optional()
      .describe('Run as this user.'),
    workdir: z.string().regex(/^\//, 'an absolute path').optional().describe('The folder it runs in.'),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name'), z.string())
      .optional()
      .describe('Environment variables for the command.'),
    input: z.string().optional().describe("Text written to the command's stdin."),
    allowedExitCodes: z.array(z.number().int()).optional().describe('Exit codes besides 0 that count as success.'),
    idempotent: z.boolean().optional().describe('Declares the command safe to run again after a crash.'),
  })
  .meta({ idempotent: 'only with `idempotent: true`' });
type Input = z.output<typeof input>;

const args = (i: Input) => [
  'container',
  'exec',
  ...(i.input !== undefined ? ['--interactive'] : []),
  ...(i.user ? ['--user', i.user] : []),
  ...(i.workdir ? ['--workdir', i.workdir] : []),
  ...Object.entries(i.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
  '--',
  i.name,
  ...i.command,
];

/** Runs a command in a container. */
export const dockerExec = defineTask({
  id: 'docker.exec',
  title: 'Run a command in a container',
  description:
    'Runs a command in a running container (docker exec, argument array), its output streamed; a non-zero exit (not in allowedExitCodes) fails with the end of its output. Idempotent only when declared so.',
  input,
  output: z.object({
    exitCode: z.number().int().describe("The command's exit code."),
    stdout: z.string().describe('What it printed on stdout (its last 64 KiB).'),
    stderr: z.string().describe('What it printed on stderr (its last 64 KiB).'),
  }),
  idempotent: (i) => i.idempotent === true,
  plan: (i) => [formatCommand(dockerCommand(), args(i))],
  async run(ctx) {
    const a = args(ctx.input);
    const r = await docker(ctx, a, { input: ctx.input.input, allowFailure: true, stream: true });
    if (r.exitCode !== 0 && !(ctx.input.allowedExitCodes ?? []).includes(r.exitCode))
      throw dockerFailure(a, r, { name: ctx.input.name });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  },
});
