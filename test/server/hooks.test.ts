// Ticket webhooks over real HTTP (server/hooks.ts): a GitLab-style token hook, a GitHub-style HMAC hook (its key from
// the environment), a Redmine-style HMAC hook without a delivery id (the body's hash is one); the secret checked before
// anything (401: no run, no delivery recorded), replays and concurrent copies (one run), `when`, FEEL and param errors
// (400 naming the hook and the param), and the hooks file refused at start (unknown key with the closest one, unknown
// workflow, a file others may read). Servers on 127.0.0.191-193. The runs are platform:status of a platform that does
// not exist under the test's home: they read one missing file and fail, nothing else.
import { createHmac, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../cli/app.js';
import { listRuns } from '../../engine/records.js';
import { DELIVERIES } from '../../server/hooks.js';
import { createServer } from '../../server/server.js';
import { loadTokens } from '../../server/tokens.js';
import { startTestServer, type TestServer } from '../support/serve.js';

const GITLAB_TOKEN = 'gitlab-hook-token-0123456789abcdef';
const GITHUB_KEY = 'github-hook-key-0123456789abcdef';
const REDMINE_KEY = 'redmine-hook-key-0123456789abcdef';
const KEY_ENV = 'GRAVITY_TEST_HOOK_KEY';

/** The hooks of the main server: `home` is the folder platform:status looks for platforms in (nothing there). */
const hooksOf = (home: string) => ({
  hooks: {
    gitlab: {
      workflow: 'platform:status',
      params: { platform: '="gl" + string(body.object_attributes.iid)', home },
      when: '=body.object_kind = "issue" and body.object_attributes.action = "open"',
      secret: { token: GITLAB_TOKEN, header: 'X-Gitlab-Token' },
      delivery: { header: 'X-Gitlab-Event-UUID' },
    },
    github: {
      workflow: 'platform:status',
      params: { platform: '=body.repository.name', home },
      when: '=body.action = "opened"',
      secret: { hmac: 'sha256', key: `$env:${KEY_ENV}`, header: 'X-Hub-Signature-256', prefix: 'sha256=' },
      delivery: { header: 'X-GitHub-Delivery' },
    },
    redmine: {
      workflow: 'platform:status',
      params: { platform: '="rm" + string(body.data.issue.id)', home },
      when: '=body.type = "issue.created"',
      secret: { hmac: 'sha256', key: REDMINE_KEY, header: 'X-Redmine-Signature-256', prefix: 'sha256=' },
    },
    journal: {
      workflow: 'platform:status',
      params: { platform: '=body.payload.issue.project.identifier', home },
      secret: { basic: `redmine:${GITLAB_TOKEN}` },
      delivery: { expr: '=body.payload.journal.id' },
    },
  },
});

let s: TestServer;
beforeAll(async () => {
  process.env[KEY_ENV] = GITHUB_KEY;
  const home = mkdtempSync(join(tmpdir(), 'gravity-hooks-'));
  const hooksFile = join(home, 'my-hooks.json');
  writeFileSync(hooksFile, JSON.stringify(hooksOf(home)), { mode: 0o600 });
  s = await startTestServer('127.0.0.191', { home, hooksFile });
});
afterAll(async () => {
  await s?.close();
  delete process.env[KEY_ENV];
});

/** POSTs `body` (JSON, or these exact bytes) to /hooks/<name> with `headers`. */
async function deliver(
  name: string,
  body: unknown,
  headers: Record<string, string> = {},
  server = s,
): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${server.url}/hooks/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

const gitlabIssue = (iid: number, action = 'open') => ({
  object_kind: 'issue',
  event_type: 'issue',
  project: { path_with_namespace: 'ops/tickets' },
  object_attributes: { iid, action, title: `ticket ${iid}` },
});
const gitlabHeaders = (uuid = randomUUID(), token = GITLAB_TOKEN) => ({
  'X-Gitlab-Token': token,
  'X-Gitlab-Event': 'Issue Hook',
  'X-Gitlab-Event-UUID': uuid,
});
const sign = (key: string, text: string) => `sha256=${createHmac('sha256', key).update(text).digest('hex')}`;

/** The runs in the store that a hook started for platform `platform` (what `gravity runs` lists). */
async function runsFor(platform: string) {
  const { runs } = await listRuns(s.app.store);
  return runs.filter((r) => r.params.platform === platform);
}
/** The deliveries recorded for hook `name`. */
const deliveries = async (name: string) => (await s.app.store.list(`${DELIVERIES}/${name}/`)).length;

describe('a GitLab-style token hook', () => {
  it('starts the workflow with params from the body: 202 { runId, hook, delivery }, the run in the store', async () => {
    const uuid = randomUUID();
    const r = await deliver('gitlab', gitlabIssue(101), gitlabHeaders(uuid));
    expect(r.status, r.text).toBe(202);
    expect(r.body).toMatchObject({ hook: 'gitlab', delivery: uuid, workflow: 'platform:status' });
    const got = await s.api('GET', `/api/runs/${r.body.runId}`);
    expect(got.status).toBe(200);
    expect(got.body.run).toMatchObject({
      workflow: 'platform:status',
      startedBy: 'hook:gitlab',
      params: { platform: 'gl101', home: s.home },
    });
    expect((await runsFor('gl101')).map((x) => x.id)).toEqual([r.body.runId]);
  });

  it('401 for a wrong or missing token: no run, no delivery recorded', async () => {
    const before = await deliveries('gitlab');
    const wrong = await deliver('gitlab', gitlabIssue(102), gitlabHeaders(randomUUID(), `${GITLAB_TOKEN}x`));
    expect(wrong.status, wrong.text).toBe(401);
    expect(wrong.body.message).toMatch(/hook gitlab: the delivery's secret is missing or wrong/);
    const { 'X-Gitlab-Token': _, ...noToken } = gitlabHeaders();
    expect((await deliver('gitlab', gitlabIssue(102), noToken)).status).toBe(401);
    // a wrong token is refused before the body is even read as JSON
    expect((await deliver('gitlab', '{not json', gitlabHeaders(randomUUID(), 'nope'))).status).toBe(401);
    expect(await runsFor('gl102')).toEqual([]);
    expect(await deliveries('gitlab')).toBe(before);
  });

  it('a replayed delivery starts nothing: 200 { replayed: true, runId } of the first', async () => {
    const uuid = randomUUID();
    const first = await deliver('gitlab', gitlabIssue(103), gitlabHeaders(uuid));
    expect(first.status, first.text).toBe(202);
    const again = await deliver('gitlab', gitlabIssue(103), gitlabHeaders(uuid));
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ replayed: true, hook: 'gitlab', delivery: uuid, runId: first.body.runId });
    expect(await runsFor('gl103')).toHaveLength(1);
  });

  it('10 identical deliveries at once start one run', async () => {
    const uuid = randomUUID();
    const all = await Promise.all(
      Array.from({ length: 10 }, () => deliver('gitlab', gitlabIssue(104), gitlabHeaders(uuid))),
    );
    const started = all.filter((r) => r.status === 202);
    expect(started, all.map((r) => r.text).join('\n')).toHaveLength(1);
    const replayed = all.filter((r) => r.status === 200);
    expect(replayed).toHaveLength(9);
    for (const r of replayed) expect(r.body).toMatchObject({ replayed: true, runId: started[0].body.runId });
    expect((await runsFor('gl104')).map((x) => x.id)).toEqual([started[0].body.runId]);
  });

  it('`when` false: 200 { skipped: true }, nothing runs nor is recorded', async () => {
    const before = await deliveries('gitlab');
    const r = await deliver('gitlab', gitlabIssue(105, 'close'), gitlabHeaders());
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ skipped: true, hook: 'gitlab' });
    expect(await runsFor('gl105')).toEqual([]);
    expect(await deliveries('gitlab')).toBe(before);
  });

  it('a FEEL error is a 400 naming the hook and the param; so is a param the workflow refuses', async () => {
    const { object_attributes: _, ...noAttributes } = gitlabIssue(106);
    const feel = await deliver('gitlab', { ...noAttributes, object_attributes: { action: 'open' } }, gitlabHeaders());
    expect(feel.status, feel.text).toBe(400);
    expect(feel.body.message).toMatch(/^hook gitlab: .*params\.platform/);
    // "gl-1" is fine, "gl-1.5" is no DNS label: platform:status refuses it as `gravity run --param` would
    const uuid = randomUUID();
    const refused = await deliver('gitlab', gitlabIssue(1.5), gitlabHeaders(uuid));
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.message).toMatch(/^hook gitlab: platform:status: .*platform/);
    expect(refused.body.message).toMatch(/must match/);
    // the refused delivery left no record: the same delivery, once fixed, runs
    const fixed = await deliver('gitlab', gitlabIssue(107), gitlabHeaders(uuid));
    expect(fixed.status, fixed.text).toBe(202);
  });

  it('bad JSON: 400; another content type: 415; unknown hook: 404; a body over the limit: 413', async () => {
    const bad = await deliver('gitlab', '{"object_kind":', gitlabHeaders());
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/hook gitlab: the body is not JSON/);
    const form = await fetch(`${s.url}/hooks/gitlab`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...gitlabHeaders() },
      body: 'payload=%7B%7D',
    });
    expect(form.status).toBe(415);
    const unknown = await deliver('gitlob', gitlabIssue(108), gitlabHeaders());
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('no hook "gitlob" on this server (see its hooks file)');
    const big = await deliver('gitlab', { pad: 'x'.repeat(1100 * 1024) }, gitlabHeaders());
    expect(big.status).toBe(413);
  });
});

