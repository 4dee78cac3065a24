// apache.reload: a graceful restart of Apache (requests under way finish), which checks the configuration first: a
// configuration that fails leaves the running server as it was.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { runCommand } from '../support/command.js';
import { absolute, confPath } from '../support/config-file.js';
import { formatCommand } from '../support/format.js';

const input = z.strictObject({
  conf: confPath('conf')
    .optional()
    .describe(
      'The main configuration of a server started with apache2 -f <conf>: reloaded with apache2 -k graceful -f <conf>. Without it: apache2ctl graceful (the host Apache).',
    ),
});

const command = (conf: string | undefined): [string, string[]] =>
  conf ? ['apache2', ['-k', 'graceful', '-f', conf]] : ['apache2ctl', ['graceful']];

/** Reloads Apache gracefully. */
export const apacheReload = defineTask({
  id: 'apache.reload',
  title: 'Reload Apache',
  description:
    'A graceful restart of Apache: `apache2ctl graceful` (the host Apache), or `apache2 -k graceful -f <conf>` for a server started with its own configuration. Apache reads its configuration first and fails, leaving the running server as it was, when it does not pass; requests under way finish.',
  input,
  output: z.object({ report: z.string().describe('What was done.') }),
  idempotent: true,
  plan: (i) => [formatCommand(...command(i.conf))],
  async run(ctx) {
    const [cmd, args] = command(ctx.input.conf && absolute(ctx.root, ctx.input.conf));
    const out = await runCommand(ctx, cmd, args, { timeoutMs: 60_000 });
    const report = `${formatCommand(cmd, args)}${out.trim() ? `: ${out.trim()}` : ''}`;
    ctx.log.info(report);
    return { report };
  },
});
