// `gravity serve [--listen host:port] [--token-file f] [--hooks f]`: the HTTP API, the webhooks and the web view
// (server/). It runs until SIGINT or SIGTERM: then it stops taking requests and detaches the runs it drives (their
// supervised steps go on); the next server resumes them. SIGHUP is ignored: a closed terminal does not stop it.
import { join } from 'node:path';
import { BadInputError } from '../../engine/errors.js';
import type { App } from '../app.js';
import { Exit } from '../output.js';

/** `host:port` (IPv6 in brackets); the port 0 takes any free one. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new BadInputError(`--listen ${JSON.stringify(listen)}: expected host:port, e.g. 127.0.0.1:7420`, {
      listen,
    });
  return { host: m[1] ?? m[2], port };
}

const loopback = (host: string) => /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';

export async function serveCommand(
  app: App,
  o: { listen?: string; tokenFile?: string; hooks?: string; root?: string; workflow?: string[]; platformHome?: string },
): Promise<number> {
  const { host, port } = parseListen(o.listen ?? '127.0.0.1:7420');
  const tokenFile = o.tokenFile ?? join(app.dataDir, 'tokens.json');
  const [{ loadTokens }, { createServer }] = await Promise.all([
    import('../../server/tokens.js'),
    import('../../server/server.js'),
  ]);
  const { set, created } = loadTokens(tokenFile);
  // workflow files served beside the catalog, loaded and checked as `gravity run <file>` loads them
  const extraWorkflows = [];
  for (const file of o.workflow ?? []) extraWorkflows.push(await app.load(file));
  const server = await createServer({
    app,
    tokens: set,
    root: o.root,
    hooksFile: o.hooks,
    extraWorkflows,
    platformHome: o.platformHome,
  });
  const url = await server.listen(host, port);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (created)
    say(
      `created ${tokenFile} (mode 0600) with one operate token named "${created.name}": the API wants it as a bearer token`,
    );
  say(`tokens: ${tokenFile} (${set.tokens.map((t) => `${t.name}: ${t.role}`).join(', ')})`);
  if (!loopback(host)) say(`warning: listening on ${host}, not loopback, without TLS: put a TLS proxy in front of it`);
  // the URL alone on stdout: scripts and tests read it from there
  process.stdout.write(`${url}\n`);
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(Exit.Cancelled);
      stopping = true;
      say(`${signal}: stopping; the runs driven here are detached (the next gravity serve resumes them)`);
      void server.close().then(done, (e) => {
        say(`stopping failed: ${(e as Error).message}`);
        done();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', () => say('SIGHUP ignored: gravity serve stops on SIGINT or SIGTERM'));
  });
  return Exit.Ok;
}
