// Inventories over HTTP: platforms, environments, GitLab instances (to be written).
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './context.js';

export async function registerInventoryRoutes(_fastify: FastifyInstance, _ctx: ServerContext): Promise<void> {}
