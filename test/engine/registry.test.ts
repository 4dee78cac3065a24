// The task registry: ids are unique, well-formed, and unknown ids come with suggestions.
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { createRegistry, defineTask, DuplicateTaskError, TaskRegistry, UnknownTaskError } from '../../engine/index.js';

const make = (id: string) =>
  defineTask({ id, title: id, input: z.object({}), output: z.object({}), run: async () => ({}) });

describe('the task registry', () => {
  it('throws DuplicateTaskError when an id is registered twice', () => {
    // given a registry holding git.clone
    const registry = createRegistry(make('git.clone'));
    // when the same id is registered again
    const again = () => registry.register(make('git.clone'));
    // then it refuses with the DUPLICATE_TASK code naming the id
    expect(again).toThrow(DuplicateTaskError);
    expect(again).toThrow(/"git\.clone" is already registered/);
    try {
      again();
    } catch (e) {
      expect((e as DuplicateTaskError).code).toBe('DUPLICATE_TASK');
      expect((e as DuplicateTaskError).details).toEqual({ id: 'git.clone' });
    }
  });

  it('throws on a duplicate inside a single register call', () => {
    expect(() => new TaskRegistry().register(make('exec.run'), make('exec.run'))).toThrow(DuplicateTaskError);
  });

  it('suggests close ids for an unknown id', () => {
    // given a registry of a few tasks
    const registry = createRegistry(make('git.clone'), make('git.push'), make('docker.run'));
    // when an id with a typo is looked up
    let error: unknown;
    try {
      registry.get('git.clon');
    } catch (e) {
      error = e;
    }
    // then the error is UNKNOWN_TASK and names the closest id first
    expect(error).toBeInstanceOf(UnknownTaskError);
    expect((error as UnknownTaskError).code).toBe('UNKNOWN_TASK');
    expect((error as UnknownTaskError).message).toMatch(/unknown task "git\.clon"; did you mean "git\.clone"/);
    expect(((error as UnknownTaskError).details as { suggestions: string[] }).suggestions[0]).toBe('git.clone');
    expect(((error as UnknownTaskError).details as { suggestions: string[] }).suggestions).not.toContain('docker.run');
  });

  it('gives no suggestion when nothing is close', () => {
    const registry = createRegistry(make('git.clone'));
    expect(() => registry.get('zzzzzzzzzzzzzz.qqqqqqq')).toThrow(/^unknown task "zzzzzzzzzzzzzz\.qqqqqqq"$/);
  });

  it.each(['clone', 'Git.clone', 'git.', 'git..clone', '1git.clone', 'git.clone!', 'git_x.clone', ''])(
    'refuses the badly formed task id %j',
    (id) => {
      expect(() => make(id)).toThrow(/must be dotted lower-case words/);
    },
  );

  it.each(['git.clone', 'docker.compose-up', 'a.b.c', 'fs2.write'])('accepts the well formed task id %j', (id) => {
    expect(make(id).id).toBe(id);
  });

  it('refuses a task node under the id of a built-in wait task', () => {
    expect(() => createRegistry(make('gravity.approval'))).toThrow(/already registered/);
  });

  it('lists tasks sorted by id and answers has()', () => {
    const registry = createRegistry(make('z.last'), make('a.first'));
    // every registry also holds the built-in tasks (approval, message wait, send)
    expect(registry.list().map((t) => t.id)).toEqual([
      'a.first',
      'gravity.approval',
      'gravity.message',
      'gravity.send',
      'z.last',
    ]);
    expect(registry.has('a.first')).toBe(true);
    expect(registry.has('a.second')).toBe(false);
  });
});
