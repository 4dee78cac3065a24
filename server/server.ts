// gravity serve: a Fastify server over the same engine and store as the CLI. It answers JSON under /api (bearer tokens,
// read or operate), webhooks under /hooks, and the web view's files under /. Nothing sets a cookie, no CORS header is
// ever sent (a browser on another origin can read nothing), bodies are capped, and every error is `{ error, message }`.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { BadInputError, closest, CorruptDataError, GravityError, printable, ErrorCode } from '../engine/errors.js';
import type { App } from '../cli/app.js';
import type { Definition, RunRecord } from '../engine/index.js';
import { HttpError, type Access, type ServerContext } from './context.js';
import { RunManager } from './runs.js';
import type { TokenSet } from './tokens.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerWorkflowRoutes } from './routes/workflows.js';
import { createOpenApi } from './openapi.js';
import { registerWeb } from './web.js';
import { registerExtraRoutes } from './extra.js';

/** What `createServer` needs. */
export interface ServerOptions {
  app: App;
  tokens: TokenSet;
  /** Largest request body, in bytes (default 1 MiB); larger is 413. */
  bodyLimit?: number;
  /** Where the server's own lines go (default stderr). */
  log?: (line: string) => void;
  /** Polling periods of the run manager (tests shorten them). */
  cancelPollMs?: number;
  duePollMs?: number;
  /** Root folder of runs started here (default: the current directory), as `gravity run --root`. */
  root?: string;
  /** The hooks file (default `<data dir>/hooks.json`; absent file: no hooks). */
  hooksFile?: string;
  /** Where the platforms the inventory routes list are (default: platform:status's `home` default, /srv/gravity). */
  platformHome?: string;
  /**
   * Definitions served beside the catalog's (`gravity serve --workflow <file>`, embedding, tests), each with where it
   * came from (default inline: resume uses the stored copy); an id the catalog has is refused.
   */
  extraWorkflows?: Array<Definition | { def: Definition; source: RunRecord['source'] }>;
}

/** A started server. */
export interface Server {
  fastify: FastifyInstance;
  runs: RunManager;
  ctx: ServerContext;
  /** Listens on `host:port` (port 0: any free one) and resolves with the URL. */
  listen(host: string, port: number): Promise<string>;
  /** Stops taking requests, detaches the runs it drives and closes. */
  close(): Promise<void>;
}

const STATUS_OF: Partial<Record<string, number>> = {
  [ErrorCode.NotFound]: 404,
  [ErrorCode.UnknownWorkflow]: 404,
};

/** Answers with the error's status and `{ error, message }`; a crash of ours is 500 without its stack. */
function errorBody(e: unknown): { status: number; body: { error: string; message: string; details?: unknown } } {
  if (e instanceof HttpError) return { status: e.status, body: { error: e.code, message: e.message } };
  // the store's own data is unreadable: not the request's fault; the message names the file and what is wrong
  if (e instanceof CorruptDataError)
    return { status: 500, body: { error: 'CORRUPT_DATA', message: printable(e.message) } };
  if (e instanceof GravityError) {
    const status = STATUS_OF[e.code] ?? (e instanceof BadInputError || e.code === ErrorCode.Validation ? 400 : 409);
    return {
      status,
      body: { error: e.code, message: printable(e.message), ...(e.details ? { details: e.details } : {}) },
    };
  }
  const f = e as FastifyError;
  if (f.validation) return { status: 400, body: { error: 'BAD_REQUEST', message: validationMessage(f) } };
  if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: { error: 'TOO_LARGE', message: f.message } };
  if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { status: 415, body: { error: 'UNSUPPORTED_MEDIA_TYPE', message: f.message } };
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500)
    return { status: f.statusCode, body: { error: 'BAD_REQUEST', message: f.message } };
  return { status: 500, body: { error: 'INTERNAL', message: 'the server failed on this request (see its log)' } };
}

/** A schema validation error as one sentence naming where and what, with the closest key for an unknown one. */
function validationMessage(f: FastifyError): string {
  const v = f.validation![0] as {
    instancePath: string;
    keyword: string;
    message?: string;
    params: Record<string, unknown>;
    parentSchema?: { properties?: Record<string, unknown> };
  };
  const where = `${f.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`;
  if (v.keyword === 'additionalProperties') {
    const key = String(v.params.additionalProperty);
    const known = Object.keys(v.parentSchema?.properties ?? {});
    const near = closest(key, known)[0];
    return `${where}: unknown key "${key}"${near ? `; did you mean "${near}"?` : ''} (known: ${known.join(', ')})`;
  }
  return `${where}: ${v.message ?? v.keyword}`;
}

