// Workflows: the catalog with its params, one workflow's definition, and its BPMN in any dialect.
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../engine/errors.js';
import type { ServerContext } from '../context.js';

/** A workflow id: `family:name` (letters, digits, `.`, `_`, `-`, `:`). */
export const WORKFLOW_ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' } as const;

export async function registerWorkflowRoutes(fastify: FastifyInstance, ctx: ServerContext): Promise<void> {
  const { workflows, findWorkflow } = ctx;
  const find = (id: string) => {
    const def = findWorkflow(id);
    if (!def) throw new NotFoundError(`no workflow "${id}" in the catalog (GET /api/workflows lists them)`);
    return def;
  };
  const { dialectNames } = await import('../../bpmn/index.js');

  fastify.get(
    '/api/workflows',
    { schema: { summary: 'The catalog: each workflow with its title, description and params' } },
    async () => ({
      workflows: workflows.map((d) => ({
        id: d.id,
        ...(d.title ? { title: d.title } : {}),
        ...(d.description ? { description: d.description } : {}),
        params: d.params ?? {},
      })),
    }),
  );

  fastify.get<{ Params: { id: string } }>(
    '/api/workflows/:id',
    {
      schema: {
        summary: 'One workflow: its params and its definition (the machine in the gravity subset)',
        params: { type: 'object', properties: { id: WORKFLOW_ID }, required: ['id'], additionalProperties: false },
      },
    },
    async (req) => {
      const def = find(req.params.id);
      return {
        id: def.id,
        ...(def.title ? { title: def.title } : {}),
        ...(def.description ? { description: def.description } : {}),
        params: def.params ?? {},
        definition: def,
      };
    },
  );

  fastify.get<{ Params: { id: string }; Querystring: { dialect?: string } }>(
    '/api/workflows/:id/bpmn',
    {
      schema: {
        summary: 'One workflow as BPMN 2.0 XML with its diagram, in a dialect (default gravity)',
        params: { type: 'object', properties: { id: WORKFLOW_ID }, required: ['id'], additionalProperties: false },
        querystring: {
          type: 'object',
          properties: { dialect: { type: 'string', enum: [...dialectNames] } },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const def = find(req.params.id);
      const { exportBpmn } = await import('../../bpmn/index.js');
      const xml = await exportBpmn(def, { dialect: (req.query.dialect ?? 'gravity') as 'gravity' });
      return reply.type('application/xml; charset=utf-8').send(xml);
    },
  );
}
