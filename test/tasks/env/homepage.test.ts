// env.homepage on a real temp folder: the page of an environment is the golden file of test/fixtures/env/ (the
// generation time is an input), parses as well-formed markup whose texts read back as the model's (escaped, nothing
// injected), links the sites, the homepage and the tools, shows each machine's address and state, loads nothing from
// elsewhere; the same model and time give the same bytes; rollback puts the previous page back.
//
// The golden file: UPDATE_GOLDEN=1 npx vitest run test/tasks/env   rewrites test/fixtures/env/ (read the diff).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../../engine/schema-keys.js';
import { envHomepage } from '../../../tasks/index.js';
import { envHomepageInput, escapeHtml, renderHomepage } from '../../../tasks/env/homepage.js';
import { ENV_MODEL, golden } from '../../support/env-model.js';
import { tempDir } from '../../support/git-fixtures.js';
import { compensate, rejection, runTask } from '../context.js';

const AT = '2026-12-05T14:00:00Z';

/** A parsed element: its name, attributes and children, in document order. */
interface El {
  name: string;
  attrs: Record<string, string>;
  children: (El | string)[];
}

/** The page parsed as XML (it must be well-formed), as a tree of elements. */
function parse(html: string): El {
  expect(XMLValidator.validate(html)).toBe(true);
  const raw = new XMLParser({
    ignoreAttributes: false,
    preserveOrder: true,
    htmlEntities: true,
    trimValues: false,
    parseTagValue: false,
  }).parse(html) as Node[];
  type Node = Record<string, unknown>;
  const convert = (n: Node): El | string => {
    if ('#text' in n) return String(n['#text']);
    const name = Object.keys(n).find((k) => k !== ':@')!;
    const attrs = Object.fromEntries(
      Object.entries((n[':@'] ?? {}) as Record<string, string>).map(([k, v]) => [k.replace(/^@_/, ''), v]),
    );
    return { name, attrs, children: (n[name] as Node[]).map(convert) };
  };
  const html_ = raw.map(convert).find((e): e is El => typeof e !== 'string' && e.name === 'html');
  expect(html_).toBeDefined();
  return html_!;
}
const all = (e: El, name: string): El[] =>
  e.children.flatMap((c) => (typeof c === 'string' ? [] : [...(c.name === name ? [c] : []), ...all(c, name)]));
const inner = (e: El | string): string => (typeof e === 'string' ? e : e.children.map(inner).join(''));
/** An element's text as a reader sees it: white space collapsed. */
const text = (e: El | string): string => inner(e).replace(/\s+/g, ' ').trim();
/** The rows of the table following the heading `h2`: each row's cells as text. */
const rowsAfter = (page: El, h2: string): string[][] => {
  const body = all(page, 'body')[0]!;
  const i = body.children.findIndex((c) => typeof c !== 'string' && c.name === 'h2' && text(c) === h2);
  const next = body.children.slice(i + 1).find((c): c is El => typeof c !== 'string')!;
  if (next.name !== 'table') return [];
  return all(all(next, 'tbody')[0]!, 'tr').map((tr) => all(tr, 'td').map(text));
};

