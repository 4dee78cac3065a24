// The registry that names task nodes: every registry also holds the built-in wait tasks (approval, message).
import type { TaskDefinition } from './define-task.js';
import { DuplicateTaskError, UnknownTaskError } from './errors.js';
import { waitTasks } from './wait-tasks.js';

/** Task nodes by id. Registering an id twice throws. Every registry holds the built-in wait tasks (engine/wait-tasks.ts). */
export class TaskRegistry {
  readonly #tasks = new Map<string, TaskDefinition>(waitTasks().map((t) => [t.id, t]));

  /** Adds task nodes; throws DuplicateTaskError on an id already present. */
  register(...tasks: TaskDefinition[]): this {
    for (const t of tasks) {
      if (this.#tasks.has(t.id)) throw new DuplicateTaskError(t.id);
      this.#tasks.set(t.id, t);
    }
    return this;
  }
  has(id: string): boolean {
    return this.#tasks.has(id);
  }
  /** The task node registered under `id`; throws UnknownTaskError naming the closest ids. */
  get(id: string): TaskDefinition {
    const t = this.#tasks.get(id);
    if (!t) throw new UnknownTaskError(id, [...this.#tasks.keys()]);
    return t;
  }
  list(): TaskDefinition[] {
    return [...this.#tasks.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}

/** Shorthand for `new TaskRegistry().register(...tasks)`. */
export function createRegistry(...tasks: TaskDefinition[]): TaskRegistry {
  return new TaskRegistry().register(...tasks);
}