/** Builds the server (not listening yet): routes, auth, limits, the run manager. */
export async function createServer(o: ServerOptions): Promise<Server> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { app, tokens } = o;
  const catalog = await app.catalog();
  const given = (o.extraWorkflows ?? []).map((w) => ('def' in w ? w : { def: w, source: { kind: 'inline' as const } }));
  const extra = new Map(given.map((w) => [w.def.id, w.def]));
  const sources = new Map(given.map((w) => [w.def.id, w.source]));
  for (const id of extra.keys())
    if (catalog.findWorkflow(id))
      throw new BadInputError(`extra workflow "${id}": the catalog has a workflow of that id`);
  const findWorkflow = (id: string) => extra.get(id) ?? catalog.findWorkflow(id);
  const workflows = [...catalog.workflows, ...extra.values()];
  const engine = { ...(await app.engine(undefined, o.root)), resolveWorkflow: findWorkflow };
  const runs = new RunManager({
    engine,
    log,
    cancelPollMs: o.cancelPollMs,
    duePollMs: o.duePollMs,
    definitionOf: async (r) => {
      if (r.source.kind === 'catalog' && r.source.ref) return findWorkflow(r.source.ref);
      // a file served here: the copy loaded at start (another file, or none: the run's stored copy)
      if (r.source.kind === 'file' && sources.get(r.workflow)?.ref === r.source.ref) return extra.get(r.workflow);
      return undefined;
    },
  });
  const { resolveParams } = await import('../engine/index.js');
  const ctx: ServerContext = {
    app,
    runs,
    tokens,
    log,
    workflows,
    findWorkflow,
    async startWorkflow(workflow, params, startedBy) {
      const def = findWorkflow(workflow);
      if (!def) {
        const near = closest(
          workflow,
          workflows.map((d) => d.id),
        ).slice(0, 2);
        throw new BadInputError(
          `unknown workflow "${workflow}"${near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : ''} (GET /api/workflows lists them)`,
          { workflow },
        );
      }
      const resolved = resolveParams(def, params);
      return runs.start(def, resolved, { source: sources.get(def.id) ?? { kind: 'catalog', ref: def.id }, startedBy });
    },
  };

  const fastify = Fastify({
    bodyLimit: o.bodyLimit ?? 1024 * 1024,
    // a path's %2F stays part of one segment as "/" (the id patterns then refuse it); no trailing-slash twins
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    logger: false,
    // the strict inputs: an unknown key is an error (naming the closest one), never dropped
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, verbose: true } },
    return503OnClosing: true,
    // a request must arrive whole within 30 s (a client trickling its headers or body holds nothing for long)
    requestTimeout: 30_000,
    // what the router refuses before any route (a bad %-escape, a segment over 200 characters) is answered like every
    // other error, without echoing the path
    frameworkErrors: (e, _req, reply) => {
      const status = e.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      void (reply as unknown as FastifyReply).status(status).send({
        error: status === 414 ? 'URI_TOO_LONG' : 'BAD_REQUEST',
        message: status === 414 ? 'a part of the path is over 200 characters' : 'the path is not a valid URL path',
      });
    },
  });
  const openapi = createOpenApi();
  fastify.addHook('onRoute', (route) => openapi.collect(route));

  // every request under /api (but the description) needs a token; a route says which role it needs
  fastify.addHook('onRequest', async (req, reply) => {
    const access: Access = req.routeOptions.config?.access ?? 'read';
    void reply.header('cache-control', 'no-store');
    if (access === 'public' || access === 'hook') return;
    const header = req.headers.authorization;
    const bearer = typeof header === 'string' ? /^Bearer ([^\s]+)$/.exec(header)?.[1] : undefined;
    const token = bearer === undefined ? undefined : tokens.check(bearer);
    if (!token) {
      void reply.header('www-authenticate', 'Bearer realm="gravity"');
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        header === undefined
          ? 'this needs a token: send "Authorization: Bearer <token>" (gravity serve prints where its token file is)'
          : 'the token is not known to this server (check the token file)',
      );
    }
    if (access === 'operate' && token.role !== 'operate')
      throw new HttpError(403, 'FORBIDDEN', `token "${token.name}" may read only; this needs an operate token`);
    req.token = token;
  });

  fastify.setErrorHandler((e, req, reply) => {
    const { status, body } = errorBody(e);
    if (status >= 500) log(`${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
    void reply.status(status).send(body);
  });
  fastify.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  fastify.get('/api/openapi.json', { config: { access: 'public' } }, async () => openapi.document());
  fastify.get(
    '/api/me',
    {
      schema: {
        summary: 'The token this request carries: its name and role',
        response: {
          200: {
            type: 'object',
            properties: { name: { type: 'string' }, role: { type: 'string', enum: ['read', 'operate'] } },
          },
        },
      },
    },
    async (req) => ({ name: req.token!.name, role: req.token!.role }),
  );
  await registerWorkflowRoutes(fastify, ctx);
  await registerRunRoutes(fastify, ctx);
  await registerExtraRoutes(fastify, ctx, { hooksFile: o.hooksFile, platformHome: o.platformHome });
  await registerWeb(fastify);

  let closed = false;
  return {
    fastify,
    runs,
    ctx,
    async listen(host, port) {
      await fastify.listen({ host, port });
      await runs.open();
      const a = fastify.server.address();
      const p = typeof a === 'object' && a ? a.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
    },
    async close() {
      if (closed) return;
      closed = true;
      await runs.close();
      await fastify.close();
    },
  };
}
