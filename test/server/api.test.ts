// gravity serve's API over real HTTP: tokens and roles, limits, strict inputs, runs started, listed, streamed, cancelled,
// resumed, rolled back and answered; runs the CLI sees; the OpenAPI description. Servers on 127.0.0.171-174.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { approval, receive, sequence, task, workflow, type Definition } from '../../engine/authoring.js';
import { listRuns, readJournal } from '../../engine/records.js';
import { loadTokens } from '../../server/tokens.js';
import { startTestServer, type TestServer } from '../support/serve.js';
import { BIN } from '../support/cli.js';

/** The real CLI in a child process. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CI: 'true', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

const echo = (id: string, text: string) =>
  task(id, 'exec.run', { command: 'echo', args: [text], supervised: false, idempotent: true });

const extraWorkflows: Definition[] = [
  workflow({
    id: 'test:steps',
    title: 'Three steps',
    params: { who: { type: 'string', description: 'who to greet', pattern: '^[a-z]+$' } },
    steps: sequence(echo('one', '="hello " + params.who'), echo('two', 'two'), echo('three', 'three')),
  }),
  workflow({
    id: 'test:slow',
    params: {},
    steps: sequence(echo('first', 'first'), task('sleep', 'exec.run', { command: 'sleep', args: ['30'] })),
  }),
  workflow({
    id: 'test:fails',
    params: {},
    steps: sequence(
      echo('ok', 'ok'),
      task('broken', 'exec.run', { command: 'sh', args: ['-c', 'echo boom >&2; exit 3'] }),
    ),
  }),
  workflow({
    id: 'test:approve',
    params: {},
    steps: sequence(approval('confirm', 'Go on?'), echo('after', 'approved')),
  }),
  workflow({
    id: 'test:message',
    params: { key: { type: 'string' } },
    steps: sequence(receive('ready', 'ready', { key: '=params.key' }), echo('after', 'got it')),
  }),
  workflow({
    id: 'test:timer',
    params: {},
    steps: sequence(
      receive('never', 'never', { timeout: { ms: 2500, then: echo('late', 'timed out') } }),
      echo('after', 'after'),
    ),
  }),
];

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('127.0.0.171', { extraWorkflows });
});
afterAll(async () => {
  await s?.close();
});

/** Polls run `id` until `ok(record)` or 20 s. */
async function until(id: string, ok: (run: any) => boolean, server = s): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await server.api('GET', `/api/runs/${id}`);
    if (r.status === 200 && ok(r.body.run)) return r.body;
    if (Date.now() > deadline) throw new Error(`run ${id}: still ${JSON.stringify(r.body?.run?.status ?? r.body)}`);
    await new Promise((x) => setTimeout(x, 50));
  }
}

const start = async (workflow: string, params: Record<string, unknown> = {}) => {
  const r = await s.api('POST', '/api/runs', { body: { workflow, params } });
  expect(r.status, r.text).toBe(202);
  return r.body.runId as string;
};

