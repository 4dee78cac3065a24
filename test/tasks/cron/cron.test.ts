// cron.install-block, cron.remove-block and cron.list against the real crontab of a throwaway user (crontab -u): the
// lines around gravity's block are kept byte for byte, the same block twice is one block, a line crontab -n refuses
// installs nothing, rollback puts the block back; and the text functions on what crontab cannot install.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore, type Store, type TaskDefinition } from '../../../engine/index.js';
import { cronInstallBlock, cronList, cronRemoveBlock } from '../../../tasks/index.js';
import { findBlocks, setBlock } from '../../../tasks/cron/support.js';
import { createCronUser, type CronUser } from '../../support/cron.js';
import { tempDir } from '../../support/git-fixtures.js';
import { contextFor, rejection } from '../context.js';

// what a user's crontab may hold besides gravity: comments, environment lines, blank lines, jobs with % and tabs
const FOREIGN = [
  '# m h  dom mon dow   command',
  'MAILTO=""',
  'SHELL=/bin/bash',
  '',
  '*/5 * * * *\t/usr/bin/backup-home --to /mnt/x > /dev/null 2>&1',
  "30 2 * * 1 date +\\%F >> '/var/log/weekly log'",
  '',
  '',
].join('\n');

const JOB = "0 */4 * * * '/usr/bin/node' '/opt/gravity/bin/gravity.mjs' run gitlab:backup >>'/tmp/x.log' 2>&1";

let u: CronUser;
let store: Store;
beforeAll(() => {
  u = createCronUser('t');
});
afterAll(() => u?.remove());
beforeEach(() => {
  u.clear();
  store = createMemoryStore();
});

/** Runs a cron task node on the test user's crontab. */
async function run<I, O>(task: TaskDefinition<I, O>, input: object) {
  const { ctx, lines } = contextFor(task, { user: u.name, ...input }, { root: tempDir('gravity-cron-') });
  ctx.store = store;
  return { output: task.output.parse(await task.run(ctx)), ctx, lines };
}

const block = (marker: string, lines: string[]) =>
  [`# BEGIN gravity ${marker}`, ...lines, `# END gravity ${marker}`, ''].join('\n');

describe('cron.install-block and cron.remove-block', () => {
  it('append the block after the foreign lines, kept byte for byte; twice is one block; remove gives them back', async () => {
    u.install(FOREIGN);
    expect(u.list()).toBe(FOREIGN);
    const first = await run(cronInstallBlock, { marker: 'gitlab:backup alpha', lines: [JOB] });
    expect(first.output).toMatchObject({ user: u.name, changed: true, previous: null });
    expect(u.list()).toBe(FOREIGN + block('gitlab:backup alpha', [JOB]));

    const again = await run(cronInstallBlock, { marker: 'gitlab:backup alpha', lines: [JOB] });
    expect(again.output.changed).toBe(false);
    expect(again.output.report).toMatch(/holds this block already/);
    expect(u.list()).toBe(FOREIGN + block('gitlab:backup alpha', [JOB]));

    const removed = await run(cronRemoveBlock, { marker: 'gitlab:backup alpha' });
    expect(removed.output).toMatchObject({ removed: true, previous: [JOB] });
    expect(u.list()).toBe(FOREIGN);
    const none = await run(cronRemoveBlock, { marker: 'gitlab:backup alpha' });
    expect(none.output.removed).toBe(false);
    expect(u.list()).toBe(FOREIGN);
  });

  it('replace a block where it is, leaving the lines after it and the other blocks alone', async () => {
    const after = '# after\n15 3 * * * /bin/true\n';
    u.install(
      FOREIGN + block('gitlab:backup alpha', ['1 1 * * * /bin/old']) + after + block('gitlab:backup beta', [JOB]),
    );
    const r = await run(cronInstallBlock, { marker: 'gitlab:backup alpha', lines: [JOB] });
    expect(r.output).toMatchObject({ changed: true, previous: ['1 1 * * * /bin/old'] });
    expect(u.list()).toBe(FOREIGN + block('gitlab:backup alpha', [JOB]) + after + block('gitlab:backup beta', [JOB]));
    await run(cronRemoveBlock, { marker: 'gitlab:backup alpha' });
    expect(u.list()).toBe(FOREIGN + after + block('gitlab:backup beta', [JOB]));
  });

  it('create a crontab for a user without one, and remove it when the block was all of it', async () => {
    expect(u.list()).toBeNull();
    await run(cronInstallBlock, { marker: 'm1', lines: ['@daily /bin/true'] });
    expect(u.list()).toBe(block('m1', ['@daily /bin/true']));
    await run(cronRemoveBlock, { marker: 'm1' });
    expect(u.list()).toBeNull();
  });

  it('refuse a line crontab -n rejects, naming it, and install nothing', async () => {
    u.install(FOREIGN + block('gitlab:backup alpha', [JOB]));
    const before = u.list();
    const bad = '61 * * * * /bin/true';
    const e = await rejection(run(cronInstallBlock, { marker: 'gitlab:backup alpha', lines: [bad] }));
    expect(e.message).toContain('crontab -n refused the new crontab');
    expect(e.message).toContain(bad);
    expect(e.message).toMatch(/bad minute/);
    expect(u.list()).toBe(before);
  });

  it('refuse a crontab with CRLF line ends (crontab -l shows them as \\r), changing nothing', async () => {
    const crlf = 'MAILTO=""\r\n0 1 * * * /bin/true\r\n';
    u.install(crlf);
    const before = u.list();
    expect(before).toContain('\\r\n'); // what Debian's crontab -l does with a carriage return
    const e = await rejection(run(cronInstallBlock, { marker: 'x', lines: ['@daily /bin/true'] }));
    expect(e.message).toMatch(/carriage return/);
    expect(u.list()).toBe(before);
  });

  it('refuse a broken block (a BEGIN without its END), changing nothing', async () => {
    const broken = `${FOREIGN}# BEGIN gravity gitlab:backup alpha\n${JOB}\n`;
    u.install(broken);
    const e = await rejection(run(cronInstallBlock, { marker: 'gitlab:backup beta', lines: [JOB] }));
    expect(e.message).toMatch(/broken gravity block: .*has no "# END gravity gitlab:backup alpha"/);
    expect(u.list()).toBe(broken);
  });

  it('roll back: the block as it was before, or none', async () => {
    u.install(FOREIGN + block('a', ['1 1 * * * /bin/old']));
    const r = await run(cronInstallBlock, { marker: 'a', lines: [JOB] });
    const fresh = await run(cronInstallBlock, { marker: 'b', lines: [JOB] });
    expect(u.list()).toBe(FOREIGN + block('a', [JOB]) + block('b', [JOB]));
    await cronInstallBlock.compensate!({ ...fresh.ctx, output: fresh.output });
    expect(u.list()).toBe(FOREIGN + block('a', [JOB]));
    await cronInstallBlock.compensate!({ ...r.ctx, output: r.output });
    expect(u.list()).toBe(FOREIGN + block('a', ['1 1 * * * /bin/old']));
    const removed = await run(cronRemoveBlock, { marker: 'a' });
    expect(u.list()).toBe(FOREIGN);
    await cronRemoveBlock.compensate!({ ...removed.ctx, output: removed.output });
    expect(u.list()).toBe(FOREIGN + block('a', ['1 1 * * * /bin/old']));
  });

  it('refuse a marker or a line that would break the block', () => {
    for (const marker of ['', 'two  spaces', 'new\nline', ' lead'])
      expect(cronInstallBlock.input.safeParse({ marker, lines: [JOB] }).success, marker).toBe(false);
    for (const line of ['a\nb', 'a\rb', '# END gravity x', '# BEGIN gravity x', ''])
      expect(cronInstallBlock.input.safeParse({ marker: 'x', lines: [line] }).success, line).toBe(false);
    expect(cronInstallBlock.input.safeParse({ marker: 'gitlab:backup alpha-2', lines: [JOB] }).success).toBe(true);
  });
});

