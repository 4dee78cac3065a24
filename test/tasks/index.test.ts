// The default registry: every built-in task node registered once under its id.
import { describe, expect, it } from 'vitest';
import { DuplicateTaskError, TaskRegistry } from '../../engine/index.js';
import { allTasks, createDefaultRegistry } from '../../tasks/index.js';

describe('default task registry', () => {
  it('holds every built-in task node under its id', () => {
    expect(createDefaultRegistry().list().map((t) => t.id)).toEqual([
      'assert.expr',
      'exec.run',
      'fs.copy',
      'fs.mkdir',
      'fs.remove',
      'fs.render',
      'fs.write',
      'host.check-tool',
      'host.report',
      'log.info',
      'time.wait',
    ]);
  });

  it('throws when the same tasks are registered twice', () => {
    const registry = new TaskRegistry().register(...allTasks);
    expect(() => registry.register(...allTasks)).toThrow(DuplicateTaskError);
    expect(() => createDefaultRegistry().register(allTasks[0])).toThrow(/task "exec.run" is already registered/);
  });

  it.each(allTasks.map((t) => [t.id, t]))('%s has a title and plans without running', (_id, task) => {
    expect(task.title).not.toBe('');
    expect(typeof task.plan).toBe('function');
  });
});
