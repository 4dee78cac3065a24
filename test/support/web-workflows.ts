// Small workflows the web view's tests start through the API (served beside the catalog with `extraWorkflows`): one
// whose steps take a while each, one that fails on a command with a clear error.
import { sequence, task, workflow, type Definition } from '../../engine/authoring.js';

/** `web:deploy`: four steps of `ms` milliseconds each, in order (`ms` large: a run to cancel). */
export const slowWorkflow: Definition = workflow({
  id: 'web:deploy',
  title: 'Deploy a release (test)',
  description: 'Four steps that each wait `ms` milliseconds: fetch, build, test, publish.',
  params: {
    ms: { type: 'integer', description: 'How long each step takes, in milliseconds.', default: 600 },
    release: { type: 'string', description: 'The release to deploy.', default: 'v1.4.2', pattern: '^[A-Za-z0-9._-]+$' },
  },
  steps: sequence(
    task('fetch', 'time.wait', { ms: '=ms' }, { title: 'fetch sources' }),
    task('build', 'time.wait', { ms: '=ms' }, { title: 'build' }),
    task('test', 'time.wait', { ms: '=ms' }, { title: 'run the tests' }),
    task('publish', 'time.wait', { ms: '=ms' }, { title: 'publish' }),
  ),
});

/** `web:migrate`: a short wait, then a command that fails (exit 3, a message on stderr), then a step never run. */
export const failingWorkflow: Definition = workflow({
  id: 'web:migrate',
  title: 'Migrate a database (test)',
  description: 'Prepares, then applies migrations with a command that fails.',
  steps: sequence(
    task('prepare', 'time.wait', { ms: 200 }, { title: 'prepare' }),
    task(
      'migrate',
      'exec.run',
      {
        command: 'sh',
        args: ['-c', 'echo "applying 3 migrations"; echo "error: relation <users> already exists" >&2; exit 3'],
      },
      { title: 'apply the migrations' },
    ),
    task('report', 'time.wait', { ms: 10 }, { title: 'report' }),
  ),
});

export const webWorkflows: Definition[] = [slowWorkflow, failingWorkflow];
