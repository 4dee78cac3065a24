// The MIWG reference models against the gravity subset: every one imports without a crash, or is refused by element id.
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBpmnText, readBpmnFile } from '../../bpmn/read-xml.js';
import { createModdle } from '../../bpmn/moddle.js';
import { importBpmn, NotExecutableError } from '../../bpmn/import.js';
import { conformanceMappings, conformanceOf, corpusDir, findBpmnFiles, formatConformanceTable, runConformance } from '../../bpmn/conformance.js';

const corpus = corpusDir(fileURLToPath(new URL('../..', import.meta.url)));
const MIWG = join(corpus, 'miwg');
const files = existsSync(MIWG) ? findBpmnFiles(MIWG) : [];
const declaredLatin1 = files.filter((f) => /^<\?xml[^>]*encoding="ISO-8859-1"/i.test(readFileSync(f, 'latin1').slice(0, 200)));

/** Every element name in a parsed model, by id. */
async function namesOf(xml: string): Promise<Record<string, string>> {
  const { elementsById } = await createModdle().fromXML(xml);
  return Object.fromEntries(Object.entries(elementsById).filter(([, e]) => typeof e.name === 'string').map(([id, e]) => [id, e.name as string]));
}

describe('the MIWG corpus', () => {
  it('is present beside the repository (../shared/corpus/miwg, or GRAVITY_CORPUS)', () => {
    if (!existsSync(MIWG)) throw new Error(`MIWG corpus not found at ${MIWG}: CI checks out shared/ beside the repository; locally set GRAVITY_CORPUS=<dir holding miwg/>`);
    expect(files.length).toBeGreaterThanOrEqual(42);
  });
});

describe.runIf(files.length > 0)('importing each MIWG model', () => {
  it.each(files.map((f) => [f.slice(MIWG.length + 1), f]))('%s becomes a definition or is refused naming element ids', async (_name, file) => {
    // given the file through the gate
    const xml = await readBpmnFile(file);
    // when it is imported with every non-service task mapped to a no-op
    let problems: NotExecutableError['problems'] = [];
    try {
      const { definition } = await importBpmn(xml, { mappings: conformanceMappings(), source: file });
      expect(Object.keys(definition.machine.states).length).toBeGreaterThan(0);
    } catch (e) {
      // then a refusal is a NotExecutableError, never a crash, and each problem names an element of the file
      expect(e).toBeInstanceOf(NotExecutableError);
      problems = (e as NotExecutableError).problems;
      expect(problems.length).toBeGreaterThan(0);
    }
    for (const p of problems) {
      expect(xml, `problem names <${p.element}>, which is not in the file`).toContain(`"${p.element}"`);
      expect(p.message.length).toBeGreaterThan(10);
    }
    // and the conformance row agrees with import
    const row = await conformanceOf(file);
    expect(row).toMatchObject({ imported: true, executable: problems.length === 0 });
    if (problems.length) expect(row.reason).toContain(`<${problems.find((p) => !/not reachable/.test(p.message))?.element ?? problems[0].element}>`);
  });
});

describe.runIf(files.length > 0)('ISO-8859-1 models', () => {
  it('exist in the corpus (A.x and B.x declare ISO-8859-1)', () => {
    expect(declaredLatin1.map((f) => basename(f))).toEqual(expect.arrayContaining(['A.1.0.bpmn', 'B.1.0.bpmn', 'B.2.0.bpmn']));
  });

  it.each(declaredLatin1.map((f) => [basename(f), f]))('%s keeps every name as ISO-8859-1 defines it', async (_name, file) => {
    // given the names read from the bytes decoded as latin1 by hand (these files declare ISO-8859-1)
    const expected = await namesOf(readFileSync(file, 'latin1').replace(/encoding="ISO-8859-1"/i, 'encoding="UTF-8"'));
    // when the file goes through the gate
    const text = await readBpmnFile(file);
    // then the declaration matches the decoded string and every name is the same
    expect(text).toMatch(/^<\?xml[^>]*encoding="UTF-8"/);
    expect(await namesOf(text)).toEqual(expected);
    expect(Object.keys(expected).length).toBeGreaterThan(3);
  });

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
  it('has one row per file, a reason for each refusal, and a totals line', async () => {
    const rows = await runConformance(files, { root: MIWG });
    const table = formatConformanceTable(rows);
    const body = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| file '));
    expect(body).toHaveLength(files.length);
    for (const f of files) expect(body.filter((l) => l.startsWith(`| ${f.slice(MIWG.length + 1)} |`))).toHaveLength(1);
    for (const r of rows.filter((x) => !x.executable)) expect(r.reason).toMatch(/<[^>]+> \(bpmn:\w+\)/);
    expect(table).toMatch(new RegExp(`\\*\\*totals\\*\\*: ${files.length} files: ${files.length} imported, \\d+ executable`));
  });
});
