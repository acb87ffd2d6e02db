// GET /healthz: anonymous liveness probe for load balancers and the process test. It says
// only that the process answers; it carries no data.

import type { FastifyPluginAsync } from 'fastify';

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', {
    config: { auth: 'anonymous' },
    schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } } },
  }, async () => ({ status: 'ok' }));
};
