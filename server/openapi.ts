// The OpenAPI 3.1 description of the API, made from the routes as they are registered: each route's JSON schemas (the
// same ones Fastify validates requests with) and its access. GET /api/openapi.json serves it.
import type { RouteOptions } from 'fastify';
import { packageVersion } from '../cli/version.js';

interface Collected {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  access: string;
}

/** One server's description: `collect` is its onRoute hook, `document` what GET /api/openapi.json answers. */
export function createOpenApi(): { collect(route: RouteOptions): void; document(): Record<string, unknown> } {
  const routes: Collected[] = [];
  const version = packageVersion();
  return { collect: (route) => collectRoute(routes, route), document: () => openApiDocument(routes, version) };
}

/** Keeps what the description needs of an /api or /hooks route. */
function collectRoute(routes: Collected[], route: RouteOptions): void {
  if (!route.url.startsWith('/api/') && !route.url.startsWith('/hooks/')) return;
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
  for (const method of methods) {
    if (routes.some((r) => r.method === method && r.url === route.url)) continue;
    routes.push({
      method: method.toLowerCase(),
      url: route.url,
      schema: (route.schema ?? {}) as Record<string, unknown>,
      access: (route.config as { access?: string } | undefined)?.access ?? 'read',
    });
  }
}

/** `{ type: object, properties }` of params/querystring as OpenAPI parameters. */
function parameters(schema: unknown, where: 'path' | 'query'): unknown[] {
  const s = schema as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (s?.required ?? []).includes(name),
    ...(p.description ? { description: p.description } : {}),
    schema: p,
  }));
}

/** The description of every route registered so far. */
function openApiDocument(routes: Collected[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    const s = r.schema as {
      summary?: string;
      description?: string;
      params?: unknown;
      querystring?: unknown;
      body?: unknown;
      response?: Record<string, unknown>;
      produces?: string;
    };
    const responses: Record<string, unknown> = {};
    for (const [code, body] of Object.entries(s.response ?? {}))
      responses[code] = { description: code, content: { 'application/json': { schema: body } } };
    if (!Object.keys(responses).length) responses['200'] = { description: 'OK' };
    if (r.access === 'read' || r.access === 'operate') {
      responses['401'] = { description: 'no token, or an unknown one' };
      if (r.access === 'operate') responses['403'] = { description: 'a read token on a route that needs operate' };
    }
    (paths[path] ??= {})[r.method] = {
      ...(s.summary ? { summary: s.summary } : {}),
      ...(s.description ? { description: s.description } : {}),
      'x-gravity-access': r.access,
      ...(r.access === 'read' || r.access === 'operate' ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: [...parameters(s.params, 'path'), ...parameters(s.querystring, 'query')],
      ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: s.body } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'gravity serve',
      version,
      description:
        'Runs of gravity workflows over HTTP. Send "Authorization: Bearer <token>" (a token of the token file); routes marked operate need an operate token.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
