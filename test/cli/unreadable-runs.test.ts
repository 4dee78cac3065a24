// End to end: a run record, journal or snapshot damaged on disk never hides the other runs: `gravity runs` lists every
// readable run and names each unreadable file with its problem (exit 0); commands given a damaged run exit 2 naming it.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sequence, task, workflow } from '../../engine/index.js';
import { sandbox } from '../support/cli.js';

const hello = workflow({
  id: 'test:hello',
  steps: sequence(task('hi', 'log.info', { message: 'hi' }), task('bye', 'log.info', { message: 'bye' })),
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('gravity with unreadable run records', () => {
  const sb = sandbox();
  const runsDir = join(sb.dataDir, 'kv', 'runs');
  let good: string;
  /** The good run's record file, as gravity wrote it. */
  let goodText: string;
  let goodValue: Record<string, unknown>;

  beforeAll(async () => {
    const r = await sb.run('run', sb.writeDefinition('hello', hello), '--json');
    expect(r.code, r.stderr).toBe(0);
    good = JSON.parse(r.stdout).runId;
    goodText = readFileSync(join(runsDir, `${good}.json`), 'utf8');
    goodValue = JSON.parse(goodText).value;
  });

  /** Store files holding a record value. */
  const wrapped = (value: unknown) => JSON.stringify({ version: 1, value });

  const cases: Array<{ name: string; content: () => string | Buffer; problem: RegExp }> = [
    { name: 'an empty file', content: () => '', problem: /empty file/ },
    {
      name: 'garbage bytes',
      content: () => Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x7f, 0x80, 0x0a, 0x09]),
      problem: /not JSON: /,
    },
    { name: 'truncated JSON', content: () => goodText.slice(0, goodText.length / 2), problem: /not JSON: / },
    { name: 'null', content: () => 'null', problem: /no numeric "version"/ },
    { name: '[]', content: () => '[]', problem: /no numeric "version"/ },
    {
      name: 'a null record',
      content: () => wrapped(null),
      problem: /not a run record: Invalid input: expected object, received null/,
    },
    {
      name: 'a [] record',
      content: () => wrapped([]),
      problem: /not a run record: Invalid input: expected object, received array/,
    },
    {
      name: 'a record without id and status',
      content: () => wrapped({ ...goodValue, id: undefined, status: undefined }),
      problem: /not a run record: id: Invalid input: expected string, received undefined; status: Invalid option/,
    },
    {
      name: 'an unknown status',
      content: () => wrapped({ ...goodValue, id: 'bad-run', status: 'exploded' }),
      problem: /not a run record: status: Invalid option: expected one of "running"/,
    },
    {
      name: 'an id that is not its file name',
      content: () => wrapped({ ...goodValue, id: 'someone-else' }),
      problem: /its id "someone-else" is not its file name "bad-run"/,
    },
  ];

  it.each(cases)(
    'lists the good runs and names $name with its problem; show of it exits 2, show of a good one works',
    async ({ content, problem }) => {
      const file = join(runsDir, 'bad-run.json');
      writeFileSync(file, content());
      try {
        const runs = await sb.run('runs');
        expect(runs.code, runs.stderr).toBe(0);
        expect(runs.stdout).toMatch(new RegExp(`${good}\\s+test:hello\\s+✔ succeeded`));
        const line = runs.stdout.split('\n').find((l) => l.includes(file));
        expect(line).toMatch(new RegExp(`^⚠ unreadable run record ${escape(file)}: `));
        expect(line).toMatch(problem);
        expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/); // garbage bytes never reach the terminal raw

        const listed = await sb.run('runs', '--json');
        expect(listed.code).toBe(0);
        const json = JSON.parse(listed.stdout);
        expect(json.runs.map((r: { runId: string }) => r.runId)).toEqual([good]);
        expect(json.unreadable).toEqual([{ runId: 'bad-run', file, problem: expect.stringMatching(problem) }]);

        const show = await sb.run('show', 'bad-run');
        expect(show.code).toBe(2);
        expect(show.stderr).toMatch(new RegExp(`^gravity: run record ${escape(file)} is unreadable: `));
        expect(show.stderr).toMatch(problem);
        expect(show.stderr).not.toMatch(/TypeError|Cannot read properties/);

        const ok = await sb.run('show', good);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stdout).toMatch(new RegExp(`run ${good}: test:hello — succeeded`));
      } finally {
        rmSync(file);
      }
    },
  );

  it('refuses resume, cancel and rollback of an unreadable run with exit 2, naming the file', async () => {
    const file = join(runsDir, 'bad-run.json');
    writeFileSync(file, wrapped({ ...goodValue, id: 'bad-run', status: 'exploded' }));
    try {
      for (const command of ['resume', 'cancel', 'rollback']) {
        const r = await sb.run(command, 'bad-run');
        expect(r.code, `${command}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`run record ${escape(file)} is unreadable: not a run record: status: `));
      }
      const json = await sb.run('show', 'bad', '--json'); // a prefix that designates it
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout).error).toMatchObject({
        code: 'BAD_INPUT',
        details: { run: 'bad-run', file, problem: expect.stringMatching(/^not a run record: status: /) },
      });
    } finally {
      rmSync(file);
    }
  });

  it('shows a run whose journal ends in a torn line, and names the journal file of one corrupt before its end', async () => {
    const journal = join(sb.dataDir, 'logs', 'journal', `${good}.jsonl`);
    const text = readFileSync(journal, 'utf8');
    const lines = text.split('\n');
    try {
      writeFileSync(journal, `${text}{"type":"task.star`); // a crash in the middle of an append
      const torn = await sb.run('show', good);
      expect(torn.code, torn.stderr).toBe(0);
      expect(torn.stdout).toMatch(/✔\s+bye\s+log\.info/);

      writeFileSync(journal, [lines[0], '{"type":"task.star', ...lines.slice(1)].join('\n'));
      const broken = await sb.run('show', good);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toMatch(new RegExp(`^gravity: corrupt log ${escape(journal)} at line 2: `));

      writeFileSync(journal, [lines[0], 'null', ...lines.slice(1)].join('\n'));
      const wrong = await sb.run('show', good);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toBe(
        `gravity: corrupt journal ${journal}: line 2 is not a journal entry: Invalid input: expected object, received null\n`,
      );
    } finally {
      writeFileSync(journal, text);
    }
  });

  it('lists the 50 good runs when 1 record among them is unreadable', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `many-${String(i).padStart(2, '0')}`);
    for (const id of ids) writeFileSync(join(runsDir, `${id}.json`), wrapped({ ...goodValue, id }));
    const file = join(runsDir, 'many-bad.json');
    writeFileSync(file, '{"version": 1, "value": {"id": "many-b');
    try {
      const listed = await sb.run('runs', '--limit', '100', '--json');
      expect(listed.code, listed.stderr).toBe(0);
      const json = JSON.parse(listed.stdout);
      expect(json.runs.map((r: { runId: string }) => r.runId).sort()).toEqual([...ids, good].sort());
      expect(json.unreadable).toEqual([{ runId: 'many-bad', file, problem: expect.stringMatching(/^not JSON: /) }]);
      const human = await sb.run('runs', '--limit', '100');
      expect(human.code).toBe(0);
      for (const id of ids) expect(human.stdout).toMatch(new RegExp(`^${id}\\s+test:hello`, 'm'));
      expect(human.stdout).toContain(`⚠ unreadable run record ${file}: not JSON: `);
    } finally {
      for (const id of ids) rmSync(join(runsDir, `${id}.json`));
      rmSync(file);
    }
  });
});
