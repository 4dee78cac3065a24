// Reporters of `gravity test`: plain lines for people, one JSON document, or JUnit XML that CI systems read.
import { relative } from 'node:path';
import { duration } from './format.js';

/** The outcome of one scenario run. */
export interface CaseResult {
  name: string;
  file: string;
  transport: string;
  branch: string;
  status: 'passed' | 'failed';
  /** The run in the data dir (`gravity show <runId>`). */
  runId?: string;
  durationMs: number;
  steps?: number;
  /** Failing step and its message (assertion: expected vs actual). */
  step?: string;
  message?: string;
  /** Where the galaxy was left (--keep). */
  kept?: string;
}

/** A reporter: optional live lines, then the summary. */
export interface Reporter {
  start?(total: number, out: NodeJS.WritableStream): void;
  case?(r: CaseResult, out: NodeJS.WritableStream): void;
  end(results: CaseResult[], totalMs: number, out: NodeJS.WritableStream): void;
}

const label = (r: CaseResult) => `${r.name} [${r.transport}, ${r.branch}]`;
const counts = (rs: CaseResult[]) => ({ passed: rs.filter((r) => r.status === 'passed').length, failed: rs.filter((r) => r.status === 'failed').length });

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** The reporters by name. */
export const reporters: Record<string, Reporter> = {
  plain: {
    start: (n, out) => out.write(`running ${n} scenario run(s)\n`),
    case(r, out) {
      out.write(`${r.status === 'passed' ? '✔' : '✖'} ${label(r)} ${duration(r.durationMs)}\n`);
      if (r.status === 'failed') out.write(`    at step <${r.step ?? '?'}>: ${r.message ?? ''}\n    (${relative(process.cwd(), r.file) || r.file}${r.runId ? `; details: gravity show ${r.runId}` : ''})\n`);
      if (r.kept) out.write(`    galaxy kept in ${r.kept}\n`);
    },
    end(rs, ms, out) {
      const c = counts(rs);
      out.write(`\n${c.failed ? '✖' : '✔'} ${c.passed} passed, ${c.failed} failed (${rs.length} runs in ${duration(ms)})\n`);
    },
  },
  json: {
    end(rs, ms, out) {
      out.write(`${JSON.stringify({ ...counts(rs), durationMs: Math.round(ms), results: rs.map((r) => ({ ...r, durationMs: Math.round(r.durationMs) })) }, null, 2)}\n`);
    },
  },
  junit: {
    end(rs, ms, out) {
      const c = counts(rs);
      const cases = rs.map((r) => {
        const head = `    <testcase classname="${xml(relative(process.cwd(), r.file) || r.file)}" name="${xml(label(r))}" time="${(r.durationMs / 1000).toFixed(3)}"`;
        if (r.status === 'passed') return `${head}/>`;
        return `${head}>\n      <failure message="${xml(r.message ?? 'failed')}" type="${xml(r.step ?? 'scenario')}">${xml(`step <${r.step ?? '?'}>: ${r.message ?? ''}`)}</failure>\n    </testcase>`;
      });
      out.write(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="gravity" tests="${rs.length}" failures="${c.failed}" time="${(ms / 1000).toFixed(3)}">\n  <testsuite name="gravity scenarios" tests="${rs.length}" failures="${c.failed}" errors="0" skipped="0" time="${(ms / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`);
    },
  },
};
