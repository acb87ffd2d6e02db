// Test harness for the HTTP layer: the real service on a fresh SQLite database in a
// scratch directory, the app built around it (not listening: routes are exercised with
// app.inject()), an admin token and one agent token, and helpers for both APIs.
// Everything is closed when the test ends.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { openService } from '../../../server/service/index.ts';
import type { PrintService } from '../../../server/service/types.ts';
import { buildApp, type AppOptions } from '../../../server/http/app.ts';
import { hashToken } from '../../../server/http/token-hash.ts';
import { CONTENT_TYPE_PROTOBUF, pb, type MessageType } from '../../../shared/protocol/index.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

interface Teardown { teardown(fn: () => unknown): void }

export interface Harness {
  readonly app: FastifyInstance;
  readonly service: PrintService;
  readonly dataDir: string;
  readonly adminToken: string;
  readonly agentToken: string;
  /** JSON call to the admin API with the admin token. */
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Protobuf call to the agent API with the agent token; decodes 200 answers as `res`. */
  agent<Res>(method: string, req: Record<string, unknown>, resType: MessageType<Res>, token?: string): Promise<{ status: number; body: Res | null; error: { code: string; message: string; status: number } | null }>;
}

export function scratch(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'printgate-http-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const REQUEST_TYPES: Record<string, unknown> = {
  register: pb.RegisterRequest, heartbeat: pb.HeartbeatRequest, authorize: pb.AuthorizeRequest,
  complete: pb.CompleteRequest, events: pb.EventsRequest,
};

export async function harness(t: Teardown, options: Partial<AppOptions> & { db?: string } = {}): Promise<Harness> {
  const dataDir = scratch(t);
  const service = await openService({ dataDir, db: options.db ?? join(dataDir, 'printgate.db'), background: false });
  const app = buildApp(service, { adminTokenHash: hashToken(ADMIN_TOKEN), logLevel: 'silent', ...options });
  t.teardown(async () => {
    await app.close();
    await service.close();
  });
  await app.ready();
  const { token: agentToken } = await service.createAgent('agent1');

  return {
    app, service, dataDir, adminToken: ADMIN_TOKEN, agentToken,
    admin(method, path, body, headers = {}) {
      return app.inject({
        method: method as 'GET',
        url: `/api/admin/v1${path}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    },
    async agent(method, req, resType, token = agentToken) {
      const type = REQUEST_TYPES[method] as MessageType<unknown>;
      const res = await app.inject({
        method: 'POST',
        url: `/api/agent/v1/${method}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': CONTENT_TYPE_PROTOBUF },
        payload: Buffer.from(type.encode(type.fromObject(req)).finish()),
      });
      if (res.statusCode === 200) return { status: 200, body: resType.decode(res.rawPayload), error: null };
      const e = pb.ErrorBody.decode(res.rawPayload);
      return { status: res.statusCode, body: null, error: { code: e.code, message: e.message, status: e.status } };
    },
  };
}

/** A job request a print provider would send (3 gray pages on queue q of agent1). */
export function job(user: string, key: string, extra: { pages?: number; queue?: string } = {}): Record<string, unknown> {
  return {
    idempotencyKey: key,
    job: { queue: extra.queue ?? 'q', spoolerJobId: key, user, host: 'ws1', title: 'report.pdf', copies: 1, documentFormat: 'application/pdf' },
    analysis: { format: 'pdf', pagesKnown: true, pages: extra.pages ?? 3, colorKnown: true, colorPages: 0, method: 'test' },
  };
}
