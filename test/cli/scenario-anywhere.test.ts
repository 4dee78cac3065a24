// End to end: a scenario written in any folder (no package.json, a CommonJS package, a node_modules holding another
// "gravity") imports the authoring API as `gravity/scenario` and runs with `gravity test`, `run` and `export`; a
// scenario that cannot load names its file and the line of the bad call. Through the built binary, from temp folders
// outside the repository.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { locate, SCENARIO_API } from '../../cli/load.js';
import { sandbox } from '../support/cli.js';
import { tempDir } from '../support/git-fixtures.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Writes `files` (path relative to `dir`: content) and returns `dir`. */
function write(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** The 1-based line and column of the first `needle` in `text`. */
function position(text: string, needle: string): string {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  return `${line + 1}:${lines[line].indexOf(needle) + 1}`;
}

const plain = `import { expect, scenario } from 'gravity/scenario';

export default scenario({
  name: 'written outside the repo',
  galaxy: { remotes: { origin: { files: { 'a.txt': 'a\\n' } } }, actors: { alice: {} } },
  steps: ({ alice, origin, main }) => [
    alice.commit('change a', { 'a.txt': 'changed\\n' }),
    alice.push(),
    alice.tag('v1'),
    alice.push({ tags: true }),
    expect(origin).file('a.txt', main).toBe('changed\\n'),
    expect(origin).tag('v1').toPointAt(main),
  ],
});
`;

// a CommonJS package: tsx alone would load the scenario and its helper as CommonJS
const commonjs = {
  'package.json': '{ "name": "team-scenarios", "type": "commonjs" }\n',
  'helpers.ts': `import { expect, type RepoRef } from 'gravity/scenario';

export const same = (a: RepoRef, b: RepoRef, ref: string) => expect(a).branch(ref).toEqual(b);
`,
  'with-helper.scenario.ts': `import { scenario } from 'gravity/scenario';
import { same } from './helpers.js';

export default scenario({
  name: 'in a CommonJS package, with a helper',
  galaxy: { remotes: { origin: {} }, actors: { alice: {} } },
  steps: ({ alice, origin, main }) => [
    alice.commit('one', { 'b.txt': 'b\\n' }),
    alice.commit('one, amended', { 'b.txt': 'b2\\n' }, { amend: true }),
    alice.push(),
    same(origin, alice, main),
  ],
});
`,
};

// another "gravity" in node_modules: the scenario must still get this installation's API
const shadowed = {
  'node_modules/gravity/package.json': JSON.stringify({
    name: 'gravity',
    type: 'module',
    exports: { './scenario': './scenario.js' },
  }),
  'node_modules/gravity/scenario.js': "throw new Error('the wrong gravity was loaded');\n",
  'shadowed.scenario.ts': plain.replace('written outside the repo', 'next to another gravity'),
};

let dir: string;
beforeAll(() => {
  dir = tempDir('gravity-anywhere-');
  write(join(dir, 'bare'), { 'plain.scenario.ts': plain });
  write(join(dir, 'cjs'), commonjs);
  write(join(dir, 'shadowed'), shadowed);
});

describe('a scenario in any folder', () => {
  it('imports gravity/scenario and passes with gravity test: no package.json, a CommonJS package, another gravity', async () => {
    const r = await sandbox().run(
      'test',
      join(dir, 'bare'),
      join(dir, 'cjs'),
      join(dir, 'shadowed'),
      '--reporter',
      'json',
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { passed: number; results: Array<{ name: string; status: string }> };
    expect(report.results.map((x) => `${x.name}: ${x.status}`).sort()).toEqual([
      'in a CommonJS package, with a helper: passed',
      'next to another gravity: passed',
      'written outside the repo: passed',
    ]);
  }, 120_000);

  it('runs with gravity run and exports with gravity export', async () => {
    const sb = sandbox();
    const file = join(dir, 'bare', 'plain.scenario.ts');
    const run = await sb.run('run', file, '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ workflow: 'galaxy:written-outside-the-repo', status: 'succeeded' });
    const out = join(sb.base, 'plain.bpmn');
    const exp = await sb.run('export', file, '--dialect', 'camunda7', '-o', out);
    expect(exp.code, exp.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/camunda:topic="assert\.tag"/);
  }, 120_000);

  it('names the file and the line of an unknown action option (exit 2)', async () => {
    const text = plain.replace(
      "alice.push(),\n    alice.tag('v1')",
      "alice.push({ forse: true } as never),\n    alice.tag('v1')",
    );
    const file = join(write(tempDir('gravity-anywhere-'), { 'typo.scenario.ts': text }), 'typo.scenario.ts');
    const r = await sandbox().run('test', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${file}:${position(text, 'push({ forse')}: cannot load scenario: alice: push: unknown option "forse"; did you mean "force"?`,
    );
  }, 60_000);

  it('names the file, line and column of a syntax error (exit 2)', async () => {
    const text = plain.replace("alice.tag('v1'),", "alice.tag('v1'));");
    const file = join(write(tempDir('gravity-anywhere-'), { 'syntax.scenario.ts': text }), 'syntax.scenario.ts');
    const r = await sandbox().run('run', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `${file.replace(/[.]/g, '\\.')}:${position(text, "'v1'));").split(':')[0]}:\\d+: cannot load scenario: \\S`,
      ),
    );
  }, 60_000);

  it('points at the helper line when the bad call is in a file the scenario imports', async () => {
    const helper = `import type { Actor } from 'gravity/scenario';\nexport const sync = (a: Actor) => a.fetch({ prun: true } as never);\n`;
    const folder = write(tempDir('gravity-anywhere-'), {
      'helper.ts': helper,
      'uses-helper.scenario.ts': `import { scenario } from 'gravity/scenario';
import { sync } from './helper.js';
export default scenario({
  name: 'bad helper',
  galaxy: { remotes: { origin: {} }, actors: { alice: {} } },
  steps: ({ alice }) => [sync(alice)],
});
`,
    });
    const r = await sandbox().run('test', join(folder, 'uses-helper.scenario.ts'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(folder, 'uses-helper.scenario.ts')}: cannot load scenario: alice: fetch: unknown option "prun"; did you mean "prune"? (options: title, retry, timeoutMs, remote, prune) (at ${join(folder, 'helper.ts')}:${position(helper, 'fetch(')})`,
    );
  }, 60_000);
});

describe('the gravity/scenario export', () => {
  it('is the package name plus ./scenario, built, with its types', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, { types: string; default: string }>;
    };
    expect(SCENARIO_API).toBe(`${pkg.name}/scenario`);
    expect(pkg.exports['./scenario']).toEqual({
      types: './workflows/galaxy/scenario.ts',
      default: './dist/workflows/galaxy/scenario.js',
    });
    for (const f of Object.values(pkg.exports['./scenario']))
      expect(readFileSync(join(ROOT, f), 'utf8')).toMatch(/export function scenario/);
  });
});

describe('locate (where a scenario failed to load)', () => {
  const error = (message: string, frames: string[]) => {
    const e = new Error(message);
    e.stack = [`Error: ${message}`, ...frames.map((f) => `    at ${f}`)].join('\n');
    return e;
  };

  it("takes the innermost frame that is not gravity's code nor a dependency, as a path or a file URL", () => {
    const e = error('alice: pull: unknown option "rebase"', [
      `refuseUnknownOptions (${ROOT}/engine/builder.ts:127:11)`,
      `Actor.pull (${ROOT}/dist/workflows/galaxy/scenario.js:145:10)`,
      `wrap (/home/me/app/node_modules/helper/index.js:3:3)`,
      `Object.steps (file:///home/me/s/x.scenario.ts?tsx-namespace=1:6:11)`,
      `async /home/me/s/other.ts:1:1`,
    ]);
    expect(locate(e)).toEqual({
      message: 'alice: pull: unknown option "rebase"',
      where: { at: '/home/me/s/x.scenario.ts', line: 6, column: 11 },
    });
  });

  it("keeps a scenario of the installation's own folders (its examples) as the author's", () => {
    const file = `${ROOT}/workflows/galaxy/examples/x.scenario.ts`;
    const e = error('boom', [`scenario (${ROOT}/workflows/galaxy/scenario.ts:290:22)`, `<anonymous> (${file}:4:16)`]);
    expect(locate(e).where).toEqual({ at: file, line: 4, column: 16 });
  });

  it("reads esbuild's syntax errors from the message, and gives no place when there is none", () => {
    expect(
      locate(new Error('Transform failed with 1 error:\n/tmp/s/x.scenario.ts:6:32: ERROR: Expected "}" but found ")"')),
    ).toEqual({ message: 'Expected "}" but found ")"', where: { at: '/tmp/s/x.scenario.ts', line: 6, column: 32 } });
    expect(locate(error("Cannot find module 'nope'", ['node:internal/modules/esm/resolve:1:1']))).toEqual({
      message: "Cannot find module 'nope'",
    });
  });
});
