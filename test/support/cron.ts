// A throwaway system user whose crontab the cron tests edit (crontab -u), so that no test touches the crontab of the
// user running them. Needs root (CI runs as root) and cron's crontab: a missing one fails the tests, never skips them.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './git-fixtures.js';

/** A test user: its name, and its crontab read and written with the real crontab command. */
export interface CronUser {
  name: string;
  /** `crontab -u <name> -l`: its stdout, or null when the user has no crontab. */
  list(): string | null;
  /** Installs `text` as its crontab (crontab -u <name> <file>). */
  install(text: string): void;
  /** Removes its crontab, if any. */
  clear(): void;
  /** Removes its crontab and the user. */
  remove(): void;
}

/** Creates system user `gravity-cron-<pid>-<suffix>` (no home, no shell). */
export function createCronUser(suffix: string): CronUser {
  for (const tool of ['crontab', 'useradd', 'userdel'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      throw new Error(`${tool} is missing: the cron tests need it (apt-get install cron passwd)`);
  const name = `gravity-cron-${process.pid}-${suffix}`.slice(0, 32);
  spawnSync('userdel', [name]);
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  const dir = tempDir('gravity-cron-user-');
  const user: CronUser = {
    name,
    list() {
      const r = spawnSync('crontab', ['-u', name, '-l'], { encoding: 'utf8' });
      if (r.status === 0) return r.stdout;
      if (/no crontab for/.test(r.stderr)) return null;
      throw new Error(`crontab -u ${name} -l: ${r.stderr}`);
    },
    install(text) {
      const file = join(dir, 'crontab');
      writeFileSync(file, text);
      execFileSync('crontab', ['-u', name, file], { stdio: 'pipe' });
    },
    clear() {
      spawnSync('crontab', ['-u', name, '-r']);
    },
    remove() {
      user.clear();
      spawnSync('userdel', [name]);
    },
  };
  return user;
}