describe('env.homepage', () => {
  it('writes the page of the environment: sites, machines with their states, tools, the time', async () => {
    const root = tempDir('gravity-env-home-');
    const out = await runTask(envHomepage, { model: ENV_MODEL, path: 'www/index.html', generatedAt: AT }, { root });
    expect(out).toMatchObject({
      path: join(root, 'www/index.html'),
      changed: true,
      previous: null,
      url: 'http://1161.acme.dev.example.test/',
      generatedAt: AT,
    });
    const html = readFileSync(out.path, 'utf8');
    expect(out.bytes).toBe(Buffer.byteLength(html));
    golden('homepage.html', html);
    expect(readdirSync(join(root, 'www'))).toEqual(['index.html']);

    const page = parse(html);
    expect(text(all(page, 'title')[0]!)).toBe('1161.acme.dev.example.test');
    expect(all(page, 'time')[0]!.attrs.datetime).toBe(AT);
    expect(text(all(page, 'time')[0]!)).toBe('2026-12-05 14:00:00 UTC');
    expect(rowsAfter(page, 'Sites')).toEqual([
      ['The "main" site <& co> (www)', 'http://www.1161.acme.dev.example.test/', 'web (10.61.0.10), port 80'],
      ['blog', 'http://blog.1161.acme.dev.example.test/', 'web (10.61.0.10), port 8080'],
      ["Bob's shop (shop)", 'http://shop.1161.acme.dev.example.test/', 'shop (10.61.0.11), port 80'],
    ]);
    expect(rowsAfter(page, 'Machines')).toEqual([
      ['web', 'site', '10.61.0.10', 'running'],
      ['shop', 'site', '10.61.0.11', 'poweroff'],
      ['db', 'service', '10.61.0.20', 'unknown'],
    ]);
    expect(rowsAfter(page, 'Tools')).toEqual([
      ['phpMyAdmin', 'http://10.61.0.20:8081/pma/', 'db (10.61.0.20)'],
      ['RabbitMQ <management>', 'http://10.61.0.20:15672/', 'db (10.61.0.20)'],
    ]);
    // every link is a page of the environment; nothing is loaded from elsewhere (no script, stylesheet, image, font)
    expect(all(page, 'a').map((a) => a.attrs.href)).toEqual([
      'http://1161.acme.dev.example.test/',
      'http://www.1161.acme.dev.example.test/',
      'http://blog.1161.acme.dev.example.test/',
      'http://shop.1161.acme.dev.example.test/',
      'http://10.61.0.20:8081/pma/',
      'http://10.61.0.20:15672/',
    ]);
    for (const tag of ['script', 'link', 'img', 'iframe', 'object', 'embed']) expect(all(page, tag)).toEqual([]);
    expect(html).not.toMatch(/src=|@import|url\(/);
  });

  it('escapes every text: markup in a name or title is shown, never run', async () => {
    const hostile = '</td><script>alert("x")</script><td a=\'1\'>&amp;';
    const model = {
      ...ENV_MODEL,
      sites: [{ name: 'www', machine: 'web', title: hostile }],
      tools: [{ name: hostile, machine: 'db', port: 1 }],
      machines: ENV_MODEL.machines.map((m) => ({ ...m, state: hostile.slice(0, 40) })),
    };
    const html = renderHomepage(envHomepageInput.parse({ model }).model, AT);
    const page = parse(html);
    expect(all(page, 'script')).toEqual([]);
    expect(rowsAfter(page, 'Sites')[0]![0]).toBe(`${hostile} (www)`);
    expect(rowsAfter(page, 'Tools')[0]![0]).toBe(hostile);
    expect(rowsAfter(page, 'Machines')[0]![3]).toBe(hostile.slice(0, 40));
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('says so when there are no sites, machines or tools', () => {
    const page = parse(
      renderHomepage({ ...envHomepageInput.parse({ model: ENV_MODEL }).model, sites: [], tools: [], machines: [] }, AT),
    );
    expect(all(page, 'table')).toEqual([]);
    expect(all(page, 'p').map(text)).toEqual(expect.arrayContaining(['No sites.', 'No machines.', 'No tools.']));
  });

  it('gives the same bytes for the same model and time, and shows the time of each generation', async () => {
    const root = tempDir('gravity-env-home-');
    const first = await runTask(envHomepage, { model: ENV_MODEL, generatedAt: AT }, { root });
    const a = readFileSync(first.path, 'utf8').split('\n');
    const same = await runTask(envHomepage, { model: ENV_MODEL, generatedAt: AT }, { root });
    expect(same).toMatchObject({ path: join(root, 'index.html'), changed: false });
    const before = Date.now();
    const now = await runTask(envHomepage, { model: ENV_MODEL }, { root });
    expect(now.changed).toBe(true);
    expect(Date.parse(now.generatedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(now.generatedAt)).toBeLessThanOrEqual(Date.now());
    // only the time differs
    const b = readFileSync(now.path, 'utf8').split('\n');
    expect(b.filter((l, i) => l !== a[i]).map((l) => l.replace(/\d{4}-\d\d-\d\d[T ][\d:.]+(Z| UTC)/g, 'T'))).toEqual([
      expect.stringContaining('Generated at <time datetime="T">T</time>'),
    ]);
  });

  it('puts the previous page back on rollback and removes one it created', async () => {
    const root = tempDir('gravity-env-home-');
    writeFileSync(join(root, 'index.html'), '<p>old</p>\n');
    const raw = { model: ENV_MODEL, generatedAt: AT };
    const out = await runTask(envHomepage, raw, { root });
    await compensate(envHomepage, root, raw, out);
    expect(readFileSync(join(root, 'index.html'), 'utf8')).toBe('<p>old</p>\n');

    const other = tempDir('gravity-env-home-');
    const made = await runTask(envHomepage, { model: ENV_MODEL }, { root: other });
    await compensate(envHomepage, other, { model: ENV_MODEL }, made);
    expect(existsSync(made.path)).toBe(false);
  });

  it('refuses a time that is not one and a path outside the run root, naming them', async () => {
    const r = envHomepageInput.safeParse({ model: ENV_MODEL, generatedAt: 'yesterday' });
    expect(describeIssues(envHomepageInput, r.error!.issues)).toMatch(/^generatedAt: /);
    const e = await rejection(runTask(envHomepage, { model: ENV_MODEL, path: '../x.html' }, { root: tempDir() }));
    expect(e.code).toBe('PATH_OUTSIDE_ROOT');
    expect(envHomepage.plan!(envHomepageInput.parse({ model: ENV_MODEL }))).toEqual([
      'write the homepage of 1161.acme.dev.example.test to index.html: 3 site(s), 3 machine(s), 2 tool(s)',
    ]);
  });
});
