// bind.reload: makes named read its configuration and zones again: `rndc reload` (the host's named), or SIGHUP to the
// named whose pid file is given (a named started without a control channel).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { formatCommand } from '../support/format.js';
import { runCommand } from '../support/command.js';
import { absolute, confPath } from '../support/config-file.js';
import { ipv4 } from '../env/model.js';

const input = z.strictObject({
  pidFile: confPath('pidFile')
    .optional()
    .describe("named's pid file: it is sent SIGHUP (the pid must be a running named). Without it: rndc reload."),
  rndc: z
    .strictObject({
      conf: confPath('rndc.conf').optional().describe("rndc -c: its configuration (key, server); default: rndc's own."),
      server: ipv4.optional().describe('rndc -s: the address of the control channel.'),
      port: z.number().int().min(1).max(65535).optional().describe('rndc -p: its port.'),
    })
    .default({})
    .describe('How rndc reaches named (when no pidFile is given).'),
});
type Input = z.output<typeof input>;

const rndcArgs = (i: Input, root: string) => [
  ...(i.rndc.conf ? ['-c', absolute(root, i.rndc.conf)] : []),
  ...(i.rndc.server ? ['-s', i.rndc.server] : []),
  ...(i.rndc.port ? ['-p', String(i.rndc.port)] : []),
  'reload',
];

/** The pid in `pidFile`, checked to be a running named. */
async function namedPid(pidFile: string): Promise<number> {
  const text = await readFile(pidFile, 'utf8').catch((e: Error) => {
    throw new TaskError(`cannot read named's pid file ${pidFile}: ${e.message}`, { pidFile });
  });
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1)
    throw new TaskError(`${pidFile} holds no pid: ${JSON.stringify(text.trim())}`);
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  // a stale pid file may name another process now: only a named is signalled
  if (comm.trim() !== 'named')
    throw new TaskError(`process ${pid} of ${pidFile} is ${comm ? `"${comm.trim()}", not named` : 'not running'}`, {
      pidFile,
      pid,
    });
  return pid;
}

/** Reloads named. */
export const bindReload = defineTask({
  id: 'bind.reload',
  title: 'Reload named',
  description:
    "Makes named read its configuration and every zone again (new and removed zone statements included): with `pidFile`, SIGHUP to the named it names (checked to be a running named); otherwise `rndc reload` (`rndc.conf`, `rndc.server`, `rndc.port`: rndc's -c, -s and -p). named reloads in the background: a zone that fails to load is logged by named and kept out, the others are served.",
  input,
  output: z.object({
    method: z.enum(['signal', 'rndc']).describe('How named was told.'),
    pid: z.number().int().optional().describe('The pid signalled.'),
    report: z.string().describe('What was done.'),
  }),
  idempotent: true,
  plan: (i) => [i.pidFile ? `kill -HUP $(cat ${i.pidFile}) (named)` : formatCommand('rndc', rndcArgs(i, '.'))],
  async run(ctx) {
    const i = ctx.input;
    if (i.pidFile) {
      const pidFile = absolute(ctx.root, i.pidFile);
      const pid = await namedPid(pidFile);
      process.kill(pid, 'SIGHUP');
      const report = `sent SIGHUP to named (pid ${pid})`;
      ctx.log.info(report);
      return { method: 'signal' as const, pid, report };
    }
    const out = await runCommand(ctx, 'rndc', rndcArgs(i, ctx.root), { timeoutMs: 60_000 });
    const report = `rndc reload: ${out.trim()}`;
    ctx.log.info(report);
    return { method: 'rndc' as const, report };
  },
});
