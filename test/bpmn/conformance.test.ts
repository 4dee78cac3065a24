// The MIWG reference models against the gravity subset: the listed ones are executable, every other one is refused by element id.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBpmnText, readBpmnFile } from '../../bpmn/read-xml.js';
import { createModdle } from '../../bpmn/moddle.js';
import { importBpmn, NotExecutableError } from '../../bpmn/import.js';
import {
  conformanceMappings,
  conformanceOf,
  corpusDir,
  findBpmnFiles,
  formatConformanceTable,
  runConformance,
} from '../../bpmn/conformance.js';

const corpus = corpusDir(fileURLToPath(new URL('../..', import.meta.url)));
const MIWG = join(corpus, 'miwg');
const files = existsSync(MIWG) ? findBpmnFiles(MIWG) : [];
const declaredLatin1 = files.filter((f) =>
  /^<\?xml[^>]*encoding="ISO-8859-1"/i.test(readFileSync(f, 'latin1').slice(0, 200)),
);

/** Every element name in a parsed model, by id. */
async function namesOf(xml: string): Promise<Record<string, string>> {
  const { elementsById } = await createModdle().fromXML(xml);
  return Object.fromEntries(
    Object.entries(elementsById)
      .filter(([, e]) => typeof e.name === 'string')
      .map(([id, e]) => [id, e.name as string]),
  );
}

describe('the MIWG corpus', () => {
  it('is in the repository (corpus/miwg, or GRAVITY_CORPUS)', () => {
    if (!existsSync(MIWG))
      throw new Error(
        `MIWG corpus not found at ${MIWG}: the repository holds it in corpus/miwg (or set GRAVITY_CORPUS=<dir holding miwg/>)`,
      );
    expect(files.length).toBeGreaterThanOrEqual(42);
  });
});

/**
 * The MIWG models gravity executes today: importBpmn with every non-service task mapped to a no-op gives a definition the
 * engine's validation accepts (`npm run conformance` lists them). Every other model must be refused naming element ids:
 * when a change makes one of them executable, add it here; when a listed one is refused, that is a regression.
 */
const EXECUTABLE = [
  'A.1.0.bpmn',
  'A.2.0.bpmn',
  'A.4.0.bpmn',
  'A.4.1.bpmn',
  'B.1.0.bpmn',
  'C.1.0.bpmn',
  'C.1.1.bpmn',
  'C.4.0.bpmn',
  'C.8.0.bpmn',
  'C.8.1.bpmn',
  'C.9.1.bpmn',
  'bpmn.io-roundtrip/A.1.0-roundtrip.bpmn',
  'bpmn.io-roundtrip/A.2.0-roundtrip.bpmn',
  'bpmn.io-roundtrip/A.4.0-roundtrip.bpmn',
  'bpmn.io-roundtrip/A.4.1-roundtrip.bpmn',
  'bpmn.io-roundtrip/B.1.0-roundtrip.bpmn',
  'bpmn.io-roundtrip/C.1.0-roundtrip.bpmn',
  'bpmn.io-roundtrip/C.1.1-roundtrip.bpmn',
  'bpmn.io-roundtrip/C.4.0-roundtrip.bpmn',
  'bpmn.io-roundtrip/C.8.0-roundtrip.bpmn',
  'bpmn.io-roundtrip/C.8.1-roundtrip.bpmn',
  'bpmn.io-roundtrip/C.9.1-roundtrip.bpmn',
];
const ADD_IT = 'add it to EXECUTABLE in test/bpmn/conformance.test.ts (npm run conformance lists the executable files)';
const named = files.map((f) => [f.slice(MIWG.length + 1), f] as const);
const listed = named.filter(([name]) => EXECUTABLE.includes(name));
const unlisted = named.filter(([name]) => !EXECUTABLE.includes(name));

