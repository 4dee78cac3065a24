// The BPMN input gate: encodings, root check, well-formedness, size limit, line helpers, and the MIWG reference corpus.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../engine/errors.js';
import { checkBpmnText, findElementLine, lineOf, readBpmnFile } from '../../bpmn/read-xml.js';
import { createModdle } from '../../bpmn/moddle.js';
import { corpusDir } from '../../bpmn/conformance.js';
import { tempDir } from '../support/git-fixtures.js';
import { fileURLToPath } from 'node:url';

const NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const MIWG = join(corpusDir(fileURLToPath(new URL('../..', import.meta.url))), 'miwg');
const doc = (decl: string, name: string, prefix = 'bpmn') => {
  const [p, xmlns] = prefix ? [`${prefix}:`, `xmlns:${prefix}`] : ['', 'xmlns'];
  return (
    `${decl}\n<${p}definitions ${xmlns}="${NS}" id="Defs_1" targetNamespace="http://example.com">\n` +
    `  <${p}process id="Process_1">\n    <${p}task id="Task_1" name="${name}" />\n  </${p}process>\n</${p}definitions>\n`
  );
};

/** Runs `fn` and returns what it threw (or fails the test). */
async function thrown(fn: () => unknown): Promise<BadInputError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BadInputError);
    return e as BadInputError;
  }
  throw new Error('expected an error');
}

let dir: string;
beforeAll(() => {
  dir = tempDir('gravity-read-xml-');
});
afterEach(() => {
  delete process.env.GRAVITY_BPMN_MAX_BYTES;
});

