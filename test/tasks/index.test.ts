// The default registry: every built-in task node registered once under its id.
import { describe, expect, it } from 'vitest';
import { DuplicateTaskError, TaskRegistry } from '../../engine/index.js';
import { allTasks, createDefaultRegistry } from '../../tasks/index.js';

describe('default task registry', () => {
  it('holds every built-in task node under its id', () => {
    expect(createDefaultRegistry().list().map((t) => t.id)).toEqual([
      'assert.ahead-behind',
      'assert.branch-exists',
      'assert.branch-head',
      'assert.commit-message',
      'assert.conflicted',
      'assert.expr',
      'assert.file-content',
      'assert.push-rejected',
      'assert.tree-clean',
      'exec.run',
      'fs.copy',
      'fs.copy-files',
      'fs.mkdir',
      'fs.move',
      'fs.remove',
      'fs.render',
      'fs.write',
      'galaxy.build',
      'galaxy.stop',
      'git.checkout',
      'git.clone',
      'git.commit',
      'git.config',
      'git.diff-trees',
      'git.fetch',
      'git.hook',
      'git.init',
      'git.merge',
      'git.pull',
      'git.push',
      'git.rebase',
      'git.status',
      'git.tag',
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
