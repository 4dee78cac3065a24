// The web view's files (dist/web, built by `npm run build`), served under / without a token: they hold no data (the
// page asks for a token and calls /api with it). Only the files found in dist/web when the server starts are served,
// each by its exact path (no directory listing, no path made from the request), with a strict Content-Security-Policy.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The headers of every web view response. */
export const WEB_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The files served, by extension; any other file in dist/web is not. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
};

/** dist/web, seen from this module: dist/server/web.js (built) or server/web.ts (run from the sources by tsx). */
export function defaultWebDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(dirname(here)) === 'dist' ? join(here, '..', 'web') : join(here, '..', 'dist', 'web');
}

/** Every servable file under `dir/assets`: URL path (`/assets/...`) -> file and content type. */
function assetsOf(dir: string): Map<string, { file: string; type: string }> {
  const out = new Map<string, { file: string; type: string }>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      const st = statSync(file);
      if (st.isDirectory()) walk(file);
      else if (st.isFile() && TYPES[extname(name)])
        out.set(`/${relative(dir, file).split(sep).join('/')}`, { file, type: TYPES[extname(name)]! });
    }
  };
  if (existsSync(join(dir, 'assets'))) walk(join(dir, 'assets'));
  return out;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gravity: web view not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The web view is not built</h1>
<p>This gravity serve finds no <code>dist/web/index.html</code>: run <code>npm run build</code> (or <code>npm ci</code>,
which builds) in the gravity folder, then restart <code>gravity serve</code>. The API under <code>/api</code> works
without it.</p>
</body></html>
`;

export async function registerWeb(fastify: FastifyInstance, o: { dir?: string } = {}): Promise<void> {
  const dir = o.dir ?? defaultWebDir();
  const index = join(dir, 'index.html');
  const built = existsSync(index);
  const assets = built ? assetsOf(dir) : new Map<string, { file: string; type: string }>();
  const send = async (reply: FastifyReply, status: number, type: string, body: string | Buffer) =>
    reply.status(status).headers(WEB_HEADERS).type(type).send(body);
  const notFound = (reply: FastifyReply, path: string) =>
    send(
      reply,
      404,
      'application/json; charset=utf-8',
      JSON.stringify({ error: 'NOT_FOUND', message: `no file ${path}` }),
    );

  fastify.get('/', { config: { access: 'public' } }, async (_req, reply) => {
    if (!built) return send(reply, 503, 'text/html; charset=utf-8', NOT_BUILT);
    return send(reply, 200, 'text/html; charset=utf-8', await readFile(index));
  });
  fastify.get('/assets/*', { config: { access: 'public' } }, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    const asset = assets.get(path);
    if (!asset) return notFound(reply, path);
    try {
      return await send(reply, 200, asset.type, await readFile(asset.file));
    } catch {
      return notFound(reply, path);
    }
  });
}
