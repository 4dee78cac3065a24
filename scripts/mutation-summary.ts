// Prints the mutation score per folder from Stryker's JSON reports (reports/mutation/*.json), as Stryker counts it:
// (killed + timeout) / (killed + timeout + survived + no coverage). `--survivors <folder>` lists that folder's survivors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Mutant {
  id: string;
  mutatorName: string;
  status: 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';
  replacement?: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const args = process.argv.slice(2);
const at = args.indexOf('--survivors');
const given = args.filter((a, i) => !a.startsWith('--') && (at < 0 || i !== at + 1));
const dir = 'reports/mutation';
const files = given.length
  ? given
  : existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json') && !f.includes('incremental'))
        .map((f) => join(dir, f))
    : [];
if (!files.length) {
  console.error(`no mutation report in ${dir}: run \`npm run mutation\` first`);
  process.exit(2);
}
// the reports of the configurations (core, galaxy) mutate different files: their union is the whole picture
const report: Report = { files: {} };
for (const f of files) Object.assign(report.files, (JSON.parse(readFileSync(f, 'utf8')) as Report).files);

/** The folder a source file is scored under: its directory, e.g. `engine/store` or `bpmn/dialects`. */
const folderOf = (path: string) => dirname(path).replace(/^\.\//, '');

type Counts = { killed: number; timeout: number; survived: number; noCoverage: number; other: number };
const zero = (): Counts => ({ killed: 0, timeout: 0, survived: 0, noCoverage: 0, other: 0 });
const add = (c: Counts, m: Mutant) => {
  if (m.status === 'Killed') c.killed++;
  else if (m.status === 'Timeout') c.timeout++;
  else if (m.status === 'Survived') c.survived++;
  else if (m.status === 'NoCoverage') c.noCoverage++;
  else c.other++;
};
const score = (c: Counts) => {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  return valid === 0 ? NaN : (100 * (c.killed + c.timeout)) / valid;
};

if (at >= 0) {
  const folder = args[at + 1];
  for (const [path, f] of Object.entries(report.files).sort()) {
    if (folderOf(path) !== folder && !path.startsWith(`${folder}/`)) continue;
    const lines = f.source.split('\n');
    for (const m of f.mutants
      .filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')
      .sort((a, b) => a.location.start.line - b.location.start.line)) {
      const line = lines[m.location.start.line - 1]?.trim() ?? '';
      console.log(
        `${path}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName} -> ${JSON.stringify(m.replacement ?? '')}\n    ${line.slice(0, 160)}`,
      );
    }
  }
} else {
  const byFolder = new Map<string, Counts>();
  const total = zero();
  for (const [path, f] of Object.entries(report.files)) {
    const c = byFolder.get(folderOf(path)) ?? zero();
    for (const m of f.mutants) {
      add(c, m);
      add(total, m);
    }
    byFolder.set(folderOf(path), c);
  }
  const rows = [...byFolder.entries()].sort(([a], [b]) => a.localeCompare(b));
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(
    `${'folder'.padEnd(22)} ${pad('score', 7)} ${pad('killed', 7)} ${pad('timeout', 7)} ${pad('survived', 8)} ${pad('no cov', 7)}`,
  );
  for (const [folder, c] of [...rows, ['all', total] as const]) {
    console.log(
      `${folder.padEnd(22)} ${pad(score(c).toFixed(1) + '%', 7)} ${pad(c.killed, 7)} ${pad(c.timeout, 7)} ${pad(c.survived, 8)} ${pad(c.noCoverage, 7)}`,
    );
  }
}
