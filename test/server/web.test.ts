// The web view in a real browser (Debian's chromium driven by playwright-core) against an in-process gravity serve:
// its files with strict headers and nothing else; no token, no data (and a refused token is asked again); a run
// started from a workflow's form colours its diagram's steps one by one, live; a failed step's error and log in the
// side panel; the platforms, or none; a long run cancelled from its page (a read token sees no buttons). The test
// workflows are test/support/web-workflows.ts; screenshots go to the server's temp dir (screenshots/), not kept.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWeb } from '../../server/web.js';
import { startTestServer, type TestServer } from '../support/serve.js';
import { webWorkflows } from '../support/web-workflows.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STEPS = ['fetch', 'build', 'test', 'publish'];

let server: TestServer;
let browser: Browser;
let shots: string;
/** Browser contexts opened by the tests: closed before the server (a page's open event stream holds it). */
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  // the page's files as `npm run build` makes them (fast: esbuild and a few copies)
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { stdio: 'inherit' });
  server = await startTestServer('127.0.0.181', {
    extraWorkflows: webWorkflows,
    platformHome: mkdtempSync(join(tmpdir(), 'gravity-web-platforms-')),
  });
  shots = join(server.home, 'screenshots');
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
});

/** A diagram element's state classes after a change, and when (performance.now() in the page). */
interface Change {
  id: string;
  st: string;
  t: number;
}

interface Seen {
  page: Page;
  context: BrowserContext;
  /** Every request the page made: its URL and Authorization header. */
  requests: Array<{ url: string; auth?: string }>;
  /** Page errors and console errors (a CSP violation is one). */
  errors: string[];
}

