// Ticket webhooks: POST /hooks/<name> starts a catalog workflow with params taken from the delivery (a GitLab issue
// hook, a Redmine webhook, a GitHub or Gitea issue event...). The hooks are a strict JSON file (default
// `<data dir>/hooks.json`, absent: no hooks; `gravity serve --hooks <file>`: it must exist):
//
//   { "hooks": { "<name>": {
//       "workflow": "env:init",                                   catalog id, checked when the file is loaded
//       "params": { "env": "=\"t\" + string(body.issue.id)", "platform": "paas" },   FEEL over { body, headers }, or as is
//       "when": "=body.action = \"opened\"",                      optional; false: 200 { skipped: true }, nothing runs
//       "secret": { "token": "...", "header": "X-Gitlab-Token" }                        the header's value is the token
//              | { "hmac": "sha256", "key": "...", "header": "X-Hub-Signature-256", "prefix": "sha256=" }  hex HMAC of the body
//              | { "basic": "user:password" }                     HTTP Basic credentials (a URL's user:password@)
//       "delivery": { "header": "X-Gitlab-Event-UUID" } | { "expr": "=body.journal.id" }   optional; default: sha256 of the body
//   } } }
//
// Any secret value may be `$env:NAME` (read from the server's environment at start); a file that holds a secret itself
// must not be readable by group or others (mode 0600), as the token file. Every hook needs a secret.
//
// A delivery, in order: unknown hook 404; the secret is checked on the raw bytes before anything else (constant time;
// wrong or missing: 401, nothing recorded); then the JSON (400), the delivery id (400), `when` (200 skipped), the params
// (FEEL: 400 naming the hook and the param). Then the delivery id is claimed in the store, create-only, under
// `hook-deliveries/<hook>/<sha256 of the id>`: a delivery already claimed answers 200 { replayed: true, runId } and
// starts nothing, however many copies arrive at once. Then the run starts (params checked as `gravity run --param`
// checks them: 400) and 202 { runId, hook, delivery }. A start that fails drops the claim, so a corrected retry runs; a
// claim left without a run for a minute (the server died in between) is taken over by the next copy.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadInputError, closest, ConflictError, ErrorCode, GravityError } from '../engine/errors.js';
import { checkExpression, evaluateExpression, isExpression, resolveTemplate } from '../engine/index.js';
import type { Definition } from '../engine/index.js';
import type { ServerContext } from './context.js';
import { HttpError } from './context.js';

/** How a delivery proves it comes from the tracker. */
export type HookSecret =
  | { kind: 'token'; header: string; token: string }
  | { kind: 'hmac'; header: string; algorithm: HmacAlgorithm; key: string; prefix: string }
  | { kind: 'basic'; credentials: string };

/** Where a delivery's id comes from: a header, an expression, or (none) the sha256 of the body. */
export type HookDelivery = { header: string } | { expr: string } | undefined;

/** One hook of the file, checked. */
export interface Hook {
  name: string;
  workflow: string;
  params: Record<string, unknown>;
  when?: string;
  secret: HookSecret;
  delivery: HookDelivery;
}

const HMAC_ALGORITHMS = ['sha256', 'sha512', 'sha1'] as const;
type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

const TOP_KEYS = ['hooks'];
const HOOK_KEYS = ['workflow', 'params', 'when', 'secret', 'delivery'];
const TOKEN_KEYS = ['token', 'header'];
const HMAC_KEYS = ['hmac', 'key', 'header', 'prefix'];
const BASIC_KEYS = ['basic'];
const DELIVERY_KEYS = ['header', 'expr'];
const HOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const ENV_REF = /^\$env:([A-Za-z_][A-Za-z0-9_]*)$/;
/** Shortest secret accepted: a guessable one would let anyone start runs. */
const MIN_SECRET = 16;
/** A claim older than this without a run id was left by a server that died between claim and start. */
const STALE_CLAIM_MS = 60_000;
/** How long a copy of a delivery being started waits for the first copy's run id. */
const REPLAY_WAIT_MS = 5_000;
/** The store folder of the claimed deliveries. */
export const DELIVERIES = 'hook-deliveries';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();

