// The registry that names task nodes: every registry also holds the built-in wait tasks (approval, message). It names
// the choice lists too (engine/choices.ts): params name them as definitions name tasks, and the same registry that
// validates a definition's task ids validates its params' `choices`.
import type { ChoiceProvider } from './choices.js';
import type { TaskDefinition } from './define-task.js';
import { BadInputError, closest, DefinitionError, DuplicateTaskError, UnknownTaskError } from './errors.js';
import { waitTasks } from './wait-tasks.js';

/** Task nodes by id. Registering an id twice throws. Every registry holds the built-in wait tasks (engine/wait-tasks.ts). */
export class TaskRegistry {
  readonly #tasks = new Map<string, TaskDefinition>(waitTasks().map((t) => [t.id, t]));
  readonly #choices = new Map<string, ChoiceProvider>();
  #knowsChoices = false;

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

  /**
   * Adds choice list providers (a param's `choices` names one); throws on an id already present. Once called (even
   * with none) the registry knows its choice lists, and validation refuses a `choices` naming no provider; a registry
   * never given any (a test's, the BPMN conformance one) cannot tell, so it leaves `choices` unchecked.
   */
  registerChoices(...providers: ChoiceProvider[]): this {
    this.#knowsChoices = true;
    for (const p of providers) {
      if (this.#choices.has(p.id))
        throw new DefinitionError(`choice list "${p.id}" is already registered`, { choices: p.id });
      this.#choices.set(p.id, p);
    }
    return this;
  }
  /** Whether the choice lists were registered (see registerChoices): only then is a param's `choices` checked. */
  get knowsChoices(): boolean {
    return this.#knowsChoices;
  }
  hasChoices(id: string): boolean {
    return this.#choices.has(id);
  }
  /** The provider registered under `id`; throws BadInputError naming the closest ids. */
  choices(id: string): ChoiceProvider {
    const p = this.#choices.get(id);
    if (!p) throw new BadInputError(unknownChoicesMessage(id, this.listChoices()), { choices: id });
    return p;
  }
  listChoices(): ChoiceProvider[] {
    return [...this.#choices.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}

/** `unknown choice list "x"; did you mean "y"?` (or the known ids when none is close). */
export function unknownChoicesMessage(id: string, known: ChoiceProvider[]): string {
  const ids = known.map((p) => p.id);
  const near = closest(id, ids);
  return `unknown choice list ${JSON.stringify(id)}${
    near.length ? `; did you mean "${near[0]}"?` : ` (registered: ${ids.join(', ') || 'none'})`
  }`;
}

/** Shorthand for `new TaskRegistry().register(...tasks)`. */
export function createRegistry(...tasks: TaskDefinition[]): TaskRegistry {
  return new TaskRegistry().register(...tasks);
}
