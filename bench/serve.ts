// gravity serve under load, in this process: a real server (test/support/serve.ts: server/server.ts over cli/app.ts, a
// temp data dir, an operate and a read token) on 127.0.0.211. 50 clients poll GET /api/runs?limit=50
// (one every 100 ms each, with jitter) and one polls GET /api/me, while 200 runs of a cheap catalog workflow
// (platform:init into a temp home: files only, no command) are started through POST /api/runs by 8 clients, spread
// over the load. Checked: no run lost or duplicated (every 202's runId stored exactly once, 200 distinct ids, 200
// top-level runs in the store, all succeeded). Reported: p50/p99 latencies under load, against GET /api/me under the
// same load and, idle, against a bare node:http server answering the same JSON bytes (ratios: the numbers compare across
// machines only as such); the server's RSS and heap before and after; then a burst of abusive requests (bad tokens,
// bad JSON, oversized bodies, path tricks) with their statuses and the check that they created nothing.
import { Agent, createServer as createHttpServer, request, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { listRuns } from '../engine/index.js';
import { startTestServer } from '../test/support/serve.js';
import { createTempRoot, median, round } from './harness.js';
import type { BenchResult, Cell } from './report.js';

const HOST = '127.0.0.211';
const POLLERS = 50;
const POLL_MS = 100;
const RUNS = 200;
const POSTERS = 8;
/** The whole load may take this long at most; past it the bench fails (runs not ended are named). */
const LOAD_LIMIT_MS = 60_000;
const WORKFLOW = 'platform:init';

/** The q-quantile (0..1) of samples (nearest rank). */
function quantile(samples: number[], q: number): number {
  if (!samples.length) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** A full garbage collection (the bench runs without --expose-gc: the flag is set now and gc taken from a new context). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const mb = (bytes: number) => round(bytes / (1024 * 1024), 1);

/** One request sent byte for byte (the path as given); resolves with the status, the body and the time taken. */
function send(
  url: string,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; text: string; ms: number }> {
  const u = new URL(url);
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const req = request(
      { host: u.hostname, port: u.port, path, method, headers: o.headers, agent: keepAlive(u.host) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }),
        );
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(o.body);
  });
}

/** One keep-alive agent per host:port (as a browser keeps its connections). */
const agents = new Map<string, Agent>();
function keepAlive(hostPort: string): Agent {
  let a = agents.get(hostPort);
  if (!a) agents.set(hostPort, (a = new Agent({ keepAlive: true, maxSockets: 128 })));
  return a;
}

/** Latencies of `n` sequential GETs of each path, interleaved (so each sees the same conditions). */
async function idleLatencies(targets: Array<{ url: string; path: string; token?: string }>, n: number) {
  const out = targets.map(() => [] as number[]);
  for (let i = 0; i < n; i++)
    for (const [k, t] of targets.entries()) {
      const r = await send(t.url, 'GET', t.path, {
        headers: t.token ? { authorization: `Bearer ${t.token}` } : {},
      });
      if (r.status !== 200) throw new Error(`GET ${t.path}: ${r.status} ${r.text.slice(0, 200)}`);
      if (i >= 20) out[k]!.push(r.ms); // (the first 20: warm-up)
    }
  return out;
}

