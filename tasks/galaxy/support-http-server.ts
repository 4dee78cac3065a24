// Standalone smart-HTTP git server of a galaxy: one `git http-backend` CGI per request, 127.0.0.x only, exits by itself.
// Run as `node support-http-server.js --address 127.0.0.x --root <remotes dir>`; prints `{ "port": N, "pid": P }` once listening.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { isGalaxyAddress } from './support-address.js';

/** Hard limits: the server stops after this many requests or this long, whatever the arguments say. */
const MAX_REQUESTS = 20_000;
const MAX_LIFETIME_MS = 15 * 60_000;
const REQUEST_TIMEOUT_MS = 120_000;
const MAX_CGI_HEADER = 64 * 1024;

const fail = (message: string): never => {
  process.stderr.write(`galaxy http server: ${message}\n`);
  process.exit(2);
};

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    root: { type: 'string' },
    'max-requests': { type: 'string' },
    'max-ms': { type: 'string' },
  },
});
const address = values.address ?? '';
if (!isGalaxyAddress(address)) fail(`refusing to bind ${JSON.stringify(address)}: only 127.0.0.x with x in 2..250`);
const root = values.root ?? '';
if (!isAbsolute(root) || !existsSync(root))
  fail(`--root must be an existing absolute folder, got ${JSON.stringify(root)}`);
const maxRequests = Math.min(MAX_REQUESTS, Number(values['max-requests'] ?? MAX_REQUESTS) || MAX_REQUESTS);
const maxMs = Math.min(MAX_LIFETIME_MS, Number(values['max-ms'] ?? MAX_LIFETIME_MS) || MAX_LIFETIME_MS);
const backend = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');

process.stdout.on('error', () => {}); // the parent stops reading after the first line
let served = 0;
let closing = false;

// Sends the CGI response head: the Status: line as the status code, every other line as a header.
function writeCgiHead(res: ServerResponse, head: string): void {
  let status = 200;
  let reason: string | undefined;
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const m = /^(\d{3})\s*(.*)$/.exec(value);
      if (m) [status, reason] = [Number(m[1]), m[2] || undefined];
    } else {
      const prev = res.getHeader(name);
      res.setHeader(name, prev === undefined ? value : [...(Array.isArray(prev) ? prev : [String(prev)]), value]);
    }
  }
  if (reason) res.writeHead(status, reason);
  else res.writeHead(status);
}

// Serves one request through `git http-backend`.
function handle(req: IncomingMessage, res: ServerResponse): void {
  if (++served >= maxRequests) shutdown(`served ${served} requests`);
  if (closing) {
    res.shouldKeepAlive = false;
    res.on('finish', () => server.closeIdleConnections());
  }
  if (req.method !== 'GET' && req.method !== 'POST') return void res.writeHead(405, { Allow: 'GET, POST' }).end();
  const url = new URL(req.url ?? '/', 'http://galaxy');
  let pathInfo: string;
  try {
    pathInfo = decodeURIComponent(url.pathname);
  } catch {
    return void res.writeHead(400).end('bad path\n');
  }
  if (pathInfo.includes('\0') || pathInfo.split('/').includes('..')) return void res.writeHead(400).end('bad path\n');
  const h = req.headers;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    PATH_INFO: pathInfo,
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: h['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '',
  };
  if (h['content-length'] !== undefined) env.CONTENT_LENGTH = h['content-length'];
  if (h['content-encoding'] !== undefined) env.HTTP_CONTENT_ENCODING = h['content-encoding'];
  if (typeof h['git-protocol'] === 'string') env.HTTP_GIT_PROTOCOL = h['git-protocol'];

  const cgi = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => cgi.kill('SIGKILL'), REQUEST_TIMEOUT_MS);
  cgi.on('error', (e) => process.stderr.write(`git http-backend: ${e.message}\n`));
  cgi.stdin.on('error', () => {});
  cgi.stderr.on('data', (b: Buffer) => process.stderr.write(b));
  req.pipe(cgi.stdin);
  res.on('close', () => {
    if (cgi.exitCode === null && cgi.signalCode === null) cgi.kill('SIGTERM');
  });

  let head = Buffer.alloc(0);
  let headDone = false;
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const crlf = text.indexOf('\r\n\r\n');
    const lf = text.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : lf >= 0 ? [lf, 2] : undefined;
    if (!end) {
      if (head.length > MAX_CGI_HEADER) cgi.kill('SIGKILL');
      return;
    }
    headDone = true;
    cgi.stdout.off('data', onData);
    writeCgiHead(res, text.slice(0, end[0]));
    res.write(head.subarray(end[0] + end[1]));
    cgi.stdout.pipe(res);
  };
  cgi.stdout.on('data', onData);
  cgi.on('close', (code, sig) => {
    clearTimeout(timer);
    if (!headDone && !res.headersSent)
      res.writeHead(502).end(`git http-backend ended without a response (${sig ?? `exit code ${code}`})\n`);
    else if (!res.writableEnded) res.end();
  });
}

const server = http.createServer(handle);

// Stops accepting, lets the requests in flight finish, and exits (at the latest 10 s later).
function shutdown(why: string): void {
  if (closing) return;
  closing = true;
  process.stderr.write(`galaxy http server: stopping (${why})\n`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000);
}

server.on('error', (e) => fail(e.message));
server.listen({ host: address, port: 0 }, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
  setTimeout(() => shutdown(`lifetime of ${maxMs} ms reached`), maxMs);
});
process.on('SIGTERM', () => process.exit(0));
