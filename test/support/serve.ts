// A gravity serve in the test's process, on a loopback address of the test's own and a free port, over a data dir of
// its own, with two tokens: `ops` (operate) and `viewer` (read). `api()` calls it with fetch.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../cli/app.js';
import { createServer, type Server, type ServerOptions } from '../../server/server.js';
import { loadTokens, newToken } from '../../server/tokens.js';

export interface TestServer {
  url: string;
  home: string;
  app: App;
  server: Server;
  operate: string;
  read: string;
  tokenFile: string;
  /** Calls the API: `body` is sent as JSON; `token` defaults to the operate token (null: none). */
  api(
    method: string,
    path: string,
    o?: { body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string },
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestServer(
  host: string,
  o: Partial<Omit<ServerOptions, 'app' | 'tokens'>> & { home?: string } = {},
): Promise<TestServer> {
  const home = o.home ?? mkdtempSync(join(tmpdir(), 'gravity-serve-'));
  mkdirSync(home, { recursive: true });
  const tokenFile = join(home, 'tokens.json');
  const operate = newToken();
  const read = newToken();
  writeFileSync(
    tokenFile,
    JSON.stringify({
      tokens: [
        { name: 'ops', role: 'operate', token: operate },
        { name: 'viewer', role: 'read', token: read },
      ],
    }),
    { mode: 0o600 },
  );
  const app = await createApp({ dataDir: home });
  const server = await createServer({
    app,
    tokens: loadTokens(tokenFile).set,
    log: () => undefined,
    cancelPollMs: 100,
    duePollMs: 200,
    root: home,
    ...o,
  });
  const url = await server.listen(host, 0);
  return {
    url,
    home,
    app,
    server,
    operate,
    read,
    tokenFile,
    async api(method, path, a = {}) {
      const token = a.token === undefined ? operate : a.token;
      const res = await fetch(url + path, {
        method,
        headers: {
          ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
          ...(a.body !== undefined || a.raw !== undefined ? { 'content-type': 'application/json' } : {}),
          ...a.headers,
        },
        ...(a.body !== undefined ? { body: JSON.stringify(a.body) } : a.raw !== undefined ? { body: a.raw } : {}),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, body, text, headers: res.headers };
    },
    async close() {
      await server.close();
      await app.close();
    },
  };
}
