// `gravity tasks [id]`: the task nodes of the registry, and one task's fields, idempotence, supervision, rollback and
// plan, read from its schemas and spec (the README's task table is rendered from the same reading: test/docs.test.ts).
import { describe, expect, it } from 'vitest';
import { createRegistry, defineTask } from '../../engine/index.js';
import { fieldsOf, jsonSchemaOf, taskDoc, typeOf, verdictOf } from '../../cli/commands/tasks.js';
import { createDefaultRegistry } from '../../tasks/index.js';
import { z } from 'zod';
import { sandbox } from '../support/cli.js';

describe('gravity tasks', () => {
  it('lists every task node with its title; --json as [{ task, title, description? }]', async () => {
    const sb = sandbox();
    const human = await sb.run('tasks');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^task\s+title$/m);
    expect(human.stdout).toMatch(/^git\.reset\s+Reset the current branch$/m);
    const json = await sb.run('tasks', '--json');
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ task: string; title: string }>;
    expect(rows.map((r) => r.task)).toEqual(
      createDefaultRegistry()
        .list()
        .map((t) => t.id),
    );
    expect(rows.find((r) => r.task === 'fs.write')).toMatchObject({ title: 'Write a file' });
  });

  it('shows a task: its fields with type, required, default and description, idempotence with its reason, plan', async () => {
    const r = await sandbox().run('tasks', 'git.reset');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^git\.reset — Reset the current branch$/m);
    expect(r.stdout).toMatch(/^idempotent: depends on the input: for a plain name or a sha/m);
    expect(r.stdout).toMatch(/^supervised: no$/m);
    expect(r.stdout).toMatch(/^rollback: no$/m);
    expect(r.stdout).toMatch(/^\s+name\s+type\s+required\s+default\s+description$/m);
    expect(r.stdout).toMatch(/^\s+mode\s+'soft' \| 'mixed' \| 'hard'\s+no\s+"mixed"\s+soft: keep the index/m);
    expect(r.stdout).toMatch(/^\s+repo\s+string\s+yes\s+-\s+A clone/m);
    expect(r.stdout).toMatch(/^outputs:\n\s+name.*\n\s+sha\s+string\s+yes\s+-\s+HEAD after the step\.$/m);
    expect(r.stdout).toMatch(
      /^plan \(dry run\) of \{"repo":"<repo>"\}:\n\s+\$ git -C '<repo>' reset -q --mixed HEAD --$/m,
    );
  });

  it('--json prints the task as data, with the same keys as the text', async () => {
    const r = await sandbox().run('tasks', 'exec.run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      task: 'exec.run',
      title: 'Run a command',
      idempotent: 'depends on the input',
      idempotentWhen: 'only with `idempotent: true`',
      supervised: 'depends on the input',
      supervisedWhen: 'unless `supervised: false`',
      rollback: false,
      plan: { input: { command: '<command>' } },
    });
    expect(doc.inputs[0]).toEqual({
      name: 'command',
      type: 'string',
      required: true,
      description: expect.stringMatching(/never a shell string/),
    });
    expect(doc.inputs.find((f: { name: string }) => f.name === 'args')).toMatchObject({ required: false, default: [] });
    expect(r.stdout.endsWith('}\n')).toBe(true);
    expect(r.stdout).toMatch(/^\{\n {2}"task"/);
  });

  it('says a task with a compensation is undone by rollback, and shows nested fields by their path', async () => {
    const r = await sandbox().run('tasks', 'galaxy.build');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^idempotent: no$/m);
    expect(r.stdout).toMatch(/^rollback: yes/m);
    expect(r.stdout).toMatch(/^timeout: 120000 ms per attempt$/m);
    expect(r.stdout).toMatch(/^\s+remotes\.<key>\.files\s+record<string, string>\s+no/m);
    expect(r.stdout).toMatch(/^\s+servers\[\]\.pid\s+integer\s+yes/m);
  });

  it('exits 2 on an unknown id, naming the closest ids (--json: the error object)', async () => {
    const sb = sandbox();
    const r = await sb.run('tasks', 'git.rest');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown task "git\.rest"; did you mean "git\.reset"/);
    const j = await sb.run('tasks', 'git.rest', '--json');
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'UNKNOWN_TASK', details: { id: 'git.rest' } });
    expect(JSON.parse(j.stdout).error.details.suggestions).toContain('git.reset');
  });
});

describe('what the schemas and the spec say of every task', () => {
  const docs = createDefaultRegistry().list().map(taskDoc);

  it.each(docs.map((d) => [d.task, d] as const))('%s has a description and describes every field', (_id, d) => {
    expect(d.description, 'the task description (what the README table says it does)').toBeTruthy();
    const undescribed = [...d.inputs, ...d.outputs].filter((f) => !f.description).map((f) => f.name);
    expect(undescribed, 'fields without .describe()').toEqual([]);
  });

  it('gives the reason of every idempotence or supervision that depends on the input', () => {
    const dependent = docs.filter(
      (d) => d.idempotent === 'depends on the input' || d.supervised === 'depends on the input',
    );
    expect(dependent.map((d) => d.task)).toEqual(['docker.exec', 'exec.run', 'git.reset']);
    for (const d of dependent) {
      if (d.idempotent === 'depends on the input') expect(d.idempotentWhen, d.task).toBeTruthy();
      if (d.supervised === 'depends on the input') expect(d.supervisedWhen, d.task).toBeTruthy();
    }
  });

  it('reads constant verdicts as they are and a function of the input as depending on it', () => {
    expect(verdictOf(() => true)).toBe(true);
    expect(verdictOf(() => false)).toBe(false);
    expect(verdictOf((i) => (i as { x?: boolean }).x === true)).toBe('depends on the input');
    expect(verdictOf((i) => /~/.test(String((i as { ref: string }).ref)))).toBe('depends on the input');
    expect(verdictOf((i) => 'x' in (i as object))).toBe('depends on the input');
  });

  it('names types in TypeScript-like words', () => {
    const schema = jsonSchemaOf(
      z.strictObject({
        a: z.enum(['x', 'y']).default('x').describe('an enum'),
        b: z.array(z.string().nullable()).optional(),
        c: z.record(z.string(), z.number().int()),
        d: z.literal(true).optional(),
        e: z.array(z.strictObject({ f: z.string() })),
      }),
      'input',
    );
    expect(fieldsOf(schema)).toEqual([
      { name: 'a', type: "'x' | 'y'", required: false, default: 'x', description: 'an enum' },
      { name: 'b', type: '(string | null)[]', required: false },
      { name: 'c', type: 'record<string, integer>', required: true },
      { name: 'd', type: 'true', required: false },
      { name: 'e', type: 'object[]', required: true },
      { name: 'e[].f', type: 'string', required: true },
    ]);
    expect(typeOf({})).toBe('unknown');
  });

  it('leaves the plan example out when no placeholder input passes the schema', () => {
    const t = defineTask({
      id: 'test.picky',
      title: 'Picky',
      input: z.strictObject({ n: z.string().regex(/^[0-9]+$/) }),
      output: z.object({}),
      async run() {
        return {};
      },
    });
    const doc = taskDoc(createRegistry(t).get('test.picky'));
    expect(doc.plan).toBeUndefined();
    expect(doc).toMatchObject({ idempotent: false, supervised: false, rollback: false, inputs: [{ name: 'n' }] });
  });
});
