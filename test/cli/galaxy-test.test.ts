// End to end: `gravity test` runs git-workflow scenarios as a suite, through the real binary and real git.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sandbox } from '../support/cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../workflows/galaxy/examples');
const BROKEN = resolve(import.meta.dirname, '../fixtures/scenarios');

describe('gravity test', () => {
  it('runs the shipped example scenarios by default and they all pass', async () => {
    const r = await sandbox().run('test', '--reporter', 'json', '--jobs', '2');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ passed: 6, failed: 0 });
    expect(report.results.map((x: { name: string }) => x.name).sort()).toEqual([
      'amend a pushed commit and force-push it',
      'feature branch merged into main',
      'git-flow release and hotfix',
      'pre-receive hook refuses force pushes to main',
      'rebase with a conflict resolved by a step',
      'two actors pushing concurrently',
    ]);
    expect(readdirSync(EXAMPLES).filter((f) => f.endsWith('.scenario.ts'))).toHaveLength(6);
  }, 120_000);

  it('fails with exit 1 naming the failing step and expected vs actual, and keeps the galaxy on --keep', async () => {
    const r = await sandbox().run('test', BROKEN, '--keep');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ expects what did not happen \[file, main\]/);
    expect(r.stdout).toMatch(/at step <s3_bob_file>: assert\.file-content: .*a\.txt is "a\\n", expected "changed\\n"/);
    const kept = /galaxy kept in (\S+)/.exec(r.stdout)?.[1];
    expect(kept && existsSync(join(kept, 'remotes'))).toBe(true);
    rmSync(kept!, { recursive: true, force: true });
    expect(r.stdout).toMatch(/0 passed, 1 failed/);
  }, 60_000);

  it('writes JUnit XML that CI systems read', async () => {
    const r = await sandbox().run('test', BROKEN, EXAMPLES, '--filter', 'expects', '--reporter', 'junit');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="gravity" tests="1" failures="1"/,
    );
    expect(r.stdout).toMatch(
      /<testcase classname="[^"]*wrong-expectation\.scenario\.ts" name="expects what did not happen \[file, main\]" time="[\d.]+">\s*<failure message="assert\.file-content: [^"]*&quot;a\\n&quot;, expected &quot;changed\\n&quot;" type="s3_bob_file">/,
    );
  }, 60_000);

  it('runs one scenario in every universe with --matrix (3 transports x 2 default branches)', async () => {
    const r = await sandbox().run(
      'test',
      EXAMPLES,
      '--filter',
      'concurrently',
      '--matrix',
      '--jobs',
      '3',
      '--reporter',
      'json',
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const runs = JSON.parse(r.stdout)
      .results.map(
        (x: { transport: string; branch: string; status: string }) => `${x.transport}/${x.branch}/${x.status}`,
      )
      .sort();
    expect(runs).toEqual([
      'daemon/main/passed',
      'daemon/master/passed',
      'file/main/passed',
      'file/master/passed',
      'http/main/passed',
      'http/master/passed',
    ]);
  }, 120_000);

  it('runs a scenario exported to BPMN (Camunda 7 dialect) the same way', async () => {
    const sb = sandbox();
    const file = join(sb.base, 'rebase.scenario.bpmn');
    const exp = await sb.run(
      'export',
      join(EXAMPLES, 'rebase-conflict.scenario.ts'),
      '--dialect',
      'camunda7',
      '-o',
      file,
    );
    expect(exp.code, exp.stderr).toBe(0);
    const r = await sb.run('test', file, '--transport', 'http', '--branch', 'master', '--reporter', 'json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({
      name: 'rebase with a conflict resolved by a step',
      transport: 'http',
      branch: 'master',
      status: 'passed',
    });
  }, 60_000);

  it.each([
    [['--reporter', 'tap'], /tap/],
    [['--jobs', '0'], /option '--jobs <n>' argument '0' is invalid\. expected a whole number from 1 to 64/],
    [['--filter', 'no-such-scenario'], /no scenario found matching "no-such-scenario"/],
    [['nowhere/'], /nowhere\/: no such file or folder/],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await sandbox().run('test', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
