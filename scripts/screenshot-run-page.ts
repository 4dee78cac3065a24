// The README's picture of the web view: starts a gravity serve over a throwaway data dir (127.0.0.182) serving a small
// demo workflow (commands that print a little, checks in parallel, an approval), starts it through the API, waits until
// it parks at its approval, opens the run's page in chromium (playwright-core over Debian's /usr/bin/chromium, or
// $CHROMIUM), selects a step and writes docs/images/run-page.png (or the path given as the first argument).
//
//   npm run build && npx tsx scripts/screenshot-run-page.ts [out.png]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createApp } from '../cli/app.js';
import { approval, parallel, sequence, task, workflow, type Definition } from '../engine/authoring.js';
import { createServer } from '../server/server.js';
import { loadTokens, newToken } from '../server/tokens.js';

/** A command step that prints `lines` (and takes a moment). */
const say = (id: string, title: string, ...lines: string[]) =>
  task(
    id,
    'exec.run',
    { command: 'sh', args: ['-c', `${lines.map((l) => `echo '${l}'`).join('; ')}; sleep 0.2`], idempotent: true },
    { title },
  );

/** `demo:release`: check out, three checks in parallel, a person approves, then deploy and a smoke test. */
const demo: Definition = workflow({
  id: 'demo:release',
  title: 'Release the shop service',
  description: 'Checks a release in parallel, asks for an approval, then deploys it.',
  params: { release: { type: 'string', default: 'v1.4.2', description: 'The release to deploy.' } },
  steps: sequence(
    say('checkout', 'check out the release', 'Cloning into shop...', 'HEAD is now at 3f2c1ab release v1.4.2'),
    parallel(
      'checks',
      say('lint', 'lint', 'eslint: 184 files, no problems'),
      say(
        'unit_tests',
        'unit tests',
        'RUN  v1.4.2',
        ' ✓ cart (38 tests)',
        ' ✓ checkout (27 tests)',
        ' ✓ payments (19 tests)',
        'Tests  84 passed (84)',
      ),
      say('build_image', 'build the image', 'Step 1/6 : FROM node:22-slim', 'Successfully tagged shop:v1.4.2'),
    ),
    approval('approve', '="Deploy " + release + " to production?"', { title: 'approve the deployment' }),
    say('deploy', 'deploy', 'rolling out shop:v1.4.2'),
    say('smoke_test', 'smoke test', 'GET /health 200'),
  ),
});

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(process.argv[2] ?? join(ROOT, 'docs', 'images', 'run-page.png'));
const HOST = '127.0.0.182';
const SELECT = 'unit_tests';

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { stdio: 'inherit' });
  const home = mkdtempSync(join(tmpdir(), 'gravity-screenshot-'));
  const token = newToken();
  const tokenFile = join(home, 'tokens.json');
  writeFileSync(tokenFile, JSON.stringify({ tokens: [{ name: 'ops', role: 'operate', token }] }), { mode: 0o600 });
  const app = await createApp({ dataDir: home });
  const server = await createServer({
    app,
    tokens: loadTokens(tokenFile).set,
    log: () => undefined,
    root: home,
    extraWorkflows: [demo],
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const url = await server.listen(HOST, 0);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, any>;
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const { runId } = await call('POST', '/api/runs', { workflow: demo.id, params: {} });
    for (let i = 0; ; i++) {
      const { run } = await call('GET', `/api/runs/${runId}`);
      if (run.status === 'waiting') break;
      if (run.status !== 'running') throw new Error(`${demo.id} ended ${run.status} instead of waiting`);
      if (i > 600) throw new Error(`${demo.id} did not reach its approval within a minute`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${url}/#/runs/${runId}`);
    await page.locator('#token').fill(token);
    await page.locator('#token-form button[type=submit]').click();
    await page.locator(`g.djs-element[data-element-id="${SELECT}"][class*="st-"]`).waitFor();
    await page.locator(`g.djs-element[data-element-id="${SELECT}"]`).click();
    await page.locator(`.panel h2[data-selected="${SELECT}"]`).waitFor();
    await page.locator('.panel pre.log:not([hidden])').waitFor();
    // no pointer over the diagram, nothing focused: the picture shows the page as it rests
    await page.mouse.move(0, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.waitForTimeout(300);
    mkdirSync(dirname(OUT), { recursive: true });
    await page.screenshot({ path: OUT });
    await context.close();
    process.stdout.write(`${OUT}\n`);
  } finally {
    await browser.close();
    await server.close();
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`screenshot-run-page: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