describe.runIf(files.length > 0)('importing each MIWG model', () => {
  it('lists as executable only models of the corpus', () => {
    expect(
      EXECUTABLE.filter((name) => !named.some(([n]) => n === name)),
      'EXECUTABLE names files the corpus does not hold',
    ).toEqual([]);
    expect(listed).toHaveLength(EXECUTABLE.length);
  });

  it.each(listed)('%s imports into a definition the engine accepts (listed in EXECUTABLE)', async (name, file) => {
    // given a model listed as executable, through the gate
    const xml = await readBpmnFile(file);
    // when it is imported with every non-service task mapped to a no-op
    const outcome = await importBpmn(xml, { mappings: conformanceMappings(), source: file }).catch((e: Error) => e);
    // then it becomes a definition with states, and the conformance row (engine validation included) says executable
    if (outcome instanceof Error)
      expect.fail(
        `${name} is listed in EXECUTABLE but import refuses it now (a regression, or remove it from the list): ${outcome.message}`,
      );
    expect(Object.keys(outcome.definition.machine.states).length).toBeGreaterThan(0);
    const row = await conformanceOf(file);
    expect(row, `${name} is listed in EXECUTABLE but is not executable now: ${row.reason}`).toMatchObject({
      imported: true,
      executable: true,
    });
    expect(row.reason).toBeUndefined();
  });

  it.each(unlisted)('%s is refused naming element ids (not listed in EXECUTABLE)', async (name, file) => {
    // given a model not listed as executable, through the gate
    const xml = await readBpmnFile(file);
    // when it goes through conformance (import with every non-service task mapped to a no-op, then the engine's validation)
    const row = await conformanceOf(file);
    // then it is not executable: a model that became executable must be listed
    expect(row.executable, `${name} is executable now: ${ADD_IT}`).toBe(false);
    expect(row.imported).toBe(true);
    // and import refuses it with a NotExecutableError, never a crash, each problem naming an element of the file
    const outcome = await importBpmn(xml, { mappings: conformanceMappings(), source: file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (outcome === undefined)
      return void expect(row.reason).toMatch(/^imported, but the definition does not validate: <[^>]+> /);
    expect(outcome).toBeInstanceOf(NotExecutableError);
    const problems = (outcome as NotExecutableError).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(xml, `problem names <${p.element}>, which is not in the file`).toContain(`"${p.element}"`);
      expect(p.message.length).toBeGreaterThan(10);
    }
    // and the row's reason is led by the first root cause
    expect(row.reason).toContain(
      `<${problems.find((p) => !/not reachable/.test(p.message))?.element ?? problems[0].element}>`,
    );
  });
});

describe.runIf(files.length > 0)('ISO-8859-1 models', () => {
  it('exist in the corpus (A.x and B.x declare ISO-8859-1)', () => {
    expect(declaredLatin1.map((f) => basename(f))).toEqual(
      expect.arrayContaining(['A.1.0.bpmn', 'B.1.0.bpmn', 'B.2.0.bpmn']),
    );
  });

  it.each(declaredLatin1.map((f) => [basename(f), f]))(
    '%s keeps every name as ISO-8859-1 defines it',
    async (_name, file) => {
      // given the names read from the bytes decoded as latin1 by hand (these files declare ISO-8859-1)
      const expected = await namesOf(
        readFileSync(file, 'latin1').replace(/encoding="ISO-8859-1"/i, 'encoding="UTF-8"'),
      );
      // when the file goes through the gate
      const text = await readBpmnFile(file);
      // then the declaration matches the decoded string and every name is the same
      expect(text).toMatch(/^<\?xml[^>]*encoding="UTF-8"/);
      expect(await namesOf(text)).toEqual(expected);
      expect(Object.keys(expected).length).toBeGreaterThan(3);
    },
  );

  it('decodes non-ASCII names: C.1.0 re-encoded as ISO-8859-1 keeps "Rechnung klären"', async () => {
    // the corpus' ISO-8859-1 files are pure ASCII, so take the German names of C.1.0 (UTF-8) and re-encode them
    const utf8 = readFileSync(join(MIWG, 'C.1.0.bpmn'), 'utf8');
    expect(utf8).toContain('name="Rechnung klären"');
    const latin1 = Buffer.from(utf8.replace(/encoding="UTF-8"/i, 'encoding="ISO-8859-1"'), 'latin1');
    expect(latin1.includes(Buffer.from('klären', 'utf8'))).toBe(false);
    // when the bytes go through the gate and the importer's parser
    const names = await namesOf(checkBpmnText(latin1, 'C.1.0-latin1.bpmn'));
    // then the name survives
    expect(names.reviewInvoice).toBe('Rechnung klären');
  });
});

describe.runIf(files.length > 0)('the conformance table', () => {
  it('has one row per file, a reason for each refusal, exactly the EXECUTABLE models executable, and a totals line', async () => {
    const rows = await runConformance(files, { root: MIWG });
    const table = formatConformanceTable(rows);
    const body = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| file '));
    expect(body).toHaveLength(files.length);
    for (const f of files) expect(body.filter((l) => l.startsWith(`| ${f.slice(MIWG.length + 1)} |`))).toHaveLength(1);
    for (const r of rows.filter((x) => !x.executable)) expect(r.reason).toMatch(/<[^>]+> \(bpmn:\w+\)/);
    // the executable rows are exactly the listed models: a missing one is a regression, an extra one belongs in EXECUTABLE
    expect(
      rows.filter((r) => r.executable).map((r) => r.file),
      `the executable MIWG models changed: a newly executable one, ${ADD_IT}; a listed one missing is a regression`,
    ).toEqual([...EXECUTABLE].sort());
    expect(table).toMatch(
      new RegExp(
        `\\*\\*totals\\*\\*: ${files.length} files: ${files.length} imported, ${EXECUTABLE.length} executable, ${files.length - EXECUTABLE.length} not executable`,
      ),
    );
  });
});
