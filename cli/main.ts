// The `gravity` command: parses argv with commander, calls the engine through the commands, maps results to exit codes.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ErrorCode, GravityError } from '../engine/index.js';
import { createApp, type App } from './app.js';
import { cancelCommand, resumeCommand, rollbackCommand, runCommand } from './commands/execute.js';
import { testCommand } from './commands/test.js';
import {
  DIALECT_CHOICES,
  EXPORT_DIALECT_HELP,
  IMPORT_DIALECTS,
  exportCommand,
  importCommand,
  validateCommand,
} from './commands/bpmn.js';
import { describeCommand, listCommand, runsCommand, showCommand } from './commands/inspect.js';
import { Exit } from './format.js';

const BAD_INPUT = new Set<string>([
  ErrorCode.BadInput,
  ErrorCode.UnknownWorkflow,
  ErrorCode.UnknownTask,
  ErrorCode.InvalidDefinition,
  ErrorCode.Validation,
  ErrorCode.NotFound,
  ErrorCode.DefinitionChanged,
  ErrorCode.Expression,
  // another process drives the run
  ErrorCode.Locked,
]);

/** The seconds of `--wait [seconds]`, bounded to a day. */
function waitSeconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 86_400)
    throw new InvalidArgumentError(`expected seconds between 0 and 86400, got "${v}"`);
  return n;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Builds the program; `exit` receives the exit code of the command. */
