// What every route module of gravity serve gets: the app (store, registry, catalog), the run manager and the tokens.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../cli/app.js';
import type { Definition } from '../engine/index.js';
import type { RunManager } from './runs.js';
import type { Role, Token, TokenSet } from './tokens.js';

/** Who may call a route: `public` (no token: the web page's files, the OpenAPI description), `read`, `operate`, or
 * `hook` (a webhook: its own secret, checked by the route). */
export type Access = 'public' | Role | 'hook';

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI description (server/openapi.ts). */
    summary?: string;
    description?: string;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The token the request was authenticated with (routes of access read or operate). */
    token?: Token;
  }
}

export interface ServerContext {
  app: App;
  runs: RunManager;
  tokens: TokenSet;
  /** The workflows it serves (the catalog's, and extra ones given to createServer). */
  workflows: Definition[];
  findWorkflow(id: string): Definition | undefined;
  /** Lines the server prints on its own (run resumed, hook refused...). */
  log(line: string): void;
  /**
   * Starts a run of catalog workflow `workflow` with `params` checked exactly as `gravity run --param` checks them
   * (unknown workflow or bad param: BadInputError, a 400); resolves with the run id once its record exists.
   */
  startWorkflow(workflow: string, params: Record<string, unknown>, startedBy: string): Promise<string>;
}

/** An error with an HTTP status, thrown by routes (the error handler answers `{ error, message }`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type { FastifyReply, FastifyRequest };
