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
const counts = (rs: CaseResult[]) => ({
  passed: rs.filter((r) => r.status === 'passed').length,
  failed: rs.filter((r) => r.status === 'failed').length,
});

/** Characters XML 1.0 cannot hold even as a character reference: C0 controls but tab, LF and CR, lone surrogates, U+FFFE and U+FFFF. */
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The reference each escaped character is written as. */
const ESCAPES: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** `s` with each character XML cannot hold written as a visible `\uXXXX`, as the JSON reporter shows it. */
const visible = (s: string) => s.replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** `s` as XML character data: markup escaped (`]]>` included), a CR as `&#13;` so a parser does not turn CRLF into LF. */
export const xmlText = (s: string) => visible(s).replace(/[<>&"'\r]/g, (c) => ESCAPES[c]!);

/** `s` as a double-quoted attribute value: also tab and line breaks as references, which a parser would otherwise read as spaces. */
export const xmlAttr = (s: string) => visible(s).replace(/[<>&"'\t\n\r]/g, (c) => ESCAPES[c]!);

/** The reporters by name. */
export const reporters: Record<string, Reporter> = {
  plain: {
    start: (n, out) => out.write(`running ${n} scenario run(s)\n`),
    case(r, out) {
      out.write(`${r.status === 'passed' ? '✔' : '✖'} ${label(r)} ${duration(r.durationMs)}\n`);
      if (r.status === 'failed')
        out.write(
          `    at step <${r.step ?? '?'}>: ${r.message ?? ''}\n    (${relative(process.cwd(), r.file) || r.file}${r.runId ? `; details: gravity show ${r.runId}` : ''})\n`,
        );
      if (r.kept) out.write(`    galaxy kept in ${r.kept}\n`);
    },
    end(rs, ms, out) {
      const c = counts(rs);
      out.write(
        `\n${c.failed ? '✖' : '✔'} ${c.passed} passed, ${c.failed} failed (${rs.length} runs in ${duration(ms)})\n`,
      );
    },
  },
  json: {
    end(rs, ms, out) {
      out.write(
        `${JSON.stringify({ ...counts(rs), durationMs: Math.round(ms), results: rs.map((r) => ({ ...r, durationMs: Math.round(r.durationMs) })) }, null, 2)}\n`,
      );
    },
  },
  junit: {
    end(rs, ms, out) {
      const c = counts(rs);
      const cases = rs.map((r) => {
        const classname = xmlAttr(relative(process.cwd(), r.file) || r.file);
        const head = `    <testcase classname="${classname}" name="${xmlAttr(label(r))}" time="${(r.durationMs / 1000).toFixed(3)}"`;
        if (r.status === 'passed') return `${head}/>`;
        const text = xmlText(`step <${r.step ?? '?'}>: ${r.message ?? ''}`);
        return `${head}>\n      <failure message="${xmlAttr(r.message ?? 'failed')}" type="${xmlAttr(r.step ?? 'scenario')}">${text}</failure>\n    </testcase>`;
      });
      out.write(
        `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="gravity" tests="${rs.length}" failures="${c.failed}" time="${(ms / 1000).toFixed(3)}">\n  <testsuite name="gravity scenarios" tests="${rs.length}" failures="${c.failed}" errors="0" skipped="0" time="${(ms / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`,
      );
    },
  },
};
