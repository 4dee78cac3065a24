// Choice lists: where a param's values come from when the CLI asks for it at a terminal (`ParamSpec.choices` names
// one). A provider reads the world (the store, the disk) to offer the values that make sense now, e.g. the GitLab
// inventory's instances; it never decides a value: the answer is validated like `--param`, the list is only an offer.
import { DefinitionError } from './errors.js';
import type { Store } from './store/types.js';

/** One value offered, with what to show beside it. */
export interface Choice {
  value: string;
  label?: string;
}

/** What a provider may read: the store, the params known so far (given or answered, in declaration order), a signal. */
export interface ChoiceContext {
  store: Store;
  /** The params resolved before this one: a later param's list may depend on an earlier answer (an instance's backups). */
  params: Readonly<Record<string, unknown>>;
  signal: AbortSignal;
}

/** A registered choice list, named by `ParamSpec.choices`. */
export interface ChoiceProvider {
  /** Dotted lower-case words, like a task id (`gitlab.instances`). */
  id: string;
  description: string;
  /** The values to offer now, in the order to show them (an empty list is a fine answer: there is nothing to pick). */
  list(ctx: ChoiceContext): Promise<Choice[]>;
}

// the same shape as task ids (engine/define-task.ts): one namespace of dotted names per domain
const ID = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

/** Checks and returns a choice list provider (its id must be dotted lower-case words, as a task id). */
export function defineChoices(provider: ChoiceProvider): ChoiceProvider {
  if (!ID.test(provider.id))
    throw new DefinitionError(
      `choice list id "${provider.id}" must be dotted lower-case words, e.g. "gitlab.instances"`,
      {
        choices: provider.id,
      },
    );
  return provider;
}
