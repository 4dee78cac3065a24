// What host.apt-install would do, found out without changing anything: dpkg's status of the packages and apt-get's own
// simulation (`install -s`, read-only, no root needed) of the install of those that are missing.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { execCommand } from '../support/command.js';
import { formatCommand } from '../support/format.js';
import {
  aptCommand,
  debianPackage,
  installedPackages,
  installLine,
  listsState,
  parseSimulation,
  simulateArgs,
  statusArgs,
  updatePolicy,
  updateReason,
} from './support-apt.js';

/** Input of `host.apt-plan`. */
export const aptPlanInput = z.strictObject({
  packages: z.array(debianPackage).describe('The Debian packages to install; those already installed are skipped.'),
  update: updatePolicy,
});

/** Output of `host.apt-plan`. */
export const aptPlanOutput = z.object({
  packages: z.array(z.string()).describe('The packages asked for.'),
  installed: z.array(z.string()).describe('Those dpkg says are installed already: skipped.'),
  wanted: z.array(z.string()).describe('Those not installed: what host.apt-install would ask apt-get for.'),
  changes: z
    .array(
      z.object({
        action: z.enum(['install', 'upgrade', 'remove']).describe('What apt would do to the package.'),
        package: z.string().describe('The package (a wanted one or a dependency).'),
        version: z.string().optional().describe('The version it would install (the installed one for a removal).'),
      }),
    )
    .describe("What apt's simulation would do, dependencies included, in its order."),
  summary: z.string().optional().describe('apt\'s summary line ("N upgraded, N newly installed, ...").'),
  ok: z.boolean().describe('Whether the simulation succeeded (false: apt refused, e.g. an unknown package).'),
  detail: z.string().optional().describe("apt's error lines, when the simulation failed."),
  update: z.string().optional().describe('Why host.apt-install would run apt-get update first, if it would.'),
  commands: z.array(z.string()).describe('The command lines host.apt-install would run (none: nothing to install).'),
  report: z.string().describe('The above, for people.'),
});
/** What host.apt-plan found. */
export type AptPlanOutput = z.output<typeof aptPlanOutput>;

const SIMULATION_TIMEOUT_MS = 120_000;

/** Renders the plan for people. */
export function formatAptPlan(p: Omit<AptPlanOutput, 'report'>): string {
  if (!p.packages.length) return 'apt: nothing to install';
  const lines: string[] = [];
  if (p.installed.length) lines.push(`installed already (skipped): ${p.installed.join(' ')}`);
  if (!p.wanted.length) {
    lines.push(
      'apt: nothing to install: dpkg says every package is installed (a tool still missing is out of PATH, or was removed by hand)',
    );
    return lines.join('\n');
  }
  lines.push(`apt-get install -s (a simulation: nothing was changed) of ${p.wanted.join(' ')}:`);
  if (!p.ok) lines.push(`  apt refuses: ${p.detail ?? 'the simulation failed'}`);
  for (const c of p.changes)
    lines.push(
      `  ${c.action} ${c.package}${c.version ? ` ${c.version}` : ''}${c.action === 'install' && !p.wanted.includes(c.package) ? ' (dependency)' : ''}`,
    );
  if (p.summary) lines.push(`  ${p.summary}`);
  lines.push('host.apt-install would run:', ...p.commands.map((c) => `  ${c}`));
  return lines.join('\n');
}

/** Reports what installing packages would do (dpkg status, apt-get install -s); changes nothing. */
export const hostAptPlan = defineTask({
  id: 'host.apt-plan',
  title: 'Plan an apt install',
  description:
    "Reads which of the packages dpkg says are installed, and runs apt-get's simulation (`apt-get install -s --no-install-recommends -- <missing>`, read-only, no root needed) to report what installing the others would do, dependencies included, and the exact command lines host.apt-install would run. Changes nothing: it never runs apt-get update (the simulation uses the lists as they are). An unknown package is a result (`ok: false`, apt's message), not a failure.",
  input: aptPlanInput,
  output: aptPlanOutput,
  idempotent: true,
  plan: (i) =>
    i.packages.length
      ? [
          formatCommand('dpkg-query', statusArgs(i.packages)),
          `${formatCommand('apt-get', simulateArgs(i.packages))}   (the packages not installed; a simulation, it changes nothing)`,
        ]
      : ['nothing to plan: no package given'],
  async run(ctx) {
    const { packages, update } = ctx.input;
    const installed = await installedPackages(ctx, packages);
    const wanted = packages.filter((p) => !installed.has(p));
    const base = {
      packages,
      installed: packages.filter((p) => installed.has(p)),
      wanted,
    };
    if (!wanted.length) {
      const out = { ...base, changes: [], ok: true, commands: [] };
      return { ...out, report: formatAptPlan(out) };
    }
    const reason = updateReason(update, await listsState());
    const r = await execCommand(ctx, await aptCommand('apt-get'), simulateArgs(wanted), {
      env: { LC_ALL: 'C' },
      allowFail: true,
      timeoutMs: SIMULATION_TIMEOUT_MS,
    });
    const { changes, summary } = parseSimulation(r.stdout);
    const errors = `${r.stderr}\n${r.stdout}`
      .split('\n')
      .filter((l) => /^E: /.test(l))
      .join('; ');
    const out = {
      ...base,
      changes,
      ...(summary ? { summary } : {}),
      ok: r.exitCode === 0,
      ...(r.exitCode === 0 ? {} : { detail: errors || `apt-get exited with code ${r.exitCode}` }),
      ...(reason ? { update: reason } : {}),
      commands: [...(reason ? ['apt-get update'] : []), installLine(wanted)],
    };
    ctx.log.info(
      out.ok ? `apt would install ${wanted.join(' ')}${summary ? ` (${summary})` : ''}` : `apt refuses: ${out.detail}`,
    );
    return { ...out, report: formatAptPlan(out) };
  },
});
