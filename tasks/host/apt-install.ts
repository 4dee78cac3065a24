// Installs Debian packages with apt-get as a task node: only those dpkg says are missing (nothing missing: nothing
// runs), no question asked, no recommended package, the lists refreshed first when they are missing or a day old.
import { z } from 'zod';
import { defineTask, TaskError } from '../../engine/index.js';
import { execCommand } from '../support/command.js';
import { formatCommand } from '../support/format.js';
import {
  APT_ENV,
  aptCommand,
  debianPackage,
  installArgs,
  installedPackages,
  installLine,
  listsState,
  statusArgs,
  updatePolicy,
  updateReason,
} from './support-apt.js';

/** Input of `host.apt-install`. */
export const aptInstallInput = z.strictObject({
  packages: z
    .array(debianPackage)
    .describe('The Debian packages to install; those already installed are skipped, so none missing runs nothing.'),
  update: updatePolicy,
});

/** Output of `host.apt-install`. */
export const aptInstallOutput = z.object({
  installed: z.array(z.string()).describe('The packages this step installed.'),
  skipped: z.array(z.string()).describe('The packages that were installed already (nothing done for them).'),
  updated: z.boolean().describe('Whether apt-get update ran first.'),
  commands: z.array(z.string()).describe('The command lines that ran (empty when nothing was missing).'),
});

/** How long apt-get update and apt-get install may take. */
const UPDATE_TIMEOUT_MS = 10 * 60_000;
const INSTALL_TIMEOUT_MS = 30 * 60_000;

/** The lines --dry-run shows for an input. */
function planLines(i: z.output<typeof aptInstallInput>): string[] {
  if (!i.packages.length) return ['nothing to install: no package given'];
  return [
    `${formatCommand('dpkg-query', statusArgs(i.packages))}   (installed packages are skipped)`,
    ...(i.update === 'never'
      ? []
      : [
          i.update === 'always'
            ? 'apt-get update'
            : 'apt-get update   (only when /var/lib/apt/lists has no package list or none changed in the last 24 hours)',
        ]),
    `${installLine(i.packages)}   (the packages not installed; none: nothing runs)`,
  ];
}

/** Installs the given Debian packages that are not installed yet, with apt-get; idempotent. */
export const hostAptInstall = defineTask({
  id: 'host.apt-install',
  title: 'Install Debian packages',
  description:
    "Installs the packages dpkg says are not installed: `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -- <missing>`, after `apt-get update` when /var/lib/apt/lists holds no package list or none changed in the last 24 hours (`update: auto`; `always`, `never`). Installed packages are skipped: nothing missing runs nothing. Names are checked against Debian's package name syntax (never an option); root is required to install. Fails when apt-get fails or a package is still not installed after it.",
  input: aptInstallInput,
  output: aptInstallOutput,
  idempotent: true,
  plan: planLines,
  async run(ctx) {
    const { packages, update } = ctx.input;
    const before = await installedPackages(ctx, packages);
    const wanted = packages.filter((p) => !before.has(p));
    const skipped = packages.filter((p) => before.has(p));
    if (!wanted.length) {
      ctx.log.info(packages.length ? `installed already: ${packages.join(' ')}` : 'no package to install');
      return { installed: [], skipped, updated: false, commands: [] };
    }
    if (process.getuid?.() !== 0)
      throw new TaskError(
        `installing ${wanted.join(' ')} needs root: run gravity as root, or install them yourself: sudo ${installLine(wanted)}`,
        { packages: wanted },
      );
    const aptGet = await aptCommand('apt-get');
    const commands: string[] = [];
    const reason = updateReason(update, await listsState());
    if (reason) {
      ctx.log.info(`apt-get update first: ${reason}`);
      commands.push('apt-get update');
      await execCommand(ctx, aptGet, ['update'], { env: { ...APT_ENV }, timeoutMs: UPDATE_TIMEOUT_MS });
    }
    ctx.log.info(`installing ${wanted.join(' ')}`);
    commands.push(installLine(wanted));
    await execCommand(ctx, aptGet, installArgs(wanted), { env: { ...APT_ENV }, timeoutMs: INSTALL_TIMEOUT_MS });
    const after = await installedPackages(ctx, wanted);
    const still = wanted.filter((p) => !after.has(p));
    if (still.length)
      throw new TaskError(`apt-get ran, but dpkg says these are still not installed: ${still.join(' ')}`, {
        packages: still,
      });
    return { installed: wanted, skipped, updated: reason !== undefined, commands };
  },
});
