// fs.render: strict handlebars over a tree of *-dist templates, all rendered in memory before anything is written.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fsRender } from '../../../tasks/fs/render.js';
import { tempDir } from '../../support/git-fixtures.js';
import { rejection, runTask } from '../context.js';

let root: string;
beforeEach(async () => {
  root = tempDir('gravity-tasks-');
  await mkdir(join(root, 'site/conf/deep'), { recursive: true });
  await mkdir(join(root, 'site/node_modules/pkg'), { recursive: true });
  await mkdir(join(root, 'site/.git'), { recursive: true });
  await writeFile(join(root, 'site/.env-dist'), 'HOST={{host}}\n');
  await writeFile(join(root, 'site/conf/app.ini-dist'), '[app]\nname = {{app.name}}\n');
  await writeFile(join(root, 'site/conf/deep/run.sh-dist'), '#!/bin/sh\necho {{host}} <&>\n', { mode: 0o755 });
  await writeFile(join(root, 'site/node_modules/pkg/x-dist'), '{{nope}}');
  await writeFile(join(root, 'site/.git/config-dist'), '{{nope}}');
  await writeFile(join(root, 'site/-dist'), 'not a template');
});

const present = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
const vars = { host: 'example.org', app: { name: 'gravity' } };

describe('fs.render', () => {
  it('renders every nested -dist file next to itself, unescaped, skipping .git and node_modules', async () => {
    const out = await runTask(fsRender, { dir: 'site', vars }, { root });
    expect(out).toEqual({ dir: join(root, 'site'), files: ['.env', 'conf/app.ini', 'conf/deep/run.sh'] });
    expect(await readFile(join(root, 'site/.env'), 'utf8')).toBe('HOST=example.org\n');
    expect(await readFile(join(root, 'site/conf/app.ini'), 'utf8')).toBe('[app]\nname = gravity\n');
    expect(await readFile(join(root, 'site/conf/deep/run.sh'), 'utf8')).toBe('#!/bin/sh\necho example.org <&>\n');
    expect((await stat(join(root, 'site/conf/deep/run.sh'))).mode & 0o777).toBe(0o755);
    expect(await present(join(root, 'site/node_modules/pkg/x'))).toBe(false);
  });

  it('fails naming the file and the missing variable, and writes nothing at all', async () => {
    await writeFile(join(root, 'site/conf/app.ini-dist'), '[app]\nname = {{app.name}}\nport = {{port}}\n');
    const err = await rejection(runTask(fsRender, { dir: 'site', vars }, { root }));
    const file = join(root, 'site/conf/app.ini-dist');
    expect(err.message).toBe(`${file}: variable "port" is not defined (line 3)`);
    expect(err.details).toMatchObject({ file, variable: 'port', line: 3 });
    for (const f of ['.env', 'conf/app.ini', 'conf/deep/run.sh'])
      expect(await present(join(root, 'site', f))).toBe(false);
  });

  it('lists every failing template when several fail', async () => {
    const err = await rejection(runTask(fsRender, { dir: 'site', vars: { app: { name: 'x' } } }, { root }));
    expect(err.message).toMatch(/^2 templates failed:/);
    expect(err.message).toContain('.env-dist: variable "host" is not defined');
    expect(err.message).toContain('run.sh-dist: variable "host" is not defined');
  });

  it('names the file of a template that does not parse', async () => {
    await writeFile(join(root, 'site/.env-dist'), '{{#if}}');
    await expect(runTask(fsRender, { dir: 'site', vars }, { root })).rejects.toThrow(
      /\.env-dist: template error: Parse error/,
    );
  });

  it('keeps existing rendered files when overwrite is false', async () => {
    await writeFile(join(root, 'site/.env'), 'HOST=custom\n');
    const out = await runTask(fsRender, { dir: 'site', vars, overwrite: false }, { root });
    expect(out.files).toEqual(['conf/app.ini', 'conf/deep/run.sh']);
    expect(await readFile(join(root, 'site/.env'), 'utf8')).toBe('HOST=custom\n');
  });

  it('fails when the folder does not exist', async () => {
    await expect(runTask(fsRender, { dir: 'missing', vars }, { root })).rejects.toThrow(/missing: not a directory/);
  });
});
