// The `gravity` command: parses argv with commander, calls the engine through the commands, maps results to exit codes.
// Only commander and this file load up front: each command's module (and with it the engine, the BPMN code, the task
// registry, pino, listr2) is imported when that command runs, so `gravity --help` or `gravity list` start fast.
import { Command, CommanderError, Option } from 'commander';
import { BadInputError, ErrorCode, GravityError } from '../engine/errors.js';
import type { App } from './app.js';
import { Exit, jsonText } from './output.js';
import { numberOption } from './options.js';
import { packageVersion } from './version.js';

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

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** What the `--dialect` options of export and import show and accept; it comes with the BPMN code (cli/commands/bpmn.ts). */
export type DialectTexts = Pick<
  typeof import('./commands/bpmn.js'),
  'DIALECT_CHOICES' | 'EXPORT_DIALECT_HELP' | 'IMPORT_DIALECTS'
>;

// the command modules, imported when their command runs
const inspect = () => import('./commands/inspect.js');
const execute = () => import('./commands/execute.js');
const bpmn = () => import('./commands/bpmn.js');

/**
 * Builds the program; `exit` receives the exit code of the command. The `--dialect` options of export and import are
 * there only when `dialects` is given: their choices come with the BPMN code, loaded only for those commands.
 */
export function buildProgram(exit: (code: number) => void, dialects?: DialectTexts): Command {
  const program = new Command('gravity')
    .description('Workflows for DevOps operations: persisted, resumable, exportable to BPMN.')
    .version(packageVersion(), '-V, --version', 'print the version of gravity')
    .option('--data-dir <dir>', 'where runs are stored (default: $GRAVITY_HOME or ~/.gravity)')
    .showSuggestionAfterError(true)
    .exitOverride();
  const withApp =
    <A extends unknown[]>(fn: (app: App, ...args: A) => Promise<number>) =>
    async (...args: A) => {
      const { createApp } = await import('./app.js');
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
    .action(withApp(async (app, o) => (await inspect()).listCommand(app, o)));
  program
    .command('tasks [task]')
    .description("list the task nodes, or show one task's inputs and outputs")
    .addOption(json())
    .action(
      withApp(async (app, id: string | undefined, o) => (await import('./commands/tasks.js')).tasksCommand(app, id, o)),
    );
  program
    .command('describe <workflow>')
    .description('show the params and the steps of a workflow as a tree')
    .addOption(json())
    .action(withApp(async (app, wf: string, o) => (await inspect()).describeCommand(app, wf, o)));
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
    .option('--no-input', 'never ask at the terminal: an approval parks the run (status waiting, exit 4)')
    .option(
      '--root <dir>',
      'folder file tasks may not write outside of (default: current directory; refused when the workflow declares its own root)',
    )
    .addOption(json())
    .action(withApp(async (app, wf: string, o) => (await execute()).runCommand(app, wf, o)));
  program
    .command('runs')
    .description('list runs, newest first')
    .addOption(json())
    .option('--workflow <id>', 'only runs of this workflow')
    .option('--limit <n>', 'how many', numberOption({ min: 1 }), 20)
    .option('--all', 'include child runs of call steps')
    .addOption(
      new Option('--status <status>', 'only runs in this status').choices([
        'running',
        'interrupted',
        'waiting',
        'succeeded',
        'failed',
        'cancelled',
        'detached',
        'needs-attention',
        'rolled-back',
      ]),
    )
    .action(withApp(async (app, o) => (await inspect()).runsCommand(app, o)));
  program
    .command('show <run>')
    .description('a run: status, steps with durations, outputs and errors')
    .addOption(json())
    .option('--journal', 'also print every journal entry')
    .action(withApp(async (app, id: string, o) => (await inspect()).showCommand(app, id, o)));
  program
    .command('resume [run]')
    .description(
      'resume an interrupted, cancelled or waiting run where it stopped; --due: every waiting run whose timeout has passed',
    )
    .option('--due', 'resume every waiting run whose timeout path has fallen due (run it from cron)')
    .option('--force', 're-run interrupted steps that are not idempotent')
    .option('--allow-changed', 'resume even though the workflow definition changed')
    .option('--no-input', 'never ask at the terminal: an approval parks the run (status waiting, exit 4)')
    .addOption(
      new Option('--wait [seconds]', 'wait for another process driving the run to let go (default: refuse at once)')
        .preset('600')
        .argParser(numberOption({ min: 0, max: 86_400, decimals: true, unit: 'seconds' })),
    )
    .option('--root <dir>', 'folder file tasks may not write outside of (refused when the run has its own root)')
    .addOption(json())
    .action(
      withApp(async (app, id: string | undefined, o) => {
        const x = await execute();
        const opts = { ...o, waitMs: (o.wait ?? 0) * 1000 };
        if (o.due && id !== undefined)
          throw new BadInputError('give a run id or --due, not both (--due resumes every waiting run that is due)');
        if (o.due) return x.resumeDueCommand(app, opts);
        if (id === undefined) throw new BadInputError("missing argument 'run': the run to resume (or --due)");
        return x.resumeCommand(app, id, opts);
      }),
    );
  const waitOption = () =>
    new Option('--wait [seconds]', 'wait for another process driving the run to let go (default: refuse at once)')
      .preset('600')
      .argParser(numberOption({ min: 0, max: 86_400, decimals: true, unit: 'seconds' }));
  program
    .command('approve <run>')
    .description('approve the approval step a waiting run waits at, and drive the run on')
    .option('--step <id>', 'the step, when the run waits at several')
    .option('--reason <text>', 'why (journaled with who and when)')
    .option('--no-input', 'never ask at the terminal: a later approval parks the run again')
    .addOption(waitOption())
    .addOption(json())
    .action(
      withApp(async (app, id: string, o) =>
        (await execute()).answerCommand(app, id, 'approve', { ...o, waitMs: (o.wait ?? 0) * 1000 }),
      ),
    );
  program
    .command('reject <run>')
    .description('reject the approval step a waiting run waits at: its reject path runs, or the run fails')
    .requiredOption('--reason <text>', 'why (journaled with who and when)')
    .option('--step <id>', 'the step, when the run waits at several')
    .option('--no-input', 'never ask at the terminal: a later approval parks the run again')
    .addOption(waitOption())
    .addOption(json())
    .action(
      withApp(async (app, id: string, o) =>
        (await execute()).answerCommand(app, id, 'reject', { ...o, waitMs: (o.wait ?? 0) * 1000 }),
      ),
    );
  program
    .command('signal [run] [message]')
    .description(
      'deliver a message to a run that waits for it, or whose running (or parked) step listens for it and is interrupted by it (`signal <run> <message>`), or to every such run with a key (`signal --message <name> --key <k>`)',
    )
    .option('--message <name>', 'the message name (instead of the second argument)')
    .option('--key <key>', 'the correlation key the waiting (or listening) step expects')
    .option('--data <json>', 'the data the message carries (in scope as steps.<step>.data)')
    .option('--step <id>', 'the step, when the run waits at several')
    .option('--no-input', 'never ask at the terminal: a later approval parks the run again')
    .addOption(waitOption())
    .addOption(json())
    .action(
      withApp(async (app, id: string | undefined, message: string | undefined, o) =>
        (await execute()).signalCommand(app, id, message, { ...o, waitMs: (o.wait ?? 0) * 1000 }),
      ),
    );
  program
    .command('cancel <run>')
    .description('cancel a running run (it stays resumable)')
    .addOption(json())
    .action(withApp(async (app, id: string, o) => (await execute()).cancelCommand(app, id, o)));
  program
    .command('rollback <run>')
    .description('undo the finished steps of a run, newest first')
    .addOption(json())
    .option('--root <dir>', 'folder file tasks may not write outside of (refused when the run has its own root)')
    .action(withApp(async (app, id: string, o) => (await execute()).rollbackCommand(app, id, o)));
  const exportCmd = program
    .command('export [workflow]')
    .description('export a workflow to BPMN 2.0 XML with a diagram')
    .option('-o, --output <path>', 'file to write (a folder with --all); default: stdout')
    .option('--all', 'export every catalog workflow into the -o folder')
    .addOption(json())
    .action(withApp(async (app, wf: string | undefined, o) => (await bpmn()).exportCommand(app, wf, o)));
  // the list of subcommands (`gravity --help`) shows the summary, which needs no BPMN code; `import --help` the rest
  const importCmd = program
    .command('import <file>')
    .summary('import a BPMN file into a definition')
    .description('import a BPMN file into a definition')
    .option('--as <id>', 'workflow id to give it')
    .option('--map <element=task>', 'run this element (id or BPMN type) as this task node', collect)
    .option('-o, --output <file>', 'write the definition JSON here instead of stdout')
    .addOption(json())
    .action(withApp(async (app, file: string, o) => (await bpmn()).importCommand(app, file, o)));
  if (dialects) {
    const { DIALECT_CHOICES, EXPORT_DIALECT_HELP, IMPORT_DIALECTS } = dialects;
    exportCmd.addOption(new Option('--dialect <dialect>', EXPORT_DIALECT_HELP).choices(DIALECT_CHOICES));
    importCmd
      .description(`import a BPMN file (${IMPORT_DIALECTS} dialect) into a definition`)
      .addOption(new Option('--dialect <dialect>', 'force a dialect instead of detecting it').choices(DIALECT_CHOICES));
  }
  program
    .command('validate <file>')
    .description('list every problem of a BPMN file (element id, type, line); exit 2 if any')
    .option('--map <element=task>', 'run this element (id or BPMN type) as this task node', collect)
    .addOption(json())
    .action(withApp(async (app, file: string, o) => (await bpmn()).validateCommand(app, file, o)));
  program
    .command('serve')
    .description('serve the API, the webhooks and the web view of runs over HTTP (until SIGINT or SIGTERM)')
    .option('--listen <host:port>', 'where to listen (default 127.0.0.1:7420; port 0: any free one)')
    .option('--token-file <file>', 'the tokens (default <data dir>/tokens.json; created with one operate token)')
    .option('--hooks <file>', 'the webhooks (default <data dir>/hooks.json, when it exists)')
    .option('--root <dir>', 'root folder of the runs it starts (default: the current directory), as run --root')
    .option('--workflow <file>', 'also serve this definition (.json) or BPMN file (repeat for several)', collect)
    .option('--platform-home <dir>', 'where the platforms /api/platforms lists are (default /srv/gravity)')
    .action(withApp(async (app, o) => (await import('./commands/serve.js')).serveCommand(app, o)));
  program
    .command('test [paths...]')
    .description(
      'run git-workflow scenarios (*.scenario.ts, .json, .bpmn) as a test suite; default: the shipped examples',
    )
    .option('--filter <text>', 'only scenarios whose name, file or id contains this')
    .option('--jobs <n>', 'scenarios run at once, each in its own galaxy', numberOption({ min: 1, max: 64 }), 1)
    .option('--keep', 'leave each galaxy on disk to inspect it')
    .addOption(new Option('--reporter <name>', 'output format').choices(['plain', 'json', 'junit']).default('plain'))
    .addOption(new Option('--json', 'the same as --reporter json').conflicts('reporter'))
    .option('--matrix', 'run each scenario once per transport (file, daemon, http) and default branch (main, master)')
    .addOption(new Option('--transport <t>', 'transport without --matrix').choices(['file', 'daemon', 'http']))
    .option('--branch <name>', 'default branch without --matrix (default main)')
    .action(
      withApp(async (app, paths: string[], o) =>
        (await import('./commands/test.js')).testCommand(app, paths, { ...o, reporter: o.json ? 'json' : o.reporter }),
      ),
    );
  return program;
}

/** argv without the global options (`--data-dir <dir>`): empty when no command is named. */
function commandArgs(argv: string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--data-dir=')) continue;
    if (argv[i] === '--data-dir' && i + 1 < argv.length) i++;
    else rest.push(argv[i]);
  }
  return rest;
}

