// gitlab.backup-create: `gitlab-backup create` in an instance's container, giving the id of the archive it made; a
// failure shows the end of its stdout too (GitLab prints its errors there, not on stderr).
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { formatCommand, lastLines } from '../support/format.js';
import { containerName, docker, dockerCommand } from '../docker/support.js';

const args = (container: string) => ['container', 'exec', '--', container, 'gitlab-backup', 'create'];

/** The id in GitLab's last line, `... -- Backup <id> is done.` */
export function backupIdOf(stdout: string): string | undefined {
  const all = [...stdout.matchAll(/Backup ([A-Za-z0-9._-]+) is done\./g)];
  return all[all.length - 1]?.[1];
}

/** Runs gitlab-backup create in a container. */
export const gitlabBackupCreate = defineTask({
  id: 'gitlab.backup-create',
  title: "Make GitLab's backup archive",
  description:
    "Runs `gitlab-backup create` in the instance's container (docker exec), its output streamed, and outputs the id of the archive it wrote (/var/opt/gitlab/backups/<id>_gitlab_backup.tar), read from GitLab's `Backup <id> is done.`. A failure shows the end of both its stdout (where GitLab prints its errors) and its stderr. Run again, it makes another archive (GitLab's backup_keep_time prunes them).",
  input: z.strictObject({
    container: containerName,
  }),
  output: z.object({
    backupId: z.string().describe('The id of the archive: <unix time>_<YYYY_MM_DD>_<version>.'),
    archive: z.string().describe('The archive, as a path in the container.'),
  }),
  idempotent: true,
  timeoutMs: 12 * 3_600_000,
  plan: (i) => [formatCommand(dockerCommand(), args(i.container))],
  async run(ctx) {
    const a = args(ctx.input.container);
    const r = await docker(ctx, a, { allowFailure: true, stream: true });
    const said = [
      r.stdout.trim() ? `stdout: ${lastLines(r.stdout.trim(), 5)}` : '',
      r.stderr.trim() ? `stderr: ${lastLines(r.stderr.trim(), 5)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    if (r.exitCode !== 0)
      throw new TaskError(
        `${formatCommand(dockerCommand(), a)} failed with exit code ${r.exitCode}${said ? `: ${said}` : ''}`,
        { container: ctx.input.container, exitCode: r.exitCode },
      );
    const backupId = backupIdOf(r.stdout);
    if (!backupId)
      throw new TaskError(`gitlab-backup create printed no "Backup <id> is done." line${said ? `: ${said}` : ''}`, {
        container: ctx.input.container,
      });
    return { backupId, archive: `/var/opt/gitlab/backups/${backupId}_gitlab_backup.tar` };
  },
});
