// The admin API under /api/admin/v1: JSON only, schema-validated, always authenticated
// (admin token or, later, an admin session). One sub-plugin per resource in admin/, plus the
// OpenAPI description generated from their schemas.

import type { FastifyPluginAsync } from 'fastify';
import { VERSION } from '../../cli/main.ts';
import { userRoutes } from './admin/users.ts';
import { groupRoutes } from './admin/groups.ts';
import { sharedAccountRoutes } from './admin/accounts.ts';
import { printerRoutes } from './admin/printers.ts';
import { systemRoutes } from './admin/system.ts';

export const ADMIN_BODY_LIMIT = 256 * 1024;

export const adminApi: FastifyPluginAsync = async (app) => {
  // JSON bodies only (Fastify's JSON parser; text/plain is not an admin format).
  app.removeContentTypeParser('text/plain');
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= ADMIN_BODY_LIMIT;
  });

  app.get('/openapi.json', {
    config: { auth: 'admin', openapi: false },
  }, async (_request, reply) => {
    return reply.type('application/json; charset=utf-8').send(app.printgate.openapi.document({ title: 'printgate admin API', version: VERSION }));
  });

  await app.register(userRoutes);
  await app.register(groupRoutes);
  await app.register(sharedAccountRoutes);
  await app.register(printerRoutes);
  await app.register(systemRoutes);
};
