// Hostile and oversized BPMN inputs: entity bombs, XXE, huge files, non-XML, and a very long but honest process.
import { describe, it, expect, vi, beforeAll, afterEach } from 'vitest';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError, serializeError } from '../../engine/errors.js';
import { checkBpmnText, readBpmnFile } from '../../bpmn/read-xml.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { tempDir } from '../support/git-fixtures.js';

// readFile is wrapped (still the real one) so a test can prove a file was never read whole.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, default: real, readFile: vi.fn(real.readFile) };
});

const FIXTURES = join(import.meta.dirname, '../fixtures/bpmn/hostile');
const NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const DOCTYPE = /DOCTYPE declarations are not allowed in BPMN files \(entity expansion \/ external entities\)/;
const NOT_BPMN = /is not a BPMN file: expected an XML document with a bpmn:definitions root/;

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
  dir = tempDir('gravity-hostile-');
});
afterEach(() => vi.restoreAllMocks());

describe('entity declarations', () => {
  it.each([
    ['billion-laughs.bpmn', 2],
    ['xxe.bpmn', 2],
    ['xxe-parameter-entity.bpmn', 3],
  ])('refuses %s, naming the file and the DOCTYPE line %i', async (name, line) => {
    const file = join(FIXTURES, name);
    const e = await thrown(() => readBpmnFile(file));
    expect(e.message).toMatch(DOCTYPE);
    expect(e.message.startsWith(`${file}:${line}: `)).toBe(true);
    expect(e.details).toEqual({ file, line });
  });

  it('refuses a stray <!ENTITY even without a DOCTYPE around it', async () => {
    const text = `<definitions xmlns="${NS}">\n<!ENTITY x "y">\n</definitions>`;
    expect((await thrown(() => checkBpmnText(text, 'stray.bpmn'))).message).toMatch(
      /^stray\.bpmn:2: DOCTYPE declarations/,
    );
  });

  it('never lets the content of /etc/passwd reach any output', async () => {
    // given the XXE fixture, with stdout and stderr recorded
    const written: string[] = [];
    const record = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(record);
    vi.spyOn(process.stderr, 'write').mockImplementation(record);
    // when it goes through the gate
    const e = await thrown(() => readBpmnFile(join(FIXTURES, 'xxe.bpmn')));
    vi.restoreAllMocks();
    // then nothing anywhere carries a line of /etc/passwd
    const output = [e.message, e.stack, JSON.stringify(serializeError(e)), ...written].join('\n');
    const secrets = existsSync('/etc/passwd')
      ? readFileSync('/etc/passwd', 'utf8')
          .split('\n')
          .filter((l) => l.includes(':'))
      : [];
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(output).not.toContain(secret);
    expect(output).not.toMatch(/root:.*:0:0:/);
  });
});