/** Same bytes? In constant time, whatever the lengths (both are hashed first). */
function sameSecret(given: string | Buffer, expected: string | Buffer): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

const quoted = (keys: string[]) => keys.map((k) => `"${k}"`).join(', ');

/**
 * Reads and checks the hooks file: its keys (an unknown one names the closest valid), the workflows (in the catalog,
 * else the closest), the params (declared by the workflow), the FEEL expressions (they parse), the secrets (`$env:`
 * read now) and the file's mode when it holds a secret. Undefined when `file` is the default and absent.
 */
export function loadHooks(
  file: string,
  o: {
    explicit: boolean;
    findWorkflow(id: string): Definition | undefined;
    suggestWorkflows(id: string): string[];
    env?: NodeJS.ProcessEnv;
  },
): Map<string, Hook> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!o.explicit) return undefined;
      throw new BadInputError(`hooks file ${file} does not exist (--hooks)`, { file });
    }
    throw new BadInputError(`hooks file ${file} cannot be read: ${(e as Error).message}`, { file });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(`hooks file ${file} is not JSON: ${(e as Error).message}`, { file });
  }
  const bad = (what: string) => new BadInputError(`hooks file ${file}: ${what}`, { file });
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const onlyKeys = (at: string, v: Record<string, unknown>, known: string[]) => {
    for (const k of Object.keys(v))
      if (!known.includes(k)) {
        const near = closest(k, known)[0];
        throw bad(`${at}: unknown key "${k}"${near ? `; did you mean "${near}"?` : ''} (known: ${quoted(known)})`);
      }
  };
  if (!isObject(data)) throw bad('expected an object { "hooks": { "<name>": { "workflow", "secret", ... } } }');
  onlyKeys('the top level', data, TOP_KEYS);
  if (!isObject(data.hooks)) throw bad('"hooks" must be an object of hooks by name');

  const env = o.env ?? process.env;
  const literalSecrets: string[] = [];
  /** A secret value: a literal (noted, for the mode check) or `$env:NAME`. */
  const secretValue = (at: string, v: unknown): string => {
    if (typeof v !== 'string' || v === '') throw bad(`${at}: expected a string (or "$env:NAME")`);
    const ref = ENV_REF.exec(v);
    let value = v;
    if (ref) {
      const fromEnv = env[ref[1]];
      if (!fromEnv) throw bad(`${at}: the environment variable ${ref[1]} is not set (or empty)`);
      value = fromEnv;
    } else {
      if (v.startsWith('$env:')) throw bad(`${at}: "${v}" is not a valid "$env:NAME" (NAME: letters, digits, _)`);
      literalSecrets.push(at);
    }
    if (value.length < MIN_SECRET) throw bad(`${at}: a secret of at least ${MIN_SECRET} characters is needed`);
    return value;
  };
  const headerName = (at: string, v: unknown): string => {
    if (typeof v !== 'string' || !HEADER_NAME.test(v)) throw bad(`${at}: expected a header name, e.g. X-Gitlab-Token`);
    return v.toLowerCase();
  };
  const expression = (at: string, v: unknown): string => {
    if (!isExpression(v)) throw bad(`${at}: expected a FEEL expression, a string starting with "="`);
    const problem = checkExpression(v.slice(1));
    if (problem) throw bad(`${at}: ${problem}`);
    return v;
  };

  const hooks = new Map<string, Hook>();
  for (const [name, h] of Object.entries(data.hooks)) {
    const at = `hook "${name}"`;
    if (!HOOK_NAME.test(name))
      throw bad(`${at}: a name is 1-64 letters, digits, "_" or "-" (it is the URL's last part)`);
    if (!isObject(h)) throw bad(`${at}: expected an object { "workflow", "secret", ... }`);
    onlyKeys(at, h, HOOK_KEYS);

    if (typeof h.workflow !== 'string') throw bad(`${at}.workflow: expected a catalog workflow id, e.g. "env:init"`);
    const def = o.findWorkflow(h.workflow);
    if (!def) {
      const near = o.suggestWorkflows(h.workflow);
      throw bad(
        `${at}.workflow: unknown workflow "${h.workflow}"${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : ''} (gravity list shows them)`,
      );
    }

    const params = h.params ?? {};
    if (!isObject(params)) throw bad(`${at}.params: expected an object of param name -> value or "=FEEL"`);
    const declared = def.params ? Object.keys(def.params) : undefined;
    for (const [p, v] of Object.entries(params)) {
      if (declared && !declared.includes(p)) {
        const near = closest(p, declared)[0];
        throw bad(
          `${at}.params: ${def.id} has no param "${p}"${near ? `; did you mean "${near}"?` : ''} (its params: ${declared.join(', ') || 'none'})`,
        );
      }
      for (const src of expressionsOf(v)) {
        const problem = checkExpression(src.slice(1));
        if (problem) throw bad(`${at}.params.${p}: ${problem}`);
      }
    }

    const when = h.when === undefined ? undefined : expression(`${at}.when`, h.when);

    const s = h.secret;
    let secret: HookSecret;
    if (!isObject(s))
      throw bad(
        `${at}.secret: every hook needs one: { "token", "header" }, { "hmac", "key", "header", "prefix" } or { "basic" }`,
      );
    if ('hmac' in s) {
      onlyKeys(`${at}.secret`, s, HMAC_KEYS);
      if (!HMAC_ALGORITHMS.includes(s.hmac as HmacAlgorithm))
        throw bad(`${at}.secret.hmac: expected one of ${quoted([...HMAC_ALGORITHMS])}`);
      if (s.prefix !== undefined && typeof s.prefix !== 'string')
        throw bad(`${at}.secret.prefix: expected a string, e.g. "sha256="`);
      secret = {
        kind: 'hmac',
        algorithm: s.hmac as HmacAlgorithm,
        key: secretValue(`${at}.secret.key`, s.key),
        header: headerName(`${at}.secret.header`, s.header),
        prefix: (s.prefix as string | undefined) ?? '',
      };
    } else if ('basic' in s) {
      onlyKeys(`${at}.secret`, s, BASIC_KEYS);
      const credentials = secretValue(`${at}.secret.basic`, s.basic);
      if (!credentials.includes(':')) throw bad(`${at}.secret.basic: expected "user:password"`);
      secret = { kind: 'basic', credentials };
    } else {
      onlyKeys(`${at}.secret`, s, TOKEN_KEYS);
      secret = {
        kind: 'token',
        token: secretValue(`${at}.secret.token`, s.token),
        header: headerName(`${at}.secret.header`, s.header),
      };
    }

    let delivery: HookDelivery;
    if (h.delivery !== undefined) {
      const d = h.delivery;
      if (!isObject(d)) throw bad(`${at}.delivery: expected { "header": "<name>" } or { "expr": "=<FEEL>" }`);
      onlyKeys(`${at}.delivery`, d, DELIVERY_KEYS);
      if (Object.keys(d).length !== 1)
        throw bad(`${at}.delivery: expected one of { "header": "<name>" } or { "expr": "=<FEEL>" }`);
      delivery =
        'header' in d
          ? { header: headerName(`${at}.delivery.header`, d.header) }
          : { expr: expression(`${at}.delivery.expr`, d.expr) };
    }

    hooks.set(name, { name, workflow: def.id, params, when, secret, delivery });
  }

  if (literalSecrets.length) {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077)
      throw bad(
        `it holds secrets (${literalSecrets.join(', ')}) and may be read by others (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${file}, or give them as "$env:NAME"`,
      );
  }
  return hooks;
}