async function open(route = '#/runs'): Promise<Seen> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  contexts.push(context);
  // every state change of a diagram element, with its time, as the page saw it (read back by the tests)
  await context.addInitScript(() => {
    const w = window as unknown as { __states: Change[] };
    w.__states = [];
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target as Element;
        const id = el.getAttribute('data-element-id');
        if (!id || !el.classList.contains('djs-element')) continue;
        const st = [...el.classList].filter((c) => c.startsWith('st-') && c !== 'st-selected').join(' ');
        w.__states.push({ id, st, t: performance.now() });
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['class'] });
  });
  const page = await context.newPage();
  const seen: Seen = { page, context, requests: [], errors: [] };
  page.on('request', (r) => seen.requests.push({ url: r.url(), auth: r.headers()['authorization'] }));
  page.on('pageerror', (e) => seen.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/${route}`);
  return seen;
}

async function signIn(s: Seen, token: string): Promise<void> {
  await s.page.locator('#token').fill(token);
  await s.page.locator('#token-form button[type=submit]').click();
  await s.page.locator('#nav a').first().waitFor();
}

/** The state classes of a diagram element (`st-done`...). */
async function stateOf(page: Page, id: string): Promise<string[]> {
  const cls = (await page.locator(`g.djs-element[data-element-id="${id}"]`).getAttribute('class')) ?? '';
  return cls.split(/\s+/).filter((c) => c.startsWith('st-'));
}

/** No token in any URL the page asked for, every API call with the header, no error on the page but `expected`. */
function clean(s: Seen, token: string, expected: RegExp[] = []): void {
  for (const r of s.requests) expect(r.url).not.toContain(token);
  for (const r of s.requests.filter((r) => new URL(r.url).pathname.startsWith('/api/')))
    expect(r.auth, r.url).toBe(`Bearer ${token}`);
  expect(s.errors.filter((e) => !expected.some((x) => x.test(e)))).toEqual([]);
}

/** The status of a GET of `path` sent exactly as written. */
function rawStatus(path: string): Promise<number> {
  const u = new URL(server.url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('web view', () => {
  it('serves its files with strict headers, and only them', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(index.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    expect(index.headers.get('set-cookie')).toBeNull();
    await index.text();
    const js = await fetch(`${server.url}/assets/app.js`);
    await js.text();
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    const font = await fetch(`${server.url}/assets/bpmn/bpmn-font/font/bpmn.woff2?44822120`);
    await font.arrayBuffer();
    expect([font.status, font.headers.get('content-type')]).toEqual([200, 'font/woff2']);
    // no listing, no path out of the list (sent as is: fetch would resolve the dots)
    for (const path of [
      '/assets/',
      '/assets/bpmn',
      '/assets/../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/bpmn/../../index.html',
    ])
      expect(await rawStatus(path), path).toBe(404);
  });

  it('says plainly when the page was not built', async () => {
    const f = Fastify();
    await registerWeb(f, { dir: join(server.home, 'no-web-here') });
    const index = await f.inject({ method: 'GET', url: '/' });
    expect([index.statusCode, index.headers['content-type']]).toEqual([503, 'text/html; charset=utf-8']);
    expect(index.body).toContain('The web view is not built');
    expect(index.body).toContain('npm run build');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await f.inject({ method: 'GET', url: '/assets/app.js' })).statusCode).toBe(404);
    await f.close();
  });

  it('shows the token prompt and no data without a token', async () => {
    const started = await server.api('POST', '/api/runs', { body: { workflow: 'web:deploy', params: { ms: 10 } } });
    expect(started.status).toBe(202);
    const s = await open('#/runs');
    await s.page.locator('#token-form').waitFor();
    await s.page.waitForTimeout(300);
    // no call to the API at all, and nothing of the run on the page
    expect(s.requests.filter((r) => new URL(r.url).pathname.startsWith('/api/'))).toEqual([]);
    expect(await s.page.locator('main').innerText()).not.toContain(started.body.runId);
    expect(await s.page.locator('#nav a').count()).toBe(0);
    await s.page.screenshot({ path: join(shots, 'token-prompt.png') });
    // a wrong token is refused and not kept
    await s.page.locator('#token').fill('grv_not-a-token');
    await s.page.locator('#token-form button[type=submit]').click();
    await s.page.getByText('This server does not know that token.').waitFor();
    expect(await s.page.evaluate(() => sessionStorage.length)).toBe(0);
    // the right one opens the page, and lives in sessionStorage only (no cookie, no localStorage, no URL)
    await signIn(s, server.read);
    await s.page.locator(`tr[data-run="${started.body.runId}"]`).waitFor();
    expect(await s.page.evaluate(() => [localStorage.length, document.cookie, location.href])).toEqual([
      0,
      '',
      `${server.url}/#/runs`,
    ]);
    expect(await s.page.locator('#who').innerText()).toContain('viewer');
    for (const r of s.requests) expect(r.url).not.toContain(server.read);
    // a token the server no longer knows (the file changed): forgotten, and asked again
    await s.page.evaluate(() => sessionStorage.setItem('gravity.token', 'grv_revoked'));
    await s.page.reload();
    await s.page.getByText('The server refused the token').waitFor();
    expect(await s.page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await s.page.locator('main').innerText()).not.toContain(started.body.runId);
    expect(s.errors.filter((e) => !e.includes('401'))).toEqual([]);
    await s.context.close();
  });

  it("starts a run from a workflow's form and colours its steps one by one, live", async () => {
    const s = await open('#/workflows/web:deploy');
    await signIn(s, server.operate);
    const page = s.page;
    await page.locator('g.djs-element[data-element-id="fetch"]').waitFor();
    // a bad param: the server's 400 message is shown next to the form, and no run starts
    await page.locator('#param-release').fill('not a release!');
    await page.locator('form.run-form button[type=submit]').click();
    await page.locator('.form-error .note-error').waitFor();
    expect(await page.locator('.form-error').innerText()).toContain('release');
    expect(page.url()).toContain('#/workflows/web:deploy');
    await page.locator('#param-release').fill('v2.0.0');
    await page.locator('#param-ms').fill('700');
    await page.locator('form.run-form button[type=submit]').click();
    await page.waitForURL(/#\/runs\/\d{6}-\d{6}-[0-9a-f]{6}$/);
    const runId = decodeURIComponent(page.url().split('#/runs/')[1]!);
    await page.locator('g.djs-element.st-running[data-element-id="build"]').waitFor();
    await page.screenshot({ path: join(shots, 'run-live.png') });

    // the four elements, as the page's own observer saw their classes change: each turned done after the one before
    // it (by the time its step took), the ones after it not done yet
    await page.locator('h1 .badge[data-status="succeeded"]').waitFor({ timeout: 15_000 });
    const changes = await page.evaluate(() => (window as unknown as { __states: Change[] }).__states);
    const firstTime = (id: string, state: string) => changes.find((c) => c.id === id && c.st.includes(state))?.t;
    const doneAt = STEPS.map((x) => firstTime(x, 'st-done'));
    expect(
      doneAt.every((t) => t !== undefined),
      JSON.stringify(changes),
    ).toBe(true);
    for (let i = 1; i < STEPS.length; i++) expect(doneAt[i]! - doneAt[i - 1]!, STEPS[i]).toBeGreaterThan(250);
    // each step after the first was seen running first (the first may have run before the page drew)
    for (const [i, step] of STEPS.entries())
      if (i > 0) expect(firstTime(step, 'st-running'), `${step} running`).toBeLessThan(doneAt[i]!);
    expect(await stateOf(page, 'publish')).toEqual(['st-done']);
    // the run is the API's too, with the params of the form
    const run = await server.api('GET', `/api/runs/${runId}`);
    expect([run.body.run.status, run.body.run.params]).toEqual(['succeeded', { ms: 700, release: 'v2.0.0' }]);
    await page.screenshot({ path: join(shots, 'run-done.png'), fullPage: true });
    clean(s, server.operate, [/status of 400/]);
    await s.context.close();
  });

  it("opens a failed step's error in the side panel", async () => {
    const started = await server.api('POST', '/api/runs', { body: { workflow: 'web:migrate' } });
    const s = await open(`#/runs/${started.body.runId}`);
    await signIn(s, server.operate);
    const page = s.page;
    await page.locator('g.djs-element.st-failed[data-element-id="migrate"]').waitFor();
    await page.locator('g.djs-element.st-skipped[data-element-id="report"]').waitFor();
    expect(await stateOf(page, 'prepare')).toEqual(['st-done']);
    await page.locator('g.djs-element[data-element-id="prepare"]').click();
    await page.locator('.panel h2[data-selected="prepare"]').waitFor();
    await page.locator('g.djs-element[data-element-id="migrate"]').click();
    await page.locator('.panel h2[data-selected="migrate"]').waitFor();
    const error = await page.locator('.panel .step-error').innerText();
    expect(error).toContain('TASK_FAILED');
    expect(error).toContain('exited with code 3');
    expect(error).toContain('error: relation <users> already exists');
    // the step's log: its command's stdout and stderr (text, not HTML)
    await page.locator('.panel pre.log', { hasText: 'applying 3 migrations' }).waitFor();
    expect(await page.locator('.panel pre.log').innerText()).toContain('relation <users> already exists');
    expect(await page.locator('.panel users').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'run-failed.png'), fullPage: true });
    clean(s, server.operate);
    await s.context.close();
  });

  it('lists the platforms, and says so when there is none', async () => {
    const s = await open('#/platforms');
    await signIn(s, server.read);
    await s.page.getByText('No platforms yet.').waitFor();
    const home = (await server.api('GET', '/api/platforms')).body.home as string;
    const init = await server.api('POST', '/api/runs', {
      body: { workflow: 'platform:init', params: { platform: 'paas', home, domain: 'shop.test' } },
    });
    for (
      let i = 0;
      i < 100 && (await server.api('GET', `/api/runs/${init.body.runId}`)).body.run.status === 'running';
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    await s.page.reload();
    await s.page.locator('[data-platform="paas"]').getByText('No environments yet').waitFor();
    expect(await s.page.locator('[data-platform="paas"] .card-head').innerText()).toContain('shop.test');
    await s.page.goto(`${server.url}/#/platforms/nope`);
    await s.page.getByText('No platform named nope.').waitFor();
    clean(s, server.read);
    await s.context.close();
  });

  it('cancels a long run from its page (and a read token sees no buttons)', async () => {
    const started = await server.api('POST', '/api/runs', { body: { workflow: 'web:deploy', params: { ms: 30_000 } } });
    const runId = started.body.runId as string;
    const reader = await open(`#/runs/${runId}`);
    await signIn(reader, server.read);
    await reader.page.locator('g.djs-element.st-running[data-element-id="fetch"]').waitFor();
    expect(await reader.page.locator('[data-action]').count()).toBe(0);

    const s = await open(`#/runs/${runId}`);
    await signIn(s, server.operate);
    const page = s.page;
    await page.locator('g.djs-element.st-running[data-element-id="fetch"]').waitFor();
    await page.locator('[data-action="cancel"]').click();
    await page.locator('h1 .badge[data-status="cancelled"]').waitFor({ timeout: 10_000 });
    await page.locator('g.djs-element.st-cancelled[data-element-id="fetch"]').waitFor();
    await page.locator('g.djs-element.st-skipped[data-element-id="publish"]').waitFor();
    await page.locator('[data-action="resume"]').waitFor();
    expect((await server.api('GET', `/api/runs/${runId}`)).body.run.status).toBe('cancelled');
    // the reader's page follows too
    await reader.page.locator('h1 .badge[data-status="cancelled"]').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(shots, 'run-cancelled.png'), fullPage: true });
    clean(s, server.operate);
    clean(reader, server.read);
    await reader.context.close();
    await s.context.close();
  });
});