export async function serveBench(): Promise<BenchResult> {
  const started = performance.now();
  const tmp = await createTempRoot('gravity-bench-serve-');
  const platformHome = join(tmp.path, 'platforms-home');
  // the server's own polling periods, not the tests' shorter ones
  const ts = await startTestServer(HOST, {
    home: join(tmp.path, 'data'),
    root: tmp.path,
    cancelPollMs: 250,
    duePollMs: 1000,
  });
  const { server, app, operate, read } = ts;
  let bare: HttpServer | undefined;
  const rows: Array<Record<string, Cell>> = [];
  const notes: string[] = [];
  try {
    const url = ts.url;
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    const get = (path: string, t = read) => send(url, 'GET', path, { headers: auth(t) });
    // warm-up: the routes compiled, the catalog and the registry loaded, one run through
    for (let i = 0; i < 20; i++) await get('/api/runs?limit=50');
    const warm = await send(url, 'POST', '/api/runs', {
      headers: { ...auth(operate), 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: WORKFLOW, params: { platform: 'warmup', home: platformHome } }),
    });
    if (warm.status !== 202) throw new Error(`warm-up POST /api/runs: ${warm.status} ${warm.text}`);
    const warmId = (JSON.parse(warm.text) as { runId: string }).runId;
    while ((await server.runs.record(warmId)).status === 'running') await sleep(20);
    collect();
    const before = process.memoryUsage();

    // ----------------------------------------------------------------------------------------------- the load
    const getRuns: number[] = [];
    const getMe: number[] = [];
    const posts: number[] = [];
    const failures: string[] = [];
    const ids: string[] = [];
    let stop = false;
    const poll = async (path: string, into: number[], first: number) => {
      await sleep(first);
      while (!stop) {
        const t0 = performance.now();
        const r = await get(path).catch((e: Error) => ({ status: 0, text: e.message, ms: 0 }));
        if (r.status !== 200) failures.push(`GET ${path}: ${r.status} ${r.text.slice(0, 120)}`);
        else into.push(r.ms);
        // one request every POLL_MS (±20 %) per client, whatever the answer took
        await sleep(Math.max(0, POLL_MS * (0.8 + Math.random() * 0.4) - (performance.now() - t0)));
      }
    };
    const loadStart = performance.now();
    const pollers = [
      ...Array.from({ length: POLLERS }, (_, i) => poll('/api/runs?limit=50', getRuns, (i * POLL_MS) / POLLERS)),
      poll('/api/me', getMe, 0),
    ];
    // 8 clients start 25 runs each, one every 40-120 ms: the starts spread over a few seconds, 8 at most at once
    let next = 0;
    const post = async () => {
      while (next < RUNS) {
        const i = next++;
        const r = await send(url, 'POST', '/api/runs', {
          headers: { ...auth(operate), 'content-type': 'application/json' },
          body: JSON.stringify({ workflow: WORKFLOW, params: { platform: `bench-${i}`, home: platformHome } }),
        }).catch((e: Error) => ({ status: 0, text: e.message, ms: 0 }));
        if (r.status !== 202) failures.push(`POST /api/runs #${i}: ${r.status} ${r.text.slice(0, 200)}`);
        else {
          posts.push(r.ms);
          ids.push((JSON.parse(r.text) as { runId: string }).runId);
        }
        await sleep(40 + Math.random() * 80);
      }
    };
    await Promise.all(Array.from({ length: POSTERS }, post));
    const postedMs = performance.now() - loadStart;
    // every run ended (read from the store, as `gravity runs` reads it)
    const store = app.store;
    for (;;) {
      const { runs } = await listRuns(store);
      const running = runs.filter((r) => !r.parent && r.status === 'running');
      if (!running.length) break;
      if (performance.now() - loadStart > LOAD_LIMIT_MS)
        throw new Error(
          `${running.length} run(s) still running after ${LOAD_LIMIT_MS} ms: ${running.map((r) => r.id)}`,
        );
      await sleep(100);
    }
    const endedMs = performance.now() - loadStart;
    // the pollers go on a second more: the listing once every run has ended
    await sleep(1000);
    stop = true;
    await Promise.all(pollers);
    const loadMs = performance.now() - loadStart;
    const after = process.memoryUsage();
    collect();
    const afterGc = process.memoryUsage();

    // ------------------------------------------------------------------------------------- nothing lost or twice
    const { runs: all, unreadable } = await listRuns(store);
    const top = all.filter((r) => !r.parent && r.id !== warmId);
    const stored = new Map<string, number>();
    for (const r of top) stored.set(r.id, (stored.get(r.id) ?? 0) + 1);
    const distinct = new Set(ids);
    const lost = ids.filter((id) => !stored.has(id));
    const twice = [...stored].filter(([, n]) => n > 1).map(([id]) => id);
    const strangers = top.filter((r) => !distinct.has(r.id)).map((r) => r.id);
    const notSucceeded = top.filter((r) => r.status !== 'succeeded').map((r) => `${r.id} ${r.status}`);
    const listed = JSON.parse((await get('/api/runs?limit=1000')).text) as { runs: Array<{ runId: string }> };
    const listedIds = listed.runs.map((r) => r.runId).filter((id) => id !== warmId);
    const ok =
      failures.length === 0 &&
      ids.length === RUNS &&
      distinct.size === RUNS &&
      top.length === RUNS &&
      lost.length === 0 &&
      twice.length === 0 &&
      strangers.length === 0 &&
      notSucceeded.length === 0 &&
      unreadable.length === 0 &&
      listedIds.length === RUNS &&
      new Set(listedIds).size === RUNS;
    if (!ok)
      throw new Error(
        `serve bench: runs lost or duplicated, or requests failed: ${JSON.stringify({
          accepted: ids.length,
          distinct: distinct.size,
          stored: top.length,
          lost,
          twice,
          strangers,
          notSucceeded: notSucceeded.slice(0, 10),
          unreadable: unreadable.length,
          listedByApi: listedIds.length,
          failures: failures.slice(0, 10),
        })}`,
      );

    // ------------------------------------------------------------------------------- idle, against references
    const runsJson = (await get('/api/runs?limit=50')).text;
    bare = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(runsJson);
    });
    await new Promise<void>((done) => bare!.listen(0, HOST, done));
    const bareAddr = bare.address();
    const bareUrl = `http://${HOST}:${typeof bareAddr === 'object' && bareAddr ? bareAddr.port : 0}`;
    const [idleBare, idleMe, idleRuns] = await idleLatencies(
      [
        { url: bareUrl, path: '/api/runs?limit=50' },
        { url, path: '/api/me', token: read },
        { url, path: '/api/runs?limit=50', token: read },
      ],
      320,
    );

    // what a read of the store for the listing costs (the route makes one per 250 ms at most), alone
    const listing: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await listRuns(store);
      listing.push(performance.now() - t0);
    }

    // --------------------------------------------------------------------------------------------- the abuse
    const runsBefore = (await listRuns(store)).runs.length;
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    const abuse: Array<{
      what: string;
      method: string;
      path: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      want: number[];
    }> = [
      { what: 'no token', method: 'GET', path: '/api/runs', want: [401] },
      { what: 'unknown token', method: 'GET', path: '/api/runs', headers: auth('x'.repeat(43)), want: [401] },
      {
        what: 'malformed header',
        method: 'GET',
        path: '/api/runs',
        headers: { authorization: `Basic ${read}` },
        want: [401],
      },
      {
        what: 'read token, operate route',
        method: 'POST',
        path: '/api/runs',
        headers: { ...auth(read), 'content-type': 'application/json' },
        body: JSON.stringify({ workflow: WORKFLOW }),
        want: [403],
      },
      {
        what: 'bad JSON',
        method: 'POST',
        path: '/api/runs',
        headers: { ...auth(operate), 'content-type': 'application/json' },
        body: '{"workflow":',
        want: [400],
      },
      {
        what: 'body over the limit (1 MiB)',
        method: 'POST',
        path: '/api/runs',
        headers: { ...auth(operate), 'content-type': 'application/json' },
        body: big,
        want: [413],
      },
      {
        what: 'encoded dot-dot run id',
        method: 'GET',
        path: '/api/runs/..%2F..%2Fetc',
        headers: auth(read),
        want: [400, 404],
      },
      {
        what: 'run id then ../..',
        method: 'GET',
        path: '/api/runs/261205-120000-abcdef/../../tokens.json',
        headers: auth(read),
        want: [400, 404],
      },
      {
        what: 'long id',
        method: 'GET',
        path: `/api/runs/${'a'.repeat(5000)}`,
        headers: auth(read),
        want: [400, 404, 414],
      },
    ];
    const abuseMs: number[] = [];
    const wrong: string[] = [];
    for (let i = 0; i < 10; i++)
      for (const a of abuse) {
        const r = await send(url, a.method, a.path, { headers: a.headers, body: a.body });
        if (!a.want.includes(r.status)) wrong.push(`${a.what}: ${r.status}`);
        abuseMs.push(r.ms);
      }
    const runsAfter = (await listRuns(store)).runs.length;
    const alive = (await get('/api/me')).status === 200;

    // ------------------------------------------------------------------------------------------------ report
    const p50 = (s: number[]) => round(median(s), 2);
    const p99 = (s: number[]) => round(quantile(s, 0.99), 2);
    const idleRef = median(idleBare!);
    const loadMe = median(getMe);
    const row = (name: string, s: number[], ratio: number | null, ref: string): Record<string, Cell> => ({
      case: name,
      n: s.length,
      p50Ms: p50(s),
      p99Ms: p99(s),
      ratio: ratio === null ? null : round(ratio, 2),
      reference: ref,
    });
    rows.push(
      row('under load: GET /api/runs?limit=50', getRuns, median(getRuns) / loadMe, 'GET /api/me, same load'),
      row('under load: GET /api/me', getMe, null, ''),
      row('under load: POST /api/runs (202)', posts, median(posts) / loadMe, 'GET /api/me, same load'),
      row('idle: bare node:http, same JSON', idleBare!, 1, 'itself'),
      row('idle: GET /api/me', idleMe!, median(idleMe!) / idleRef, 'bare node:http'),
      row('idle: GET /api/runs?limit=50', idleRuns!, median(idleRuns!) / idleRef, 'bare node:http'),
      row('abuse: 4xx answers', abuseMs, median(abuseMs) / idleRef, 'bare node:http'),
      row(
        `idle: listRuns(store) of ${RUNS + 1} runs, in process`,
        listing,
        median(listing) / idleRef,
        'bare node:http',
      ),
    );
    notes.push(
      `runs: ${ids.length} accepted (202), ${distinct.size} distinct ids, ${top.length} in the store, ${top.length - notSucceeded.length} succeeded, 0 lost, 0 twice; GET /api/runs?limit=1000 lists ${listedIds.length}`,
      `load: ${POLLERS} clients polling GET /api/runs?limit=50 every ~${POLL_MS} ms and one GET /api/me, ${POSTERS} clients starting ${RUNS} runs of ${WORKFLOW}; starts took ${(postedMs / 1000).toFixed(1)} s, every run ended at ${(endedMs / 1000).toFixed(1)} s, load ${(loadMs / 1000).toFixed(1)} s (${Math.round((getRuns.length + getMe.length) / (loadMs / 1000))} GET/s)`,
      `server process memory (the clients share the process: an upper bound): before the load (after a gc) rss ${mb(before.rss)} MB, heap ${mb(before.heapUsed)} MB; right after it rss ${mb(after.rss)} MB, heap ${mb(after.heapUsed)} MB; after a gc rss ${mb(afterGc.rss)} MB, heap ${mb(afterGc.heapUsed)} MB (kept: ${mb(afterGc.heapUsed - before.heapUsed)} MB for ${RUNS} runs)`,
      `abuse: ${abuseMs.length} requests (${abuse.map((a) => a.what).join(', ')}): ${wrong.length ? `WRONG statuses: ${wrong.slice(0, 5).join('; ')}` : 'each answered as expected'}; runs before ${runsBefore}, after ${runsAfter}; server ${alive ? 'still answers' : 'DOES NOT ANSWER'}`,
    );
    const memory = (name: string, bytes: number): Record<string, Cell> => ({
      case: `memory: ${name} (MB)`,
      n: null,
      p50Ms: null,
      p99Ms: null,
      ratio: mb(bytes),
      reference: 'MB',
    });
    rows.push(
      memory('rss before, gc', before.rss),
      memory('heap before, gc', before.heapUsed),
      memory('rss right after', after.rss),
      memory('heap right after', after.heapUsed),
      memory('rss after, gc', afterGc.rss),
      memory('heap after, gc', afterGc.heapUsed),
    );
    if (wrong.length || runsAfter !== runsBefore || !alive)
      throw new Error(`serve bench: the abuse was not answered as expected: ${notes[notes.length - 1]}`);
  } finally {
    for (const a of agents.values()) a.destroy();
    agents.clear();
    await new Promise<void>((done) => (bare ? bare.close(() => done()) : done()));
    await ts.close();
    await tmp.dispose();
  }
  return {
    name: 'serve',
    title: 'gravity serve under load: runs started while 50 clients poll',
    explain: [
      `A real gravity serve in this process on ${HOST}; latencies in ms (p50, p99) as the clients measure them.`,
      'Ratios: under load, against GET /api/me under the same load; idle, against a bare node:http server',
      'answering the same JSON bytes. The bench fails if a run is lost, duplicated or did not succeed.',
    ],
    columns: [
      { key: 'case', label: 'case' },
      { key: 'n', label: 'n' },
      { key: 'p50Ms', label: 'p50 ms', digits: 2 },
      { key: 'p99Ms', label: 'p99 ms', digits: 2 },
      { key: 'ratio', label: 'x ref / value', digits: 2 },
      { key: 'reference', label: 'reference' },
    ],
    rows,
    notes,
    elapsedMs: performance.now() - started,
  };
}