/** The `=FEEL` strings of a param value (a literal, or arrays and objects of them). */
function* expressionsOf(v: unknown): Generator<string> {
  if (isExpression(v)) yield v;
  else if (Array.isArray(v)) for (const x of v) yield* expressionsOf(x);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* expressionsOf(x);
}

/** One value of a header: undefined when absent or given twice (an ambiguity is refused, never guessed). */
function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Why the delivery's secret is wrong, or undefined when it is right. */
function refusal(secret: HookSecret, req: FastifyRequest, raw: Buffer): string | undefined {
  switch (secret.kind) {
    case 'token': {
      const given = header(req, secret.header);
      if (given === undefined) return `no ${secret.header} header`;
      return sameSecret(given, secret.token) ? undefined : `wrong ${secret.header}`;
    }
    case 'hmac': {
      const given = header(req, secret.header);
      if (given === undefined) return `no ${secret.header} header`;
      const expected = secret.prefix + createHmac(secret.algorithm, secret.key).update(raw).digest('hex');
      // hex digits in either case; the prefix compared with the rest, in constant time
      const shown = given.startsWith(secret.prefix)
        ? secret.prefix + given.slice(secret.prefix.length).toLowerCase()
        : given;
      return sameSecret(shown, expected) ? undefined : `wrong ${secret.header} (the body's HMAC does not match)`;
    }
    case 'basic': {
      const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header(req, 'authorization') ?? '');
      if (!m) return 'no "Authorization: Basic" header';
      return sameSecret(Buffer.from(m[1], 'base64'), secret.credentials) ? undefined : 'wrong Basic credentials';
    }
  }
}

