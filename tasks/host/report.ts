// Turns a list of host tool checks into an aligned, human-readable table as a task node.
import { z } from 'zod';
import { defineTask } from '../../engine/index.js';
import { checkToolOutput, type CheckToolOutput } from './check-tool.js';

/** Input of `host.report`: outputs of `host.check-tool` steps. */
export const hostReportInput = z.strictObject({
  checks: z.array(z.strictObject(checkToolOutput.shape)).describe('The outputs of host.check-tool steps.'),
  title: z.string().optional().describe('A line printed above the table.'),
});

/** Output of `host.report`. */
export const hostReportOutput = z.object({
  report: z
    .string()
    .describe('The report: a table of tool, ✔/✖, version, path (or what is wrong), then "N of M tools available".'),
  available: z.number().int().describe('Tools found and working.'),
  missing: z.array(z.string()).describe('Tools not found or not working, by name.'),
  tools: z.array(checkToolOutput).describe('The checks, as given.'),
});

/** Renders the checks as a table: tool, ✔/✖, version, path (or what is wrong); then "N of M tools available". */
export function formatReport(checks: readonly CheckToolOutput[], title?: string): string {
  const rows = checks.map((c) => [
    c.tool,
    c.ok ? '✔' : '✖',
    c.version ?? '-',
    c.ok ? (c.path ?? '') : (c.detail ?? (c.found ? 'not working' : 'not found')),
  ]);
  const header = ['tool', ' ', 'version', 'path / detail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const available = checks.filter((c) => c.ok).length;
  return [
    ...(title ? [title, ''] : []),
    line(header),
    // the last column is not padded: underline just its header
    line(widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? header[i].length : w))),
    ...rows.map(line),
    '',
    `${available} of ${checks.length} tools available`,
  ].join('\n');
}

/** Summarises `host.check-tool` results into a report; never fails, even when tools are missing. */
export const hostReport = defineTask({
  id: 'host.report',
  title: 'Report host tools',
  description: 'Formats the doctor report of `host.check-tool` results; never fails, even when tools are missing.',
  input: hostReportInput,
  output: hostReportOutput,
  idempotent: true,
  plan: (i) => [`report on ${i.checks.length} tool(s)`],
  async run(ctx) {
    const { checks, title } = ctx.input;
    const report = formatReport(checks, title);
    const missing = checks.filter((c) => !c.ok).map((c) => c.tool);
    ctx.log.info(`${checks.length - missing.length} of ${checks.length} tools available`);
    return { report, available: checks.length - missing.length, missing, tools: checks };
  },
});