describe('cron.list', () => {
  it('lists one block, the blocks of a prefix, or all, and changes nothing', async () => {
    const text = FOREIGN + block('gitlab:backup a', ['@daily /bin/a']) + block('other', ['@hourly /bin/o']);
    u.install(text);
    const one = await run(cronList, { marker: 'gitlab:backup a' });
    expect(one.output.blocks).toEqual([{ marker: 'gitlab:backup a', lines: ['@daily /bin/a'] }]);
    expect(one.output.report).toBe(block('gitlab:backup a', ['@daily /bin/a']).trimEnd());
    const some = await run(cronList, { prefix: 'gitlab:backup ' });
    expect(some.output.blocks.map((b) => b.marker)).toEqual(['gitlab:backup a']);
    const all = await run(cronList, {});
    expect(all.output.blocks.map((b) => b.marker)).toEqual(['gitlab:backup a', 'other']);
    const missing = await run(cronList, { marker: 'gitlab:backup zz' });
    expect(missing.output.report).toBe(`no block "gitlab:backup zz" in the crontab of ${u.name}`);
    expect(u.list()).toBe(text);
  });
});

describe('setBlock on what crontab -l may give', () => {
  it('keeps a text without a final newline, adding only the newline the block needs', () => {
    expect(setBlock('# mine', 'm', ['@daily x'])).toBe('# mine\n# BEGIN gravity m\n@daily x\n# END gravity m\n');
    expect(setBlock('# mine\n# BEGIN gravity m\n@daily x\n# END gravity m', 'm', null)).toBe('# mine\n');
    expect(setBlock('', 'm', null)).toBe('');
    expect(setBlock('a\n\n', 'm', null)).toBe('a\n\n');
  });

  it('finds blocks in order and refuses nested, unopened and repeated ones', () => {
    expect(findBlocks(block('a', ['1']) + 'x\n' + block('b', []))).toEqual([
      { marker: 'a', lines: ['1'], start: 0, end: 2 },
      { marker: 'b', lines: [], start: 4, end: 5 },
    ]);
    expect(() => findBlocks('# BEGIN gravity a\n# BEGIN gravity b\n')).toThrow(/inside block "a"/);
    expect(() => findBlocks('# END gravity a\n')).toThrow(/closes no open block/);
    expect(() => findBlocks(block('a', []) + block('a', []))).toThrow(/appears twice/);
  });
});