describe('decoding a BPMN file', () => {
  it('decodes an ISO-8859-1 file so accented names survive and moddle reads it without warnings', async () => {
    // given a file whose bytes are latin1 and whose declaration says so
    const file = join(dir, 'latin1.bpmn');
    writeFileSync(file, Buffer.from(doc('<?xml version="1.0" encoding="ISO-8859-1"?>', 'Café Müller'), 'latin1'));
    // when it goes through the gate and the parser
    const text = await readBpmnFile(file);
    const { elementsById, warnings } = await createModdle().fromXML(text);
    // then the name is intact and the declaration now matches the decoded string
    expect(elementsById.Task_1.name).toBe('Café Müller');
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('decodes windows-1252, where 0x80 is the euro sign', () => {
    const bytes = Buffer.from(doc('<?xml version="1.0" encoding="windows-1252"?>', 'cost: X'), 'latin1');
    bytes[bytes.indexOf('X')] = 0x80;
    expect(checkBpmnText(bytes, 'cp1252.bpmn')).toContain('name="cost: €"');
  });

  it('strips a UTF-8 byte order mark from bytes and from strings', () => {
    const text = doc('<?xml version="1.0" encoding="UTF-8"?>', 'Zoë');
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    expect(checkBpmnText(bytes, 'bom.bpmn')).toBe(text);
    expect(checkBpmnText(`\uFEFF${text}`, 'bom.bpmn')).toBe(text);
  });

  it.each([
    ['UTF-16LE', (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')])],
    ['UTF-16BE', (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()])],
  ])('decodes %s with a byte order mark', (_name, encode) => {
    const text = checkBpmnText(encode(doc('<?xml version="1.0" encoding="UTF-16"?>', 'Ærø')), 'utf16.bpmn');
    expect(text).toContain('name="Ærø"');
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  });

  it('refuses an unknown encoding with a clear error naming the file', async () => {
    const e = await thrown(() =>
      checkBpmnText(Buffer.from(doc('<?xml version="1.0" encoding="x-klingon"?>', 'a')), 'k.bpmn'),
    );
    expect(e.message).toMatch(/k\.bpmn declares an unknown encoding "x-klingon"/);
    expect(e.details).toMatchObject({ file: 'k.bpmn' });
  });

  it('refuses latin1 bytes that claim to be UTF-8 and says how to fix it', async () => {
    const bytes = Buffer.from(doc('<?xml version="1.0"?>', 'Café'), 'latin1');
    const e = await thrown(() => checkBpmnText(bytes, 'mislabelled.bpmn'));
    expect(e.message).toMatch(/mislabelled\.bpmn is not valid utf-8 text; .*XML declaration/);
  });
});

describe('the root element check', () => {
  it.each(['bpmn', 'bpmn2', 'semantic', ''])('accepts definitions with the prefix "%s"', (prefix) => {
    const text = doc('<?xml version="1.0"?>', 'a', prefix);
    expect(checkBpmnText(text, 'ok.bpmn')).toBe(text);
  });

  it('refuses definitions bound to another namespace', async () => {
    const e = await thrown(() => checkBpmnText(doc('', 'a').replace(NS, 'http://example.com/not-bpmn'), 'ns.bpmn'));
    expect(e.message).toMatch(
      /ns\.bpmn is not a BPMN file: .*\(found <bpmn:definitions> in namespace "http:\/\/example.com\/not-bpmn"\)/,
    );
  });
});

describe('well-formedness', () => {
  const good = doc('<?xml version="1.0"?>', 'a');
  const task = '<bpmn:task id="Task_1" name="a" />';

  it('names where an unclosed element was opened and where the wrong closing tag stands', async () => {
    // given a task element whose start tag is never closed (line 4), so </bpmn:process> on line 5 closes the wrong element
    const text = good.replace(task, '<bpmn:task id="Task_1" name="a">');
    // when it goes through the gate
    const e = await thrown(() => checkBpmnText(text, 'unclosed.bpmn'));
    // then the error points at line 5, column 3 and at the element opened on line 4
    expect(e.message).toBe(
      "unclosed.bpmn:5:3: not well-formed XML: Expected closing tag 'bpmn:task' (opened in line 4, col 5) instead of closing tag 'bpmn:process'.",
    );
    expect(e.details).toEqual({ file: 'unclosed.bpmn', line: 5, column: 3 });
  });

  it.each([
    [
      'a repeated attribute',
      '<bpmn:task id="Task_1" id="Task_2" />',
      /^attr\.bpmn:4:28: not well-formed XML: Attribute 'id' is repeated/,
    ],
    ['an attribute without quotes', '<bpmn:task id="Task_1" name=a />', /^attr\.bpmn:4:28: not well-formed XML: /],
    [
      'an attribute left open',
      '<bpmn:task id="Task_1" name="a />',
      /^attr\.bpmn:4:15: not well-formed XML: Attributes for 'bpmn:task' have open quote/,
    ],
    [
      'a bare & in text',
      '<bpmn:task id="Task_1" name="a"><bpmn:documentation>R & D</bpmn:documentation></bpmn:task>',
      /^attr\.bpmn:4:59: .* char '&' is not expected/,
    ],
  ])('points at %s by line and column', async (_what, broken, message) => {
    const e = await thrown(() => checkBpmnText(good.replace(task, broken), 'attr.bpmn'));
    expect(e.message).toMatch(message);
  });

  it('refuses text after the root element, on its line', async () => {
    const e = await thrown(() => checkBpmnText(`${good}stray\n`, 'stray.bpmn'));
    expect(e.message).toBe('stray.bpmn:7:1: not well-formed XML: Extra text at the end');
  });

  it('cuts a parser message that quotes a runaway tag name', async () => {
    const e = await thrown(() => checkBpmnText(good.replace(task, `<${'<'.repeat(5000)}`), 'runaway.bpmn'));
    expect(e.message.length).toBeLessThan(300);
    expect(e.message).toMatch(/^runaway\.bpmn:4:\d+: not well-formed XML: .*\.\.\.$/);
  });

  it('lets well-formed XML through unchanged, mixed text and CDATA included (moddle judges what BPMN allows)', () => {
    const text = good.replace(
      task,
      '<bpmn:task id="Task_1" name="a &amp; b"><bpmn:documentation><![CDATA[x < y]]></bpmn:documentation></bpmn:task> loose text',
    );
    expect(checkBpmnText(text, 'ok.bpmn')).toBe(text);
  });
});

describe('the size limit', () => {
  it('refuses a file over maxBytes, naming the file, its size and the limit', async () => {
    const file = join(dir, 'small.bpmn');
    writeFileSync(file, doc('<?xml version="1.0"?>', 'a'));
    const e = await thrown(() => readBpmnFile(file, { maxBytes: 100 }));
    expect(e.message).toMatch(/small\.bpmn is too large: \d+ bytes .* exceeds the limit of 100 bytes/);
    expect(e.details).toMatchObject({ file, limit: 100 });
  });

  it('takes the limit from GRAVITY_BPMN_MAX_BYTES and rejects a nonsense value', async () => {
    process.env.GRAVITY_BPMN_MAX_BYTES = '64';
    await expect(thrown(() => checkBpmnText(doc('', 'a'), 'env.bpmn'))).resolves.toMatchObject({
      details: { limit: 64 },
    });
    process.env.GRAVITY_BPMN_MAX_BYTES = 'lots';
    await expect(thrown(() => checkBpmnText(doc('', 'a'), 'env.bpmn'))).resolves.toMatchObject({
      message: /GRAVITY_BPMN_MAX_BYTES/,
    });
  });

  it('reports a missing file as bad input naming the file', async () => {
    const e = await thrown(() => readBpmnFile(join(dir, 'nope.bpmn')));
    expect(e.message).toMatch(/cannot read .*nope\.bpmn: ENOENT/);
  });
});

describe('line helpers', () => {
  const text = doc('<?xml version="1.0"?>', 'a');

  it('gives the 1-based line of an index', () => {
    expect([lineOf(text, 0), lineOf(text, text.indexOf('<bpmn:process')), lineOf(text, text.length)]).toEqual([
      1, 3, 7,
    ]);
  });

  it('finds the line of an element by id, and nothing for an unknown id', () => {
    expect(findElementLine(text, 'Task_1')).toBe(4);
    expect(findElementLine(`<a>\n<b\n  id='x.y'/>`, 'x.y')).toBe(2);
    expect(findElementLine(text, 'Task_')).toBeUndefined();
  });
});

describe('the MIWG reference corpus', () => {
  const files = readdirSync(MIWG).filter((f) => f.endsWith('.bpmn'));

  it('has the 21 reference models', () => expect(files).toHaveLength(21));

  it.each(files)('%s passes the gate and parses without an encoding warning', async (name) => {
    const text = await readBpmnFile(join(MIWG, name));
    const { rootElement, warnings } = await createModdle().fromXML(text);
    expect(rootElement.$type).toBe('bpmn:Definitions');
    expect(warnings.filter((w) => /encoding/.test(w.message))).toEqual([]);
  });
});
