// The commands that must start fast load what they use: `gravity list` the catalog (through the builder's light entry
// point), `runs` and `show` the run records (through the records' one); none loads the libraries that make the engine
// run (zod, execa, xstate, feelin), the task registry, the BPMN code or the engine's barrel. Runs the built CLI.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadedModules } from '../../bench/loaded-modules.js';
import { sequence, task, workflow } from '../../engine/index.js';
import { sandbox } from '../support/cli.js';

const HEAVY =
  /node_modules\/(zod|execa|xstate|feelin|proper-lockfile|handlebars|pino|listr2|bpmn-moddle|bpmn-auto-layout)\/|dist\/(tasks|bpmn)\/|dist\/engine\/index\.js/;

describe('start of the commands that read', () => {
  it('gravity list, runs and show <run> load neither the engine that runs workflows nor the tasks', async () => {
    const sb = sandbox();
    const hello = workflow({ id: 'test:hello', steps: sequence(task('say', 'log.info', { message: 'hello' })) });
    const r = await sb.run('run', sb.writeDefinition('hello', hello), '--json');
    expect(r.code, r.stderr).toBe(0);
    const runId = JSON.parse(r.stdout).runId as string;
    const env = { ...process.env, GRAVITY_HOME: sb.dataDir };
    for (const [args, says, uses] of [
      [['list'], 'girofle:sync', 'dist/workflows/index.js'],
      [['runs'], runId, 'dist/engine/run-store.js'],
      [['show', runId], 'succeeded', 'dist/engine/run-store.js'],
    ] as const) {
      const { files, status, stdout } = loadedModules(join(sb.base, 'probe'), [...args], env);
      expect(status, args.join(' ')).toBe(0);
      expect(stdout).toContain(says);
      // the probe works: it saw the file the command needs
      expect(files.some((f) => f.endsWith(join(...uses.split('/'))))).toBe(true);
      expect(
        files.filter((f) => HEAVY.test(f)),
        args.join(' '),
      ).toEqual([]);
    }
  });
});
