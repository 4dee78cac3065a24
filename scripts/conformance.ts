// `npm run conformance`: imports every BPMN file of the corpus (corpus/) and prints which are executable in gravity, and why not.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  conformanceTotals,
  corpusDir,
  findBpmnFiles,
  formatConformanceTable,
  runConformance,
  type ConformanceRow,
} from '../bpmn/conformance.js';

/** The corpus folders checked, relative to the corpus root (the MIWG suite incl. its bpmn.io round trips, then the engine fixtures). */
export const CORPUS_FOLDERS = ['miwg', 'engine-fixtures'] as const;

const USAGE = `usage: npm run conformance [-- --json]
  Imports every .bpmn file under <corpus>/miwg and <corpus>/engine-fixtures (recursively) and prints a
  markdown table: file | imported | executable | reason, with totals per folder and overall.
  <corpus> is $GRAVITY_CORPUS, else corpus/ in this repository.
  --json   print the rows as JSON instead
Exit codes: 0 done (whatever the verdicts), 1 a file crashed the importer, 2 the corpus is missing.`;

/** Runs the conformance check over the corpus and prints the tables; returns the exit code. */
async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const root = corpusDir(fileURLToPath(new URL('..', import.meta.url)));
  const missing = CORPUS_FOLDERS.filter((f) => !existsSync(join(root, f)));
  if (missing.length) {
    console.error(
      `conformance: corpus folder(s) ${missing.join(', ')} not found under ${root}; ` +
        'the corpus/ folder of the repository is missing (or set GRAVITY_CORPUS)',
    );
    return 2;
  }
  const all: ConformanceRow[] = [];
  const sections: string[] = [];
  for (const folder of CORPUS_FOLDERS) {
    const rows = await runConformance(findBpmnFiles(join(root, folder)), { root });
    all.push(...rows);
    sections.push(`## ${folder}\n\n${formatConformanceTable(rows)}`);
  }
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ corpus: root, rows: all }, null, 2));
    return 0;
  }
  console.log(`# BPMN conformance of gravity (corpus: ${root})\n`);
  console.log(sections.join('\n\n'));
  console.log(`\n**overall**: ${conformanceTotals(all)}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('conformance: the importer crashed (a bug in gravity):');
    console.error(err);
    process.exitCode = 1;
  },
);