describe('HMAC hooks', () => {
  const issue = (name: string, action = 'opened') =>
    JSON.stringify({ action, issue: { number: 7, title: 'a ticket' }, repository: { name } });

  it('GitHub-style: the signature of the raw body (key from the environment) starts the run', async () => {
    const text = issue('gh1');
    const r = await deliver('github', text, {
      'X-Hub-Signature-256': sign(GITHUB_KEY, text),
      'X-GitHub-Delivery': randomUUID(),
      'X-GitHub-Event': 'issues',
    });
    expect(r.status, r.text).toBe(202);
    expect((await s.api('GET', `/api/runs/${r.body.runId}`)).body.run.params.platform).toBe('gh1');
  });

  it('a bad, missing or reused signature is 401: no run, no delivery recorded', async () => {
    const before = await deliveries('github');
    const text = issue('gh2');
    const headers = { 'X-GitHub-Delivery': randomUUID() };
    for (const signature of [
      sign('another-key-0123456789abcdef', text),
      sign(GITHUB_KEY, issue('gh1')), // a signature of another body
      sign(GITHUB_KEY, text).replace('sha256=', ''), // no prefix
      `sha256=${'0'.repeat(64)}`,
    ]) {
      const r = await deliver('github', text, { ...headers, 'X-Hub-Signature-256': signature });
      expect(r.status, signature).toBe(401);
    }
    expect((await deliver('github', text, headers)).status).toBe(401);
    // the body changed by one byte after signing (whitespace a proxy could add): refused
    expect(
      (await deliver('github', `${text} `, { ...headers, 'X-Hub-Signature-256': sign(GITHUB_KEY, text) })).status,
    ).toBe(401);
    expect(await runsFor('gh2')).toEqual([]);
    expect(await deliveries('github')).toBe(before);
  });

  it('Redmine-style (X-Redmine-Signature-256, no delivery id): the same body twice is one run', async () => {
    const text = JSON.stringify({
      type: 'issue.created',
      timestamp: '2026-12-05T10:00:00Z',
      data: { issue: { id: 42 } },
    });
    const headers = { 'X-Redmine-Signature-256': sign(REDMINE_KEY, text) };
    const first = await deliver('redmine', text, headers);
    expect(first.status, first.text).toBe(202);
    expect(first.body.delivery).toMatch(/^sha256:[0-9a-f]{64}$/);
    const again = await deliver('redmine', text, headers);
    expect(again.body).toMatchObject({ replayed: true, runId: first.body.runId });
    expect(await runsFor('rm42')).toHaveLength(1);
    const updated = JSON.stringify({ type: 'issue.updated', data: { issue: { id: 42 } } });
    const skipped = await deliver('redmine', updated, { 'X-Redmine-Signature-256': sign(REDMINE_KEY, updated) });
    expect(skipped.body).toMatchObject({ skipped: true });
  });
});

