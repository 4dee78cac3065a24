// git.read-config on real repos: values as git resolves them, unset keys as null, a broken config as an error.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { gitReadConfig, gitReadConfigInput } from '../../../tasks/git/read-config.js';
import { rejection, runTask } from '../context.js';
import { ALICE, disposeTemplates, makeGalaxy, sh, type Galaxy } from './fixture.js';

let g: Galaxy;
beforeEach(async () => {
  g = await makeGalaxy();
});
afterAll(() => disposeTemplates());

describe('git.read-config', () => {
  it('reads each key under its name, null for a key that is not set', async () => {
    const out = await runTask(
      gitReadConfig,
      {
        repo: g.alice,
        keys: { name: 'user.name', email: 'user.email', url: 'remote.origin.url', up: 'remote.up.url' },
      },
      { root: g.root },
    );
    expect(out).toEqual({
      repo: g.alice,
      values: { name: ALICE.name, email: ALICE.email, url: g.remote, up: null },
    });
  });

  it('reads a value as git would use it: the last one set wins, subsections keep their case, values keep their spaces', async () => {
    sh(g.alice, 'config', '--add', 'gravity.note', 'first');
    sh(g.alice, 'config', '--add', 'gravity.note', '  last one  ');
    sh(g.alice, 'config', 'remote.Up.url', '/srv/Up.git');
    const out = await runTask(
      gitReadConfig,
      { repo: 'alice', keys: { note: 'Gravity.Note', up: 'remote.Up.url', lower: 'remote.up.url' } },
      { root: g.root },
    );
    expect(out.values).toEqual({ note: '  last one  ', up: '/srv/Up.git', lower: null });
  });

  it('fails naming the key when the config cannot be read, and when the folder is not a repository', async () => {
    appendFileSync(join(g.alice, '.git', 'config'), '[broken\n');
    const e = await rejection(runTask(gitReadConfig, { repo: g.alice, keys: { name: 'user.name' } }, { root: g.root }));
    expect(e.message).toMatch(/git\.read-config: git config --get user\.name failed in .*alice \(exit \d+\)/);
    const plain = await rejection(runTask(gitReadConfig, { repo: g.root, keys: { n: 'user.name' } }, { root: g.root }));
    expect(plain.message).toBe(`git.read-config: repo ${g.root} is not a git repository`);
  });

  it('refuses names a FEEL path cannot reach, keys git would refuse, and an empty list', () => {
    const bad = (keys: Record<string, string>) =>
      gitReadConfigInput
        .safeParse({ repo: 'r', keys })
        .error?.issues.map((i) => i.message)
        .join('; ');
    expect(bad({ 'user.name': 'user.name' })).toMatch(/is not a name a FEEL path can reach/);
    expect(bad({ '1st': 'user.name' })).toMatch(/is not a name a FEEL path can reach/);
    expect(bad({ name: 'user' })).toMatch(/a config key such as "user.name"/);
    expect(bad({ name: '-c.x' })).toMatch(/a config key/);
    expect(bad({})).toMatch(/name at least one key to read/);
    expect(bad({ name: 'user.name' })).toBeUndefined();
  });

  it('plans one `git config --get` per key, in name order', () => {
    const input = gitReadConfigInput.parse({ repo: '/r', keys: { url: 'remote.origin.url', email: 'user.email' } });
    expect(gitReadConfig.plan?.(input)).toEqual([
      'git -C /r config --get user.email (as email)',
      'git -C /r config --get remote.origin.url (as url)',
    ]);
  });
});
