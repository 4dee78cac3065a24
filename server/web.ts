// The web view's files (dist/web, built by `npm run build`), served under / without a token: they hold no data.
import type { FastifyInstance } from 'fastify';

export async function registerWeb(fastify: FastifyInstance): Promise<void> {
  fastify.get('/', { config: { access: 'public' } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send('<!doctype html><title>gravity</title><p>gravity serve</p>'),
  );
}