describe('a Basic-auth hook with its delivery id from the body (redmine_webhook plugin)', () => {
  const basic = (cred: string) => ({ authorization: `Basic ${Buffer.from(cred).toString('base64')}` });
  const payload = (journal: number) => ({
    payload: { action: 'updated', issue: { id: 9, project: { identifier: 'rmplugin' } }, journal: { id: journal } },
  });

  it('checks the credentials, takes the journal id as the delivery id', async () => {
    expect((await deliver('journal', payload(1), basic('redmine:wrong-password-0123456789'))).status).toBe(401);
    expect((await deliver('journal', payload(1))).status).toBe(401);
    const r = await deliver('journal', payload(1), basic(`redmine:${GITLAB_TOKEN}`));
    expect(r.status, r.text).toBe(202);
    expect(r.body.delivery).toBe('1');
    expect((await deliver('journal', payload(1), basic(`redmine:${GITLAB_TOKEN}`))).body.replayed).toBe(true);
    expect((await deliver('journal', payload(2), basic(`redmine:${GITLAB_TOKEN}`))).status).toBe(202);
    expect(await runsFor('rmplugin')).toHaveLength(2);
  });
});

describe('the default hooks file', () => {
  it('<data dir>/hooks.json is read when there; without it there are no hooks (404)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gravity-hooks-'));
    writeFileSync(join(home, 'hooks.json'), JSON.stringify({ hooks: { gitlab: hooksOf(home).hooks.gitlab } }), {
      mode: 0o600,
    });
    const withFile = await startTestServer('127.0.0.192', { home });
    try {
      const r = await deliver('gitlab', gitlabIssue(201), gitlabHeaders(), withFile);
      expect(r.status, r.text).toBe(202);
    } finally {
      await withFile.close();
    }
    const without = await startTestServer('127.0.0.193');
    try {
      const r = await deliver('gitlab', gitlabIssue(202), gitlabHeaders(), without);
      expect(r.status).toBe(404);
      expect(r.body.message).toMatch(/no hook "gitlab"/);
    } finally {
      await without.close();
    }
  });
});

