// Ticket webhooks: POST /hooks/<name> (to be written).
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './context.js';

export async function registerHookRoutes(
  _fastify: FastifyInstance,
  _ctx: ServerContext,
  _o: { hooksFile?: string },
): Promise<void> {}
