// gitlab:list — the inventory's instances beside what docker says of their containers, with drift both ways.
import { task, workflow, type Definition } from '../../engine/authoring.js';

/** The `gitlab:list` workflow. */
export const gitlabListWorkflow: Definition = workflow({
  id: 'gitlab:list',
  title: 'List the GitLab instances',
  description:
    'Prints a table: name, URL, address, inventory state, container status and health (docker inspect), last backup age, and drift (a record whose container is missing, a gitlab-<name> container the inventory lacks). --json gives the rows.',
  steps: task('list', 'gitlab.list', {}, { title: 'read the inventory and docker' }),
  output: '=steps.list',
});