describe('the hooks file is checked at start', () => {
  /** createServer over a fresh data dir with `hooks` as the hooks file (mode 0600 unless given): its error message. */
  async function refused(hooks: unknown, mode = 0o600, write = true): Promise<string> {
    const home = mkdtempSync(join(tmpdir(), 'gravity-hooks-'));
    const file = join(home, 'hooks.json');
    if (write) {
      writeFileSync(file, typeof hooks === 'string' ? hooks : JSON.stringify(hooks));
      chmodSync(file, mode);
    }
    const tokenFile = join(home, 'tokens.json');
    const app = await createApp({ dataDir: home });
    try {
      const server = await createServer({
        app,
        tokens: loadTokens(tokenFile).set,
        log: () => undefined,
        hooksFile: file,
      });
      await server.close();
    } catch (e) {
      return (e as Error).message;
    } finally {
      await app.close();
    }
    return 'accepted';
  }
  const gitlab = hooksOf('/nowhere').hooks.gitlab;

  it('an unknown key, anywhere, names the file, the hook and the closest valid key', async () => {
    expect(await refused({ hooks: { gitlab: { ...gitlab, workfow: 'x' } } })).toMatch(
      /hooks file .*hooks\.json: hook "gitlab": unknown key "workfow"; did you mean "workflow"\?/,
    );
    expect(await refused({ hooks: { gitlab: { ...gitlab, secret: { ...gitlab.secret, headr: 'X' } } } })).toMatch(
      /hook "gitlab"\.secret: unknown key "headr"; did you mean "header"\?/,
    );
    expect(await refused({ hook: {} })).toMatch(/the top level: unknown key "hook"; did you mean "hooks"\?/);
    expect(await refused({ hooks: { gitlab: { ...gitlab, delivery: { heder: 'X' } } } })).toMatch(
      /hook "gitlab"\.delivery: unknown key "heder"; did you mean "header"\?/,
    );
    expect(await refused({ hooks: { gitlab: { ...gitlab, params: { platfrom: 'x' } } } })).toMatch(
      /hook "gitlab"\.params: platform:status has no param "platfrom"; did you mean "platform"\?/,
    );
  });

  it('an unknown workflow names the hook and the closest workflow', async () => {
    expect(await refused({ hooks: { gitlab: { ...gitlab, workflow: 'platform:stauts' } } })).toMatch(
      /hook "gitlab"\.workflow: unknown workflow "platform:stauts"; did you mean "platform:status"/,
    );
  });

  it('a file others may read is refused while it holds a secret; "$env:NAME" secrets may be anywhere', async () => {
    expect(await refused({ hooks: { gitlab } }, 0o644)).toMatch(
      /hook "gitlab"\.secret\.token\) and may be read by others \(mode 0644\): run chmod 600/,
    );
    process.env.GRAVITY_TEST_HOOK_TOKEN = GITLAB_TOKEN;
    try {
      const fromEnv = { ...gitlab, secret: { ...gitlab.secret, token: '$env:GRAVITY_TEST_HOOK_TOKEN' } };
      // no secret in the file itself: others may read it
      expect(await refused({ hooks: { gitlab: fromEnv } }, 0o644)).toBe('accepted');
      expect(
        await refused({
          hooks: { gitlab: { ...gitlab, secret: { ...gitlab.secret, token: '$env:GRAVITY_NOT_SET_X' } } },
        }),
      ).toMatch(/hook "gitlab"\.secret\.token: the environment variable GRAVITY_NOT_SET_X is not set/);
    } finally {
      delete process.env.GRAVITY_TEST_HOOK_TOKEN;
    }
  });

  it('other problems: no secret, a short one, a bad expression, not JSON, an explicit file missing', async () => {
    const { secret: _, ...noSecret } = gitlab;
    expect(await refused({ hooks: { gitlab: noSecret } })).toMatch(/hook "gitlab"\.secret: every hook needs one/);
    expect(await refused({ hooks: { gitlab: { ...gitlab, secret: { token: 'short', header: 'X-T' } } } })).toMatch(
      /secret\.token: a secret of at least 16 characters/,
    );
    expect(await refused({ hooks: { gitlab: { ...gitlab, when: '=body.action = ' } } })).toMatch(
      /hook "gitlab"\.when: /,
    );
    expect(await refused({ hooks: { gitlab: { ...gitlab, when: 'body.action' } } })).toMatch(
      /hook "gitlab"\.when: expected a FEEL expression/,
    );
    expect(await refused('{ "hooks": ')).toMatch(/hooks file .* is not JSON/);
    expect(await refused(undefined, 0o600, false)).toMatch(/hooks file .* does not exist/);
    expect(await refused({ hooks: { 'a/b': gitlab } })).toMatch(/hook "a\/b": a name is 1-64 letters/);
  });
});
