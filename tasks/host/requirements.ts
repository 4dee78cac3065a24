// Weighs host checks against requirements as a task node: each requirement is met by one of its options (all of the
// option's checks pass), and an unmet one names the Debian packages of the option to install. No I/O: the checks are
// host.check-tool / host.apache-modules results; the report and the packages feed host:bootstrap's next steps.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { checkToolOutput, type CheckToolOutput } from './check-tool.js';
import { debianPackage, installLine } from './support-apt.js';

/** A check as host.check-tool (or host.apache-modules) outputs it, strict as every input. */
const checkResult = z.strictObject({
  ...checkToolOutput.shape,
  modules: z
    .array(z.unknown())
    .optional()
    .describe("host.apache-modules' own field: each module with whether it is available and enabled."),
});

const option = z.strictObject({
  name: z.string().min(1).optional().describe('The option, e.g. "docker"; default: the requirement\'s name.'),
  checks: z
    .array(checkResult)
    .min(1)
    .describe('Checks that must all pass for this option to meet the requirement (host.check-tool results).'),
  packages: z.array(debianPackage).min(1).describe('The Debian packages that provide this option.'),
  refuse: z
    .string()
    .optional()
    .describe('Why gravity does not install this option (e.g. not in Debian main): it is reported, never installed.'),
  notes: z
    .array(checkResult)
    .optional()
    .describe('Checks reported but not required (e.g. whether the docker daemon answers).'),
});

const requirement = z
  .strictObject({
    name: z.string().min(1).describe('What is required, e.g. "vagrant" or "a provider".'),
    options: z
      .array(option)
      .min(1)
      .describe('The ways to meet it, e.g. docker, libvirt or VirtualBox; one whose checks all pass meets it.'),
    install: z
      .string()
      .optional()
      .describe("The option installed when none is met (its name); default: the first. A refused one isn't installed."),
  })
  .superRefine((r, ctx) => {
    const names = r.options.map((o) => o.name ?? r.name);
    if (r.install !== undefined && !names.includes(r.install))
      ctx.addIssue({
        code: 'custom',
        path: ['install'],
        message: `"${r.install}" is not an option of "${r.name}" (${names.join(', ')})`,
      });
  });

/** Input of `host.requirements`. */
export const requirementsInput = z.strictObject({
  requirements: z.array(requirement).min(1).describe('The requirements, in report order.'),
  title: z.string().optional().describe('A line printed above the table.'),
  rerun: z
    .string()
    .optional()
    .describe(
      'The command that installs what is missing, for the hint (e.g. gravity run host:bootstrap --param yes=true).',
    ),
  installed: z
    .array(z.string())
    .optional()
    .describe('The packages installed just before these checks (a re-check after an install), for the report.'),
});

/** Output of `host.requirements`. */
export const requirementsOutput = z.object({
  ok: z.boolean().describe('Whether every requirement is met.'),
  met: z
    .array(
      z.object({
        requirement: z.string().describe('The requirement.'),
        options: z.array(z.string()).describe('The options that meet it (e.g. ["docker"]).'),
      }),
    )
    .describe('The requirements met, and by what.'),
  missing: z.array(z.string()).describe('The requirements not met, by name.'),
  packages: z
    .array(z.string())
    .describe('The Debian packages that would provide the missing requirements (refused options left out).'),
  refused: z
    .array(z.string())
    .describe('Missing requirements gravity will not install, each with why (e.g. VirtualBox is not in Debian main).'),
  summary: z.string().describe('One line: every requirement met, or which are missing.'),
  report: z
    .string()
    .describe('A table: requirement, ✔/✖, tool, version, package, path or what is wrong; then the totals.'),
  hint: z.string().describe('What to do about the missing requirements: the command to run (empty when all are met).'),
});
/** What host.requirements decided. */
export type RequirementsOutput = z.output<typeof requirementsOutput>;
type Requirement = z.output<typeof requirement>;

/** Whether every check of an option passes. */
const passes = (o: { checks: CheckToolOutput[] }) => o.checks.every((c) => c.ok);

