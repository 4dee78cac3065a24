// Routes beyond runs and workflows: the inventories (platforms, environments, GitLab instances) and the webhooks.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './context.js';

export async function registerExtraRoutes(
  _fastify: FastifyInstance,
  _ctx: ServerContext,
  _o: { hooksFile?: string },
): Promise<void> {}
