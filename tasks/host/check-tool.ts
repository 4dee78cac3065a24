// Looks for one command-line tool on the host as a task node: where it is, its version, whether it works.
import { z } from 'zod';
import { defineTask, type ExecResult } from '../../engine/index.js';
import { findExecutable, searchDirs } from './support.js';

/** Input of `host.check-tool`. */
export const checkToolInput = z.strictObject({
  tool: z.string().min(1).describe('Name shown in reports, e.g. "docker".'),
  command: z.string().min(1).describe('Binary to look for, e.g. "docker"; a path containing `/` is checked as is.'),
  versionArgs: z
    .array(z.string())
    .describe('The arguments that make the command print its version, e.g. ["--version"].'),
  versionPattern: z
    .string()
    .optional()
    .describe('Regex source; its first capture group is the version. Default: the first `N.N[.N]`.'),
  alsoSearch: z.array(z.string()).optional().describe('Extra folders searched after PATH, e.g. /usr/sbin, /sbin.'),
  probe: z
    .strictObject({
      args: z.array(z.string()).describe("The probe command's arguments (to the same binary)."),
      label: z.string().describe('What the probe checks, for the report (e.g. "docker daemon").'),
    })
    .optional()
    .describe('A second command proving the tool is usable, e.g. that the docker daemon answers.'),
});

/** Output of `host.check-tool`; a missing tool is a result (`found: false`), not a failure. */
export const checkToolOutput = z.object({
  tool: z.string().describe('The name shown in reports.'),
  found: z.boolean().describe('Whether the binary was found.'),
  path: z.string().optional().describe('Where it was found.'),
  version: z.string().optional().describe('The version it printed.'),
  ok: z.boolean().describe('Whether it was found and works (its version command and probe succeeded).'),
  detail: z.string().optional().describe('What is wrong, when not ok.'),
});
/** One tool's check result. */
export type CheckToolOutput = z.output<typeof checkToolOutput>;

const TIMEOUT_MS = 10_000;
const DEFAULT_VERSION = '(\\d+\\.\\d+(?:\\.\\d+)?)';

/** First non-empty line of a command's stderr (or stdout), for one-line details. */
function firstLine(r: ExecResult): string {
  const line = `${r.stderr}\n${r.stdout}`.split(/\r?\n/).find((l) => l.trim() !== '');
  return line?.trim() ?? `exit code ${r.exitCode}`;
}

/** Finds a tool in PATH (plus extra folders), reads its version and optionally probes it; never fails on a missing tool. */
export const hostCheckTool = defineTask({
  id: 'host.check-tool',
  title: 'Check a host tool',
  description:
    'Finds a tool in PATH (plus extra folders), reads its version and optionally probes it; a missing tool is a result (`found: false`), not a failure.',
  input: checkToolInput,
  output: checkToolOutput,
  idempotent: true,
  plan: (i) => [
    `which ${i.command} && ${[i.command, ...i.versionArgs].join(' ')}${i.probe ? ` && ${[i.command, ...i.probe.args].join(' ')}` : ''}`,
  ],
  async run(ctx) {
    const { tool, command, versionArgs, versionPattern, alsoSearch = [], probe } = ctx.input;
    const path = await findExecutable(command, searchDirs(alsoSearch));
    if (!path)
      return {
        tool,
        found: false,
        ok: false,
        detail: `${command} not found in PATH${alsoSearch.length ? ` or ${alsoSearch.join(', ')}` : ''}`,
      };

    const opts = { timeoutMs: TIMEOUT_MS, signal: ctx.signal };
    const v = await ctx.exec(path, versionArgs, opts);
    // Some tools print their version on stderr (ssh -V): look at both.
    const match = new RegExp(versionPattern ?? DEFAULT_VERSION, 'm').exec(`${v.stdout}\n${v.stderr}`);
    const version = match ? (match[1] ?? match[0]).trim() : undefined;
    if (v.timedOut)
      return {
        tool,
        found: true,
        path,
        version,
        ok: false,
        detail: `version command timed out after ${TIMEOUT_MS} ms`,
      };
    if (v.exitCode !== 0 && !version)
      return { tool, found: true, path, ok: false, detail: `version command failed: ${firstLine(v)}` };

    if (probe) {
      const p = await ctx.exec(path, probe.args, opts);
      if (p.timedOut)
        return {
          tool,
          found: true,
          path,
          version,
          ok: false,
          detail: `${probe.label} not reachable: no answer in ${TIMEOUT_MS} ms`,
        };
      if (p.exitCode !== 0)
        return { tool, found: true, path, version, ok: false, detail: `${probe.label} not reachable: ${firstLine(p)}` };
    }
    ctx.log.info(`${tool} ${version ?? '(unknown version)'} at ${path}`);
    return { tool, found: true, path, version, ok: true };
  },
});