export function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('gravity')
    .description('Workflows for DevOps operations: persisted, resumable, exportable to BPMN.')
    .option('--data-dir <dir>', 'where runs are stored (default: $GRAVITY_HOME or ~/.gravity)')
    .showSuggestionAfterError(true)
    .exitOverride();
  const withApp =
    <A extends unknown[]>(fn: (app: App, ...args: A) => Promise<number>) =>
    async (...args: A) => {
      const app = await createApp({ dataDir: program.opts().dataDir });
      try {
        exit(await fn(app, ...args));
      } finally {
        await app.close();
      }
    };
  const json = () => new Option('--json', 'print one JSON object instead of text');

  program
    .command('list')
    .description('list the workflows of the catalog')
    .addOption(json())
    .action(withApp((app, o) => listCommand(app, o)));
  program
    .command('describe <workflow>')
    .description('show the params and the steps of a workflow as a tree')
    .addOption(json())
    .action(withApp((app, wf: string, o) => describeCommand(app, wf, o)));
  program
    .command('run <workflow>')
    .description('run a catalog workflow, a definition file (.json) or a BPMN file (.bpmn)')
    .option('-p, --param <key=value>', 'a param of the workflow (repeat for several)', collect)
    .option(
      '--map <element=task>',
      'BPMN: run this element (id or type, e.g. bpmn:ScriptTask) as this task node',
      collect,
    )
    .option('--dry-run', 'print the plan and change nothing')
    .option(
      '--root <dir>',
      'folder file tasks may not write outside of (default: current directory; refused when the workflow declares its own root)',
    )
    .addOption(json())
    .action(withApp((app, wf: string, o) => runCommand(app, wf, o)));
  program
    .command('runs')
    .description('list runs, newest first')
    .addOption(json())
    .option('--workflow <id>', 'only runs of this workflow')
    .option('--limit <n>', 'how many', '20')
    .option('--all', 'include child runs of call steps')
    .action(withApp((app, o) => runsCommand(app, o)));
  program
    .command('show <run>')
    .description('a run: status, steps with durations, outputs and errors')
    .addOption(json())
    .option('--journal', 'also print every journal entry')
    .action(withApp((app, id: string, o) => showCommand(app, id, o)));
  program
    .command('resume <run>')
    .description('resume an interrupted or cancelled run where it stopped')
    .option('--force', 're-run interrupted steps that are not idempotent')
    .option('--allow-changed', 'resume even though the workflow definition changed')
    .addOption(
      new Option('--wait [seconds]', 'wait for another process driving the run to let go (default: refuse at once)')
        .preset('600')
        .argParser(waitSeconds),
    )
    .option('--root <dir>', 'folder file tasks may not write outside of (refused when the run has its own root)')
    .addOption(json())
    .action(withApp((app, id: string, o) => resumeCommand(app, id, { ...o, waitMs: (o.wait ?? 0) * 1000 })));
  program
    .command('cancel <run>')
    .description('cancel a running run (it stays resumable)')
    .addOption(json())
    .action(withApp((app, id: string, o) => cancelCommand(app, id, o)));
  program
    .command('rollback <run>')
    .description('undo the finished steps of a run, newest first')
    .addOption(json())
    .option('--root <dir>', 'folder file tasks may not write outside of (refused when the run has its own root)')
    .action(withApp((app, id: string, o) => rollbackCommand(app, id, o)));
  program
    .command('export [workflow]')
    .description('export a workflow to BPMN 2.0 XML with a diagram')
    .addOption(new Option('--dialect <dialect>', EXPORT_DIALECT_HELP).choices(DIALECT_CHOICES))
    .option('-o, --output <path>', 'file to write (a folder with --all); default: stdout')
    .option('--all', 'export every catalog workflow into the -o folder')
    .addOption(json())
    .action(withApp((app, wf: string | undefined, o) => exportCommand(app, wf, o)));
  program
    .command('import <file>')
    .description(`import a BPMN file (${IMPORT_DIALECTS} dialect) into a definition`)
    .option('--as <id>', 'workflow id to give it')
    .option('--map <element=task>', 'run this element (id or BPMN type) as this task node', collect)
    .addOption(new Option('--dialect <dialect>', 'force a dialect instead of detecting it').choices(DIALECT_CHOICES))
    .option('-o, --output <file>', 'write the definition JSON here instead of stdout')
    .addOption(json())
    .action(withApp((app, file: string, o) => importCommand(app, file, o)));
  program
    .command('validate <file>')
    .description('list every problem of a BPMN file (element id, type, line); exit 2 if any')
    .option('--map <element=task>', 'run this element (id or BPMN type) as this task node', collect)
    .addOption(json())
    .action(withApp((app, file: string, o) => validateCommand(app, file, o)));
  program
    .command('test [paths...]')
    .description(
      'run git-workflow scenarios (*.scenario.ts, .json, .bpmn) as a test suite; default: the shipped examples',
    )
    .option('--filter <text>', 'only scenarios whose name, file or id contains this')
    .option('--jobs <n>', 'scenarios run at once, each in its own galaxy', '1')
    .option('--keep', 'leave each galaxy on disk to inspect it')
    .addOption(new Option('--reporter <name>', 'output format').choices(['plain', 'json', 'junit']).default('plain'))
    .option('--matrix', 'run each scenario once per transport (file, daemon, http) and default branch (main, master)')
    .addOption(new Option('--transport <t>', 'transport without --matrix').choices(['file', 'daemon', 'http']))
    .option('--branch <name>', 'default branch without --matrix (default main)')
    .action(withApp((app, paths: string[], o) => testCommand(app, paths, o)));
  return program;
}

/** Runs the CLI with `argv` and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = Exit.Ok as number;
  const program = buildProgram((c) => (code = c));
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? Exit.Ok : Exit.BadInput;
    const err = e instanceof GravityError ? e : undefined;
    const exitCode = err && BAD_INPUT.has(err.code) ? Exit.BadInput : err ? Exit.Failed : Exit.Failed;
    if (wantsJson)
      process.stdout.write(
        `${JSON.stringify({ error: err ? err.toJSON() : { code: 'ERROR', message: (e as Error).message } }, null, 2)}\n`,
      );
    process.stderr.write(`gravity: ${(e as Error).message}\n`);
    if (!err && process.env.GRAVITY_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
