// The run root through the CLI: file tasks refuse to write outside it (exit 1, the task, path and root named), a
// workflow may declare its own (then --root is refused with exit 2 by run, resume and rollback alike).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sequence, task, workflow } from '../../engine/index.js';
import { sandbox } from '../support/cli.js';

/** Writes `inside.txt`, then `../outside.txt`: the second is outside any root that is a folder of the sandbox. */
const escaping = (root?: string) =>
  workflow({
    id: 'test:escape',
    params: { dir: { type: 'string', path: true, default: 'work' } },
    ...(root ? { root } : {}),
    steps: sequence(
      task('inside', 'fs.write', { path: 'inside.txt', content: 'in' }),
      task('outside', 'fs.write', { path: '../outside.txt', content: 'out' }),
    ),
  });

describe('the run root on the command line', () => {
  it('refuses a write outside --root: exit 1, the task, the path, where it leads and the root named', async () => {
    const sb = sandbox();
    mkdirSync(sb.work);
    const r = await sb.run('run', sb.writeDefinition('escape', escaping()), '--root', sb.work, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toBe(
      `fs.write: path ../outside.txt resolves to ${join(sb.base, 'outside.txt')}, outside the root ${sb.work} (--root)`,
    );
    expect(readdirSync(sb.work)).toEqual(['inside.txt']);
    expect(existsSync(join(sb.base, 'outside.txt'))).toBe(false);
  });

  it('confines a workflow to the root it declares, and says so in the refusal', async () => {
    const sb = sandbox();
    mkdirSync(sb.work);
    const r = await sb.run('run', sb.writeDefinition('escape', escaping('=dir')), '--json');
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout);
    expect(res.error.message).toBe(
      `fs.write: path ../outside.txt resolves to ${join(sb.base, 'outside.txt')}, outside the root ${sb.work} (declared by test:escape)`,
    );
    expect(readdirSync(sb.work)).toEqual(['inside.txt']);
    expect(existsSync(join(sb.base, 'outside.txt'))).toBe(false);

    // the run records its root: resume and rollback refuse --root for it (exit 2), show prints it
    for (const command of ['resume', 'rollback']) {
      const again = await sb.run(command, res.runId, '--root', sb.base);
      expect(again.code, command).toBe(2);
      expect(again.stderr).toContain(
        `--root cannot be used with run ${res.runId} of test:escape: it declares its own root (${sb.work})`,
      );
    }
    expect((await sb.run('show', res.runId)).stdout).toContain(`root ${sb.work} (declared by test:escape)`);
  });

  it('refuses --root for a workflow that declares its root (exit 2), before anything runs', async () => {
    const sb = sandbox();
    mkdirSync(sb.work);
    const r = await sb.run('run', sb.writeDefinition('escape', escaping('=dir')), '--root', sb.work);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--root cannot be used with test:escape: it declares its own root (=dir)');
    expect(sb.runIds()).toEqual([]);
    expect(readdirSync(sb.work)).toEqual([]);
  });

  it('refuses a definition whose root is not a string (exit 2, the file named)', async () => {
    const sb = sandbox();
    const file = sb.writeDefinition('bad', { ...escaping(), root: 7 } as unknown as ReturnType<typeof escaping>);
    const r = await sb.run('run', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.json');
    expect(r.stderr).toContain(
      '<definition> root must be a non-empty string (a folder path, or =FEEL over the params), got 7',
    );
  });
});