/** A usage error of commander (`error: unknown option '--x'`) as the CLI's JSON error object. */
function usageError(e: CommanderError): BadInputError {
  return new BadInputError(e.message.replace(/^error: /, ''), { usage: e.code });
}

/** Runs the CLI with `argv` and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = Exit.Ok as number;
  // the BPMN code (and the engine under it) is loaded for the commands whose options need its dialect list only
  const dialects = argv.some((a) => a === 'export' || a === 'import') ? await bpmn() : undefined;
  const program = buildProgram((c) => (code = c), dialects);
  const wantsJson = argv.includes('--json');
  if (!commandArgs(argv).length) {
    // `gravity` alone asks what there is: the help, on stdout, and no error
    program.outputHelp();
    return Exit.Ok;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return Exit.Ok;
      if (wantsJson) process.stdout.write(jsonText({ error: usageError(e).toJSON() }));
      return Exit.BadInput;
    }
    const err = e instanceof GravityError ? e : undefined;
    const exitCode = err && BAD_INPUT.has(err.code) ? Exit.BadInput : Exit.Failed;
    if (wantsJson)
      process.stdout.write(jsonText({ error: err ? err.toJSON() : { code: 'ERROR', message: (e as Error).message } }));
    process.stderr.write(`gravity: ${(e as Error).message}\n`);
    if (!err && process.env.GRAVITY_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