/** The table and totals of a set of requirements. */
function formatTable(requirements: Requirement[], title?: string): string {
  const rows: string[][] = [];
  for (const r of requirements)
    for (const o of r.options) {
      const label = o.name && o.name !== r.name ? `${r.name}: ${o.name}` : r.name;
      o.checks.forEach((c, i) =>
        rows.push([
          i === 0 ? label : '',
          c.ok ? '✔' : '✖',
          c.tool,
          c.version ?? '-',
          i === 0 ? o.packages.join(' ') + (o.refuse ? ' (by hand)' : '') : '',
          c.ok ? [c.path, c.detail].filter(Boolean).join(': ') : (c.detail ?? (c.found ? 'not working' : 'not found')),
        ]),
      );
      for (const n of o.notes ?? [])
        rows.push([
          '',
          '·',
          n.tool,
          '-',
          '',
          `not required: ${n.ok ? 'ok' : (n.detail ?? (n.found ? 'not working' : 'not found'))}`,
        ]);
    }
  const header = ['requirement', ' ', 'tool', 'version', 'package', 'path / detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    ...(title ? [title, ''] : []),
    line(header),
    line(widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? header[i].length : w))),
    ...rows.map(line),
  ].join('\n');
}

/** Decides, from checks, which requirements are met and which packages would provide the others. */
export function assess(input: z.output<typeof requirementsInput>): RequirementsOutput {
  const { requirements, title, rerun, installed } = input;
  const met: RequirementsOutput['met'] = [];
  const missing: string[] = [];
  const packages: string[] = [];
  const refused: string[] = [];
  for (const r of requirements) {
    const by = r.options.filter(passes).map((o) => o.name ?? r.name);
    if (by.length) {
      met.push({ requirement: r.name, options: by });
      continue;
    }
    missing.push(r.name);
    const chosen = r.options.find((o) => (o.name ?? r.name) === (r.install ?? r.options[0].name ?? r.name))!;
    if (chosen.refuse) refused.push(`${r.name}: ${chosen.name ?? r.name} ${chosen.refuse}`);
    else for (const p of chosen.packages) if (!packages.includes(p)) packages.push(p);
  }
  const ok = missing.length === 0;
  const total = requirements.length;
  const summary = ok
    ? `every requirement is met (${total} of ${total})`
    : `missing ${missing.length} of ${total}: ${missing.join(', ')}`;
  const footer = [
    ...met
      .filter((m) => requirements.find((r) => r.name === m.requirement)!.options.length > 1)
      .map((m) => `${m.requirement}: ${m.options.join(', ')}`),
    ...(installed ? [`installed by this run: ${installed.length ? installed.join(' ') : 'nothing'}`] : []),
    `${met.length} of ${total} requirements met${ok ? ': nothing to install' : `; missing: ${missing.join(', ')}`}`,
  ];
  const hint: string[] = [...refused];
  if (packages.length) {
    if (installed !== undefined)
      hint.push(
        `still missing after ${installed.length ? `installing ${installed.join(' ')}` : 'the install (dpkg said their packages were installed already)'}: their tools are not found in PATH or do not work (see the table)`,
        `  reinstall them, as root: ${installLine(packages).replace(' install ', ' install --reinstall ')}`,
      );
    else if (rerun) hint.push(`install them: ${rerun}`, `  (it runs: ${installLine(packages)})`);
    else hint.push(`install them, as root: ${installLine(packages)}`);
  }
  return {
    ok,
    met,
    missing,
    packages,
    refused,
    summary,
    report: `${formatTable(requirements, title)}\n\n${footer.join('\n')}`,
    hint: hint.join('\n'),
  };
}

/** Weighs host checks against requirements: met or not, by which option, and which packages would provide the rest. */
export const hostRequirements = defineTask({
  id: 'host.requirements',
  title: 'Weigh host requirements',
  description:
    "Given host checks grouped into requirements (each met by one of its options, an option by all of its checks), reports which are met and by what, which are missing, and the Debian packages of each missing one's option to install (`install`, default the first; an option with `refuse` is never installed: its reason is reported). A table and a hint with the command to run; no I/O, never fails on a missing requirement.",
  input: requirementsInput,
  output: requirementsOutput,
  idempotent: true,
  plan: (i) => [
    `weigh ${i.requirements.length} requirement(s): ${i.requirements.map((r) => `${r.name} (${r.options.map((o) => o.packages.join(' ')).join(' | ')})`).join(', ')}`,
  ],
  async run(ctx) {
    const out = assess(ctx.input);
    ctx.log.info(out.summary);
    return out;
  },
});