describe('oversized files', () => {
  it('refuses a 50 MB file from its size alone, without reading it', async () => {
    // given a 50 MB BPMN-looking file, written in 1 MiB chunks
    const file = join(dir, 'huge.bpmn');
    const fd = openSync(file, 'w');
    writeSync(fd, `<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="${NS}"><bpmn:process id="P">`);
    const chunk = Buffer.from('<bpmn:task id="T" />\n'.repeat(Math.ceil((1024 * 1024) / 21)).slice(0, 1024 * 1024));
    for (let i = 0; i < 50; i++) writeSync(fd, chunk);
    writeSync(fd, '</bpmn:process></bpmn:definitions>\n');
    closeSync(fd);
    vi.mocked(readFile).mockClear();
    const before = process.memoryUsage();
    // when it goes through the gate with the default 20 MiB limit
    const e = await thrown(() => readBpmnFile(file));
    const after = process.memoryUsage();
    // then the size error names file, size and limit, readFile was never called and memory barely moved
    expect(e.message).toMatch(
      /huge\.bpmn is too large: 52\d{6} bytes \(50\.0 MiB\) exceeds the limit of 20971520 bytes \(20\.0 MiB\)/,
    );
    expect(e.details).toMatchObject({ file, limit: 20 * 1024 * 1024 });
    expect(readFile).not.toHaveBeenCalled();
    const growth = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    expect(growth).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('files that are not BPMN at all', () => {
  // deterministic "random" bytes (a linear congruential generator), so a failure can be replayed
  let seed = 42;
  const noise = Buffer.from(
    Array.from({ length: 4096 }, () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24),
  );

  it.each([
    ['random bytes', 'noise.bin', noise],
    ['a JSON file', 'not-bpmn.json', readFileSync(join(FIXTURES, 'not-bpmn.json'))],
    ['an empty file', 'empty.bpmn', Buffer.alloc(0)],
    ['an HTML page mentioning BPMN', 'page.html', readFileSync(join(FIXTURES, 'page.html'))],
    ['a DMN file', 'dmn.bpmn', readFileSync(join(FIXTURES, 'dmn.bpmn'))],
  ])('refuses %s, naming the file', async (_what, name, bytes) => {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    const e = await thrown(() => readBpmnFile(file));
    expect(e.message).toMatch(NOT_BPMN);
    expect(e.message.startsWith(`${file} is not a BPMN file`)).toBe(true);
    expect(e.details).toEqual({ file });
  });
});

describe('a very long honest process', () => {
  it('parses 10 000 service tasks in sequence with zero warnings', { timeout: 60_000 }, async () => {
    // given a process start -> Task_1 -> ... -> Task_10000 -> end
    const n = 10_000;
    const ids = ['Start', ...Array.from({ length: n }, (_, i) => `Task_${i + 1}`), 'End'];
    const tasks = ids.slice(1, -1).map((id) => `    <bpmn:serviceTask id="${id}" name="step ${id}" />`);
    const flows = ids
      .slice(1)
      .map((id, i) => `    <bpmn:sequenceFlow id="Flow_${i}" sourceRef="${ids[i]}" targetRef="${id}" />`);
    const xml = [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<bpmn:definitions xmlns:bpmn="${NS}" id="Defs" targetNamespace="http://example.com/long">`,
      `  <bpmn:process id="Long" isExecutable="true">`,
      `    <bpmn:startEvent id="Start" />`,
      ...tasks,
      `    <bpmn:endEvent id="End" />`,
      ...flows,
      `  </bpmn:process>`,
      `</bpmn:definitions>`,
    ].join('\n');
    // when it passes the gate and the parser
    const { rootElement, warnings } = await createModdle().fromXML(checkBpmnText(xml, 'long.bpmn'));
    // then every element is there and wired
    const elements = rootElement.rootElements[0].flowElements as ModdleElement[];
    expect(warnings).toEqual([]);
    expect(elements.filter((e) => e.$type === 'bpmn:ServiceTask')).toHaveLength(n);
    const flowsParsed = elements.filter((e) => e.$type === 'bpmn:SequenceFlow');
    expect(flowsParsed).toHaveLength(n + 1);
    expect(flowsParsed[n].sourceRef.id).toBe('Task_10000');
  });
});

describe('a very large process', () => {
  it('imports and exports 10 000 service tasks in sequence within the memory budget', async () => {
    const { importBpmn, exportBpmn } = await import('../../bpmn/index.js');
    const n = 10_000;
    const parts = ['<bpmn:startEvent id="S"/>'];
    for (let i = 0; i < n; i++)
      parts.push(
        `<bpmn:serviceTask id="T${i}"><bpmn:extensionElements><gravity:task type="log.info"><gravity:input name="message">"m${i}"</gravity:input></gravity:task></bpmn:extensionElements></bpmn:serviceTask>`,
      );
    parts.push('<bpmn:endEvent id="E"/>', '<bpmn:sequenceFlow id="f0" sourceRef="S" targetRef="T0"/>');
    for (let i = 0; i < n - 1; i++)
      parts.push(`<bpmn:sequenceFlow id="f${i + 1}" sourceRef="T${i}" targetRef="T${i + 1}"/>`);
    parts.push(`<bpmn:sequenceFlow id="fe" sourceRef="T${n - 1}" targetRef="E"/>`);
    const xml = `<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:gravity="https://gravity.kytes.dev/schema/bpmn/1.0" id="D" targetNamespace="t"><bpmn:process id="P" isExecutable="true">${parts.join('')}</bpmn:process></bpmn:definitions>`;
    const { definition } = await importBpmn(xml);
    expect(Object.keys(definition.machine.states)).toHaveLength(n + 1);
    expect(definition.machine.states.T9999.onDone).toBe('E');
    const out = await exportBpmn(definition);
    expect((out.match(/<bpmndi:BPMNShape /g) ?? []).length).toBe(n + 2);
    expect(process.memoryUsage().rss).toBeLessThan(1024 ** 3);
  }, 120_000);
});