describe('tokens', () => {
  it('401 without a token or with an unknown one, 403 for a read token on a write route, 200 with the right one', async () => {
    expect((await s.api('GET', '/api/runs', { token: null })).status).toBe(401);
    const wrong = await s.api('GET', '/api/runs', { token: 'grv_not-a-token-of-this-server-at-all' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(
      (await s.api('GET', '/api/runs', { headers: { authorization: `Basic ${s.read}` }, token: null })).status,
    ).toBe(401);
    expect((await s.api('GET', '/api/runs', { token: s.read })).status).toBe(200);
    const forbidden = await s.api('POST', '/api/runs', { token: s.read, body: { workflow: 'test:steps' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.message).toMatch(/viewer.*read only/);
    expect((await s.api('GET', '/api/me', { token: s.read })).body).toEqual({ name: 'viewer', role: 'read' });
  });

  it('creates a missing token file with mode 0600 and one operate token; refuses a file others may read', async () => {
    const file = join(s.home, 'new', 'tokens.json');
    const { set, created } = loadTokens(file);
    expect(created?.role).toBe('operate');
    expect(set.check(created!.token)?.name).toBe('admin');
    expect(set.check(`${created!.token}x`)).toBeUndefined();
    const { statSync } = await import('node:fs');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // loaded again: the same token, nothing created
    expect(loadTokens(file).created).toBeUndefined();
    chmodSync(file, 0o644);
    expect(() => loadTokens(file)).toThrow(/may be read by others \(mode 0644\): run chmod 600/);
  });

  it('creates one token file when eight processes start at once: they all read the same token', async () => {
    const file = join(s.home, 'race', 'tokens.json');
    const dist = join(BIN, '../../dist/server/tokens.js');
    const code = `import(${JSON.stringify(dist)}).then((m) => console.log(m.loadTokens(process.argv[1]).set.tokens[0].token))`;
    const outs = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<string>((res) => {
            let out = '';
            const c = spawn(process.execPath, ['-e', code, file], { stdio: ['ignore', 'pipe', 'inherit'] });
            c.stdout.on('data', (b) => (out += b));
            c.on('close', () => res(out.trim()));
          }),
      ),
    );
    expect(new Set(outs).size).toBe(1);
    expect(outs[0]).toMatch(/^grv_/);
    expect(loadTokens(file).set.tokens.map((t) => t.token)).toEqual([outs[0]]);
  });

  it('names the problem of a bad token file: unknown key with the closest one, a bad role, a short token', () => {
    const file = join(s.home, 'bad-tokens.json');
    const write = (data: unknown) => writeFileSync(file, JSON.stringify(data), { mode: 0o600 });
    write({ tokens: [{ name: 'a', role: 'operate', tokne: 'x'.repeat(30) }] });
    expect(() => loadTokens(file)).toThrow(/tokens\[0\]: unknown key "tokne"; did you mean "token"\?/);
    write({ tokens: [{ name: 'a', role: 'admin', token: 'x'.repeat(30) }] });
    expect(() => loadTokens(file)).toThrow(/tokens\[0\]\.role \(a\): expected "read" or "operate"/);
    write({ tokens: [{ name: 'a', role: 'read', token: 'short' }] });
    expect(() => loadTokens(file)).toThrow(/at least 20 characters/);
    writeFileSync(file, '{"tokens": [', { mode: 0o600 });
    expect(() => loadTokens(file)).toThrow(/is not JSON/);
  });
});

describe('requests', () => {
  it('answers bad JSON with 400, an unknown key with the closest one, an unknown route with 404, a big body with 413', async () => {
    const bad = await s.api('POST', '/api/runs', { raw: '{"workflow": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/JSON/i);
    const key = await s.api('POST', '/api/runs', { body: { workflow: 'test:steps', parms: {} } });
    expect(key.status).toBe(400);
    expect(key.body.message).toBe('body: unknown key "parms"; did you mean "params"? (known: workflow, params)');
    const nowhere = await s.api('GET', '/api/nothing-here');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error).toBe('NOT_FOUND');
    const big = await s.api('POST', '/api/runs', {
      body: { workflow: 'test:steps', params: { who: 'a'.repeat(2 * 1024 * 1024) } },
    });
    expect(big.status).toBe(413);
    const q = await s.api('GET', '/api/runs?limt=3');
    expect(q.status).toBe(400);
    expect(q.body.message).toMatch(/unknown key "limt"; did you mean "limit"\?/);
  });

  it('sends no CORS header, even to a preflight, and sets no cookie', async () => {
    const pre = await fetch(`${s.url}/api/runs`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const r = await fetch(`${s.url}/api/runs`, {
      headers: { origin: 'http://evil.example', authorization: `Bearer ${s.read}` },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('checks params as the CLI does: an unknown param names the closest one, a bad value its pattern', async () => {
    const unknown = await s.api('POST', '/api/runs', { body: { workflow: 'test:steps', params: { wh: 'x' } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/unknown param "wh" for test:steps; did you mean "who"\?/);
    const pattern = await s.api('POST', '/api/runs', { body: { workflow: 'test:steps', params: { who: '../x' } } });
    expect(pattern.status).toBe(400);
    expect(pattern.body.message).toMatch(/who/);
    const missing = await s.api('POST', '/api/runs', { body: { workflow: 'test:steps' } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/missing param "who"/);
    const wf = await s.api('POST', '/api/runs', { body: { workflow: 'test:step' } });
    expect(wf.status).toBe(400);
    expect(wf.body.message).toMatch(/unknown workflow "test:step"; did you mean "test:steps"/);
    expect(
      (await listRuns(s.app.store)).runs.filter((r) => r.workflow.startsWith('test:step') && !r.params.who),
    ).toEqual([]);
  });
});

describe('runs', () => {
  it('starts a run (202, its record exists), lists it, shows its steps and journal; the CLI lists it too', async () => {
    const id = await start('test:steps', { who: 'world' });
    expect((await s.app.store.get(`runs/${id}`))?.value).toMatchObject({ workflow: 'test:steps', driver: 'serve' });
    const done = await until(id, (r) => r.status === 'succeeded');
    expect(done.run.startedBy).toBe('api:ops');
    expect(done.steps.map((x: any) => [x.id, x.status])).toEqual([
      ['one', 'succeeded'],
      ['two', 'succeeded'],
      ['three', 'succeeded'],
    ]);
    expect(done.steps[0].output.stdout).toBe('hello world\n');
    const list = await s.api('GET', '/api/runs?workflow=test:steps&status=succeeded&limit=5');
    expect(list.body.runs.map((r: any) => r.runId)).toContain(id);
    const journal = await s.api('GET', `/api/runs/${id}/journal`);
    expect(journal.body.entries[0].type).toBe('run.started');
    expect(journal.body.entries.at(-1).type).toBe('run.finished');
    const cli = await runCli(['--data-dir', s.home, 'runs', '--json']);
    expect(
      JSON.parse(cli.stdout).runs.map((r: any) => r.runId),
      cli.stdout + cli.stderr,
    ).toContain(id);
    const bpmn = await s.api('GET', `/api/runs/${id}/bpmn`);
    expect(bpmn.headers.get('content-type')).toMatch(/application\/xml/);
    expect(bpmn.text).toMatch(/<bpmn:serviceTask id="two"/);
  });

  it('streams the journal as Server-Sent Events, line by line, then the record', async () => {
    const id = await start('test:steps', { who: 'sse' });
    const res = await fetch(`${s.url}/api/runs/${id}/events`, { headers: { authorization: `Bearer ${s.read}` } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + 15_000;
    while (!/event: run\ndata: [^\n]*"status":"succeeded"/.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const events = [...text.matchAll(/id: (\d+)\nevent: journal\ndata: (.*)\n/g)].map((m) => ({
      id: Number(m[1]),
      ...JSON.parse(m[2]),
    }));
    // every line once, in order, numbered from 0
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.entry.type)).toEqual((await readJournal(s.app.store, id)).map((e) => e.type));
    // a reconnection with Last-Event-ID gets only what came after
    const again = await fetch(`${s.url}/api/runs/${id}/events`, {
      headers: { authorization: `Bearer ${s.read}`, 'last-event-id': String(events.length - 2) },
    });
    const r2 = again.body!.getReader();
    let t2 = '';
    while (!/event: run/.test(t2)) t2 += new TextDecoder().decode((await r2.read()).value);
    await r2.cancel();
    expect([...t2.matchAll(/id: (\d+)\n/g)].map((m) => Number(m[1]))).toEqual([events.length - 1]);
  });

  it('shows a failed step with its error, and the step log holds what the command printed', async () => {
    const id = await start('test:fails');
    const failed = await until(id, (r) => r.status === 'failed');
    const broken = failed.steps.find((x: any) => x.id === 'broken');
    expect(broken.status).toBe('failed');
    expect(broken.error.message).toMatch(/exit(ed with)? code 3|exit code 3/);
    expect(broken.error.message).toMatch(/boom/);
    const log = await s.api('GET', `/api/runs/${id}/steps/broken/log`, { token: s.read });
    expect(log.status, log.text).toBe(200);
    expect(log.body.text).toMatch(/attempt-1\/c1 stderr\nboom\n/);
    expect(log.body.truncated).toBe(false);
    expect((await s.api('GET', `/api/runs/${id}/steps/..%2Fx/log`)).status).toBe(400);
  });

  it('cancels a long run it drives, then resumes it with force; a read token may do neither', async () => {
    const id = await start('test:slow');
    await until(id, () => true);
    const deadline = Date.now() + 10_000;
    while ((await s.api('GET', `/api/runs/${id}`)).body.steps.length < 2 && Date.now() < deadline)
      await new Promise((x) => setTimeout(x, 50));
    expect((await s.api('POST', `/api/runs/${id}/cancel`, { token: s.read })).status).toBe(403);
    const c = await s.api('POST', `/api/runs/${id}/cancel`);
    expect(c.status, c.text).toBe(200);
    expect(c.body.status).toBe('cancelled');
    const r = await s.api('POST', `/api/runs/${id}/resume`, { body: { force: true } });
    expect(r.status, r.text).toBe(202);
    await until(id, (x) => x.status === 'running');
    // and `gravity cancel` from another process asks the server through the store (never SIGINT to it)
    const cli = await runCli(['--data-dir', s.home, 'cancel', id, '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout).status).toBe('cancelled');
    expect((await s.api('GET', '/api/me')).status).toBe(200);
  });

  it('approves and rejects a waiting approval; a reject needs a reason; a second answer is refused', async () => {
    const id = await start('test:approve');
    const waiting = await until(id, (r) => r.status === 'waiting');
    expect(waiting.run.waiting[0]).toMatchObject({ step: 'confirm', kind: 'approval', message: 'Go on?' });
    expect(waiting.steps.find((x: any) => x.id === 'confirm').status).toBe('waiting');
    expect((await s.api('POST', `/api/runs/${id}/reject`, { body: {} })).status).toBe(400);
    expect((await s.api('POST', `/api/runs/${id}/approve`, { body: { reason: 'fine' } })).status).toBe(202);
    const done = await until(id, (r) => r.status === 'succeeded');
    expect(done.steps.find((x: any) => x.id === 'after').output.stdout).toBe('approved\n');
    const again = await s.api('POST', `/api/runs/${id}/approve`, { body: {} });
    expect(again.status).toBeGreaterThanOrEqual(400);
    const id2 = await start('test:approve');
    await until(id2, (r) => r.status === 'waiting');
    const rej = await s.api('POST', `/api/runs/${id2}/reject`, { body: { reason: 'not today' } });
    expect(rej.status).toBe(202);
    await until(id2, (r) => r.status === 'failed' || r.status === 'succeeded');
    const j = await readJournal(s.app.store, id2);
    expect(j.find((e) => e.type === 'step.answered')).toMatchObject({
      answer: { kind: 'reject', reason: 'not today' },
    });
  });

  it('delivers a message to a run waiting for it (with its key)', async () => {
    const id = await start('test:message', { key: 'k1' });
    await until(id, (r) => r.status === 'waiting');
    const wrong = await s.api('POST', `/api/runs/${id}/signal`, { body: { message: 'ready', key: 'k2' } });
    expect(wrong.status).toBe(400);
    const ok = await s.api('POST', `/api/runs/${id}/signal`, { body: { message: 'ready', key: 'k1', data: { a: 1 } } });
    expect(ok.status, ok.text).toBe(202);
    await until(id, (r) => r.status === 'succeeded');
  });

  it('resumes a waiting run it owns when its timer falls due', async () => {
    const id = await start('test:timer');
    await until(id, (r) => r.status === 'waiting');
    const done = await until(id, (r) => r.status === 'succeeded');
    expect(done.steps.map((x: any) => x.id)).toEqual(expect.arrayContaining(['late', 'after']));
  });

  it('rolls back a failed run (nothing to compensate here: the report says so)', async () => {
    const id = await start('test:fails');
    await until(id, (r) => r.status === 'failed');
    const r = await s.api('POST', `/api/runs/${id}/rollback`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.report.skipped).toEqual(expect.arrayContaining(['ok']));
  });

  it('says which file is corrupt when a run record is (500), and still lists the others with it as unreadable', async () => {
    const id = await start('test:steps', { who: 'corrupt' });
    await until(id, (r) => r.status === 'succeeded');
    const file = s.app.store.locate(`runs/${id}`);
    writeFileSync(file, '{"id": "cut in the mid');
    const one = await s.api('GET', `/api/runs/${id}`);
    expect(one.status).toBe(500);
    expect(one.body.error).toBe('CORRUPT_DATA');
    expect(one.body.message).toContain(file);
    await new Promise((x) => setTimeout(x, 300));
    const list = await s.api('GET', '/api/runs?limit=1000');
    expect(list.status).toBe(200);
    expect(list.body.unreadable.map((u: any) => u.runId)).toEqual([id]);
    expect(list.body.runs.map((r: any) => r.runId)).not.toContain(id);
    const { rmSync } = await import('node:fs');
    rmSync(file);
  });

  it('refuses ids that are not run ids (400) and answers 404 for an unknown one', async () => {
    expect((await s.api('GET', '/api/runs/..%2F..%2Ftokens.json')).status).toBe(400);
    expect((await s.api('GET', '/api/runs/261205-000000-abcdef')).status).toBe(404);
    expect((await s.api('GET', '/api/runs/261205-000000-abcdef%2F..')).status).toBe(400);
  });
});

describe('closing', () => {
  it('ends the open event streams instead of waiting for their clients', async () => {
    const t = await startTestServer('127.0.0.173', { extraWorkflows });
    const r = await t.api('POST', '/api/runs', { body: { workflow: 'test:steps', params: { who: 'x' } } });
    const res = await fetch(`${t.url}/api/runs/${r.body.runId}/events`, {
      headers: { authorization: `Bearer ${t.read}` },
    });
    const reader = res.body!.getReader();
    await reader.read();
    const closed = await Promise.race([
      t.close().then(() => 'closed'),
      new Promise((x) => setTimeout(() => x('still open after 10 s'), 10_000)),
    ]);
    expect(closed).toBe('closed');
    // the client sees its stream end
    let done = false;
    while (!done) done = (await reader.read()).done;
  });
});

describe('gravity serve, the command', () => {
  it('refuses a bad --listen, an unknown option and a token file others may read (exit 2, naming them)', async () => {
    const bad = await runCli(['--data-dir', s.home, 'serve', '--listen', 'localhost']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--listen "localhost": expected host:port, e\.g\. 127\.0\.0\.1:7420/);
    const unknown = await runCli(['--data-dir', s.home, 'serve', '--listn', '127.0.0.174:0']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--listn'/);
    const file = join(s.home, 'open-tokens.json');
    writeFileSync(file, JSON.stringify({ tokens: [{ name: 'a', role: 'read', token: 'x'.repeat(30) }] }));
    chmodSync(file, 0o644);
    const open = await runCli(['--data-dir', s.home, 'serve', '--listen', '127.0.0.174:0', '--token-file', file]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/may be read by others \(mode 0644\)/);
  });
});

describe('the description', () => {
  it('serves OpenAPI 3.1 with every route, its access and its schemas', async () => {
    const r = await s.api('GET', '/api/openapi.json', { token: null });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const post = r.body.paths['/api/runs'].post;
    expect(post['x-gravity-access']).toBe('operate');
    expect(post.requestBody.content['application/json'].schema.required).toEqual(['workflow']);
    expect(r.body.paths['/api/runs/{id}/events'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path' });
    for (const path of ['/api/runs/{id}/cancel', '/api/runs/{id}/approve', '/api/workflows/{id}/bpmn'])
      expect(r.body.paths[path], path).toBeDefined();
  });

  it('lists workflows with their params and exports one in each dialect', async () => {
    const list = await s.api('GET', '/api/workflows', { token: s.read });
    const steps = list.body.workflows.find((w: any) => w.id === 'test:steps');
    expect(steps.params.who).toMatchObject({ type: 'string', description: 'who to greet' });
    expect(list.body.workflows.some((w: any) => w.id === 'host:doctor')).toBe(true);
    for (const dialect of ['gravity', 'camunda7', 'zeebe']) {
      const x = await s.api('GET', `/api/workflows/host:doctor/bpmn?dialect=${dialect}`);
      expect(x.status, dialect).toBe(200);
      expect(x.text).toMatch(/<bpmn:definitions/);
    }
    expect((await s.api('GET', '/api/workflows/host:doctor/bpmn?dialect=camunda8')).status).toBe(400);
    expect((await s.api('GET', '/api/workflows/nope:x')).status).toBe(404);
  });
});
