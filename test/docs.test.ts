// The README parts the code declares (the task table, the scenario actions and their options) are what `npm run docs`
// writes: a change to a task's schemas or spec, or to the actions' list, fails here until the README is regenerated.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { md, README, renderReadme, replaceRegion } from '../scripts/docs.js';
import { createDefaultRegistry } from '../tasks/index.js';
import { ACTION_OPTIONS, ACTOR_ACTIONS, Actor, REMOTE_ACTIONS, StepIds } from '../workflows/galaxy/scenario.js';

describe('README.md', () => {
  it('holds what `npm run docs` writes (run `npm run docs` when this fails)', async () => {
    const current = readFileSync(README, 'utf8');
    const expected = await renderReadme(current);
    // one message that says what to do, rather than a diff of a 60-line table
    expect(current === expected, 'README.md is out of date: run `npm run docs`').toBe(true);
  });

  it('lists every task node in its table, and every scenario action', () => {
    const text = readFileSync(README, 'utf8');
    for (const t of createDefaultRegistry().list()) expect(text).toContain(`| \`${t.id}\``);
    for (const name of Object.keys(ACTOR_ACTIONS)) expect(text).toContain(`- \`actor.${name}(`);
    for (const name of Object.keys(REMOTE_ACTIONS)) expect(text).toContain(`- \`remote.${name}(`);
  });
});

describe('the scenario actions list', () => {
  const actor = new Actor('alice', '=dir', new StepIds());

  it('holds every action of an actor, and only those', () => {
    const methods = Object.getOwnPropertyNames(Actor.prototype).filter(
      (m) => !['constructor', 'options', 'act', 'repo'].includes(m),
    );
    expect(methods.sort()).toEqual(Object.keys(ACTOR_ACTIONS).sort());
  });

  it("names options and arguments that are input fields of the action's task", () => {
    const registry = createDefaultRegistry();
    for (const [name, a] of Object.entries({ ...ACTOR_ACTIONS, ...REMOTE_ACTIONS })) {
      const fields = Object.keys((registry.get(a.task).input as unknown as { shape: object }).shape);
      expect(
        a.options.filter((o) => !fields.includes(o)),
        name,
      ).toEqual([]);
    }
  });

  it.each(Object.entries(ACTOR_ACTIONS))('%s refuses an option the list does not give it', (name, a) => {
    const call = (o: object) => {
      const act = actor[name as keyof typeof ACTOR_ACTIONS] as (...args: unknown[]) => unknown;
      const args = a.args.map((n) => (n === 'files' || n === 'values' ? {} : n === 'hook' ? 'pre-commit' : 'x'));
      return act.call(actor, ...args, o);
    };
    expect(() => call({ bogus: 1 })).toThrow(`alice: ${name}: unknown option "bogus"`);
    for (const o of [...a.options, ...ACTION_OPTIONS].filter((k) => k !== 'retry'))
      expect(() => call({ [o]: o === 'timeoutMs' ? 1000 : undefined }), `${name} ${o}`).not.toThrow(/unknown option/);
  });
});

describe('the markdown helpers', () => {
  it('escape markup outside code spans, and | inside them in table cells only', () => {
    expect(md('a <repo> *x* `a|b` c|d')).toBe('a \\<repo\\> \\*x\\* `a|b` c\\|d');
    expect(md('`a|b`', true)).toBe('`a\\|b`');
  });

  it('refuse a README without the markers of a region', () => {
    expect(() => replaceRegion('no markers', 'tasks', 'x')).toThrow(/<!-- tasks:begin -->/);
    expect(replaceRegion('a\n<!-- t:begin -->\nold\n<!-- t:end -->\nb', 't', 'new')).toBe(
      'a\n<!-- t:begin -->\n\nnew\n\n<!-- t:end -->\nb',
    );
  });
});
