// The list of dialects is the one place a dialect is declared: detection, CLI choices, known prefixes and moddle packages derive
// from it, no other source file spells a dialect's namespace or name (import circles: test/architecture/imports.test.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { task, workflow } from '../../engine/index.js';
import { exportBpmn } from '../../bpmn/export.js';
import { importBpmn } from '../../bpmn/import.js';
import { createModdle, type ModdleElement } from '../../bpmn/moddle.js';
import { captureForeign, isOwnPrefix } from '../../bpmn/preserve.js';
import { defaultDialect, detectDialect, dialectNamed, dialectNames, dialects } from '../../bpmn/dialects/index.js';
import { DIALECT_CHOICES, EXPORT_DIALECT_HELP, IMPORT_DIALECTS } from '../../cli/commands/bpmn.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BPMN_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const small = () => workflow({ id: 'test:detect', steps: task('a', 'log.info', { message: 'x' }) });
const declaring = (...ds: (typeof dialects)[number][]) =>
  `<bpmn:definitions xmlns:bpmn="${BPMN_NS}" ${ds.map((d) => `xmlns:${d.prefix}="${d.namespace}"`).join(' ')}></bpmn:definitions>`;

/** Source files (not tests, not fixtures) of the folders tsconfig.json compiles, plus bin/. */
function sourceFiles(): string[] {
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts|js|mjs|json)$/.test(name)) out.push(p);
    }
  };
  for (const d of [...tsconfig.include, 'bin']) walk(join(ROOT, d));
  return out;
}

describe('the declaration of a dialect', () => {
  it('names, namespaces and prefixes no two dialects share', () => {
    for (const key of ['name', 'namespace', 'prefix', 'precedence'] as const)
      expect(new Set(dialects.map((d) => d[key])).size).toBe(dialects.length);
  });

  it.each(dialects.map((d) => [d.name, d] as const))(
    'of %s matches its moddle package, which is what its moddle loads',
    (_name, d) => {
      expect(d.descriptor.uri).toBe(d.namespace);
      expect(d.descriptor.prefix).toBe(d.prefix);
      expect(d.packages).toEqual({ [d.prefix]: d.descriptor });
      const moddle = createModdle(d.packages) as unknown as { getPackage(prefix: string): { uri: string } | undefined };
      expect(moddle.getPackage(d.prefix)?.uri).toBe(d.namespace);
    },
  );

  it('makes exactly one dialect the export default and one the reader of plain BPMN', () => {
    expect(dialects.filter((d) => d.exportDefault)).toEqual([defaultDialect]);
    expect(dialects.filter((d) => d.readsPlainBpmn)).toHaveLength(1);
  });

  it('names the dialect an unknown name does not, with a coded error listing the known ones', () => {
    expect(dialectNamed('zeebe').name).toBe('zeebe');
    const refusal = { code: 'BAD_INPUT', message: 'unknown dialect "jbpm": expected gravity, camunda7 or zeebe' };
    expect(() => dialectNamed('jbpm')).toThrow(expect.objectContaining(refusal));
  });
});

describe('detection, from the list', () => {
  it.each(dialectNames)(
    'reads a file the %s dialect exports as that dialect, by the namespace it declares',
    async (name) => {
      const d = dialectNamed(name);
      const xml = await exportBpmn(small(), { dialect: name });
      expect(xml).toContain(`xmlns:${d.prefix}="${d.namespace}"`);
      expect(detectDialect(xml)).toBe(name);
      expect((await importBpmn(xml)).dialect).toBe(name);
    },
  );

  it('reads a file declaring no dialect namespace in the plain-BPMN dialect (Camunda 7)', () => {
    expect(detectDialect(declaring())).toBe(dialects.find((d) => d.readsPlainBpmn)!.name);
    expect(detectDialect(declaring())).toBe('camunda7');
  });

  it.each([
    [['zeebe', 'gravity'], 'zeebe'],
    [['gravity', 'camunda7'], 'gravity'],
    [['camunda7', 'zeebe'], 'zeebe'],
    [['gravity', 'camunda7', 'zeebe'], 'zeebe'],
  ] as const)('reads a file declaring the namespaces of %j as %s (the highest precedence)', (names, expected) => {
    expect(detectDialect(declaring(...names.map(dialectNamed)))).toBe(expected);
  });
});

describe('the CLI, from the list', () => {
  it('offers every dialect of the list, in its order, as the choices of --dialect', () => {
    expect(DIALECT_CHOICES).toEqual(dialects.map((d) => d.name));
  });

  it('says what it always said in the help of export and import', () => {
    expect(EXPORT_DIALECT_HELP).toBe('gravity (default), camunda7 (Kytes) or zeebe');
    expect(IMPORT_DIALECTS).toBe('gravity, Camunda 7 or Zeebe');
  });

  it('gives every --dialect option of the program the choices of the list, and its help text', () => {
    const main = readFileSync(join(ROOT, 'cli/main.ts'), 'utf8');
    const options = main.split('\n').filter((l) => l.includes("new Option('--dialect"));
    expect(options).toHaveLength(2);
    for (const line of options) expect(line).toContain('.choices(DIALECT_CHOICES)');
    expect(main).toContain("new Option('--dialect <dialect>', EXPORT_DIALECT_HELP)");
    expect(main).toContain('(${IMPORT_DIALECTS} dialect)');
  });
});

describe('known prefixes, from the list', () => {
  it("never keeps a dialect's attributes or extension elements as another vendor's data", () => {
    const el = {
      $type: 'bpmn:ServiceTask',
      $attrs: Object.fromEntries([
        ...dialects.map((d) => [`${d.prefix}:x`, '1']),
        ['xmlns:acme', 'urn:acme'],
        ['acme:y', '2'],
      ]),
      extensionElements: {
        values: [...dialects.map((d) => ({ $type: `${d.prefix}:thing` })), { $type: 'acme:thing', $children: [] }],
      },
    } as unknown as ModdleElement;
    expect(captureForeign(el)).toEqual({
      attrs: { 'acme:y': '2' },
      ext: [{ type: 'acme:thing', attrs: {}, children: [] }],
    });
    for (const d of dialects) expect(isOwnPrefix(d.prefix)).toBe(true);
    expect(isOwnPrefix('acme')).toBe(false);
  });
});

describe('one place per dialect', () => {
  // a dialect named like the project (gravity) cannot be told from the project's name (`new Command('gravity')`): its name is not searched
  const project = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string }).name;

  it("leaves every dialect namespace URI and quoted dialect name (but the project's own) to bpmn/dialects/", () => {
    const found: string[] = [];
    for (const file of sourceFiles()) {
      const rel = relative(ROOT, file);
      if (rel.startsWith('bpmn/dialects/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const d of dialects) {
        if (text.includes(d.namespace)) found.push(`${rel}: ${d.namespace}`);
        if (d.name !== project && new RegExp(`['"\`]${d.name}['"\`]`).test(text)) found.push(`${rel}: '${d.name}'`);
      }
    }
    expect(found).toEqual([]);
  });
});