/** The request's headers as FEEL sees them: lowercase names, repeated ones joined with ", ". */
function headersOf(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** An expression's failure (its message names the key: `params.env`, `when`) as a 400 naming the hook too. */
function evaluated<T>(hook: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof GravityError) throw new HttpError(400, 'BAD_DELIVERY', `hook ${hook}: ${e.message}`);
    throw e;
  }
}

/** What the store holds per claimed delivery. */
interface DeliveryRecord {
  hook: string;
  delivery: string;
  at: string;
  runId?: string;
}

export async function registerHookRoutes(
  fastify: FastifyInstance,
  ctx: ServerContext,
  o: { hooksFile?: string },
): Promise<void> {
  const file = o.hooksFile ?? join(ctx.app.dataDir, 'hooks.json');
  // the workflows the server serves: the catalog's and those given with --workflow
  const hooks =
    loadHooks(file, {
      explicit: o.hooksFile !== undefined,
      findWorkflow: ctx.findWorkflow,
      suggestWorkflows: (id) =>
        closest(
          id,
          ctx.workflows.map((d) => d.id),
        ).slice(0, 2),
    }) ?? new Map<string, Hook>();
  if (hooks.size) ctx.log(`hooks: ${file} (${[...hooks.keys()].join(', ')})`);
  const store = ctx.runs.engine.store;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /**
   * Claims delivery `key` for this request: `mine` (its version) when it is ours to start, else `theirs`, the claim
   * that was there (a replay). A claim without a run id is waited for; one that vanishes (its start failed) is tried again; one left
   * for a minute without a run is taken over.
   */
  const claim = async (key: string, value: DeliveryRecord): Promise<{ mine: number } | { theirs: DeliveryRecord }> => {
    const deadline = Date.now() + REPLAY_WAIT_MS;
    for (;;) {
      try {
        return { mine: await store.put(key, value, { ifVersion: null }) };
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
      for (;;) {
        const now = await store.get<DeliveryRecord>(key);
        if (!now) break; // its start failed and dropped it: claim it again
        if (now.value.runId) return { theirs: now.value };
        if (Date.now() - Date.parse(now.value.at) > STALE_CLAIM_MS) {
          try {
            return { mine: await store.put(key, value, { ifVersion: now.version }) };
          } catch (e) {
            if (!(e instanceof ConflictError)) throw e;
            continue;
          }
        }
        if (Date.now() > deadline) return { theirs: now.value };
        await sleep(20);
      }
    }
  };

  await fastify.register(async (scope) => {
    // the body as bytes: the HMAC is over them, and nothing is parsed before the secret is checked
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    scope.post<{ Params: { name: string } }>(
      '/hooks/:name',
      {
        config: { access: 'hook' },
        schema: {
          summary:
            'A ticket webhook (hooks file): checks its secret, then starts the hook\u2019s workflow with params from the JSON body',
          params: {
            type: 'object',
            properties: { name: { type: 'string', maxLength: 64 } },
            required: ['name'],
            additionalProperties: false,
          },
        },
      },
      async (req, reply) => {
        const name = req.params.name;
        const hook = hooks.get(name);
        // the answer names neither the file nor the other hooks: anyone may call this route
        if (!hook) throw new HttpError(404, 'NOT_FOUND', `no hook "${name}" on this server (see its hooks file)`);
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const refused = refusal(hook.secret, req, raw);
        if (refused) {
          ctx.log(`hook ${name}: refused a delivery from ${req.ip}: ${refused}`);
          throw new HttpError(401, 'UNAUTHORIZED', `hook ${name}: the delivery's secret is missing or wrong`);
        }

        const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (type !== 'application/json' && !/^application\/[a-z0-9.+-]*\+json$/.test(type))
          throw new HttpError(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `hook ${name}: expected a JSON body (content-type application/json), got ${type || 'none'}`,
          );
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch (e) {
          throw new HttpError(400, 'BAD_REQUEST', `hook ${name}: the body is not JSON: ${(e as Error).message}`);
        }
        const scopeOf = { body, headers: headersOf(req) };

        let delivery: string;
        const d = hook.delivery;
        if (d && 'header' in d) {
          const v = header(req, d.header);
          if (!v) throw new HttpError(400, 'BAD_DELIVERY', `hook ${name}: no ${d.header} header (its delivery id)`);
          delivery = v;
        } else if (d) {
          const v = evaluated(name, () => evaluateExpression(d.expr, scopeOf, 'delivery.expr'));
          if (typeof v !== 'string' && typeof v !== 'number')
            throw new HttpError(
              400,
              'BAD_DELIVERY',
              `hook ${name}: delivery.expr: expected a string or a number, got ${JSON.stringify(v)}`,
            );
          delivery = String(v);
        } else delivery = `sha256:${sha256(raw).toString('hex')}`;

        if (hook.when !== undefined) {
          const go = evaluated(name, () => evaluateExpression(hook.when!, scopeOf, 'when'));
          if (typeof go !== 'boolean')
            throw new HttpError(
              400,
              'BAD_DELIVERY',
              `hook ${name}: when: expected a boolean, got ${JSON.stringify(go)}`,
            );
          if (!go) return reply.status(200).send({ skipped: true, hook: name, delivery });
        }

        const params: Record<string, unknown> = {};
        for (const [p, v] of Object.entries(hook.params))
          params[p] = evaluated(name, () => resolveTemplate(v, scopeOf, `params.${p}`));

        const key = `${DELIVERIES}/${name}/${sha256(delivery).toString('hex')}`;
        const record: DeliveryRecord = { hook: name, delivery: delivery.slice(0, 200), at: new Date().toISOString() };
        const got = await claim(key, record);
        if ('theirs' in got) {
          ctx.log(`hook ${name}: delivery ${delivery} replayed (run ${got.theirs.runId ?? 'starting'})`);
          return reply.status(200).send({ replayed: true, hook: name, delivery, runId: got.theirs.runId });
        }
        let runId: string;
        try {
          runId = await ctx.startWorkflow(hook.workflow, params, `hook:${name}`);
        } catch (e) {
          // not started: the claim goes, so that the same delivery, once the hooks or the tracker are fixed, runs
          await store.delete(key, { ifVersion: got.mine }).catch(() => undefined);
          // a param the workflow refuses: a 400 naming the hook (the message names the param)
          if (e instanceof BadInputError || (e instanceof GravityError && e.code === ErrorCode.Validation))
            throw new BadInputError(`hook ${name}: ${hook.workflow}: ${e.message}`, { hook: name, ...e.details });
          throw e;
        }
        await store
          .put(key, { ...record, runId }, { ifVersion: got.mine })
          .catch((e: Error) => ctx.log(`hook ${name}: run ${runId} started, its delivery not updated: ${e.message}`));
        ctx.log(`hook ${name}: delivery ${delivery} started run ${runId} (${hook.workflow})`);
        return reply
          .status(202)
          .header('location', `/api/runs/${runId}`)
          .send({ runId, hook: name, delivery, workflow: hook.workflow });
      },
    );
  });
}
