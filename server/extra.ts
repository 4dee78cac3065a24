// Routes beyond runs and workflows: the inventories (platforms, environments, GitLab instances) and the webhooks.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './context.js';
import { registerHookRoutes } from './hooks.js';
import { registerInventoryRoutes } from './inventory.js';

export async function registerExtraRoutes(
  fastify: FastifyInstance,
  ctx: ServerContext,
  o: { hooksFile?: string; platformHome?: string },
): Promise<void> {
  await registerInventoryRoutes(fastify, ctx, { platformHome: o.platformHome });
  await registerHookRoutes(fastify, ctx, o);
}
