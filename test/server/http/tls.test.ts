// HTTPS: with --tls-cert/--tls-key the server speaks TLS (a self-signed certificate made
// with openssl for the test), agents and admins reach it with the certificate as their CA,
// and plain HTTP on that port gets no answer.

import { selfSignedCert } from '../../helpers/tls.ts';
import t from 'tap';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { hasCommand, needs } from '../../helpers/system.ts';
import { resolveConfig } from '../../../server/config.ts';
import { startServer } from '../../../server/start.ts';
import { CONTENT_TYPE_PROTOBUF, pb } from '../../../shared/protocol/index.ts';
import { scratch } from './harness.ts';

function get(url: string, options: https.RequestOptions): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https') ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end(options.method === 'POST' ? (options as { body?: Buffer }).body : undefined);
  });
}

t.test('serves HTTPS with the given certificate', { skip: needs('openssl', hasCommand('openssl')) }, async (t) => {
  const dir = scratch(t);
  const made = selfSignedCert(dir);
  const { cert, key } = made;
  t.equal(made.status, 0, made.stderr);

  const config = resolveConfig({ port: '0', data: join(dir, 'data'), 'tls-cert': cert, 'tls-key': key, 'log-level': 'silent' }, {}, dir);
  const server = await startServer(config, { env: {} });
  t.teardown(() => server.close());
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.same(server.warnings, [], 'loopback: no warning');
  const ca = readFileSync(cert);

  const health = await get(`${server.url}/healthz`, { ca });
  t.equal(health.status, 200);

  const { token } = await server.service.createAgent('tls-agent');
  const body = Buffer.from(pb.HeartbeatRequest.encode({ jobsWaiting: 0 }).finish());
  const hb = await get(`${server.url}/api/agent/v1/heartbeat`, {
    ca, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': CONTENT_TYPE_PROTOBUF, 'content-length': body.length }, body,
  } as https.RequestOptions);
  t.equal(hb.status, 200);
  t.ok(Number(pb.HeartbeatResponse.decode(hb.body).serverTimeMs) > 0);

  await t.rejects(get(`${server.url}/healthz`, {}), 'an unknown CA is refused by the client');
  const plain = await get(server.url.replace('https', 'http') + '/healthz', {}).catch((e: Error) => e);
  t.ok(plain instanceof Error || plain.status === 400, 'plain HTTP gets no normal answer');
});

t.test('a non-loopback address without TLS is warned about', async (t) => {
  const dir = scratch(t);
  const config = resolveConfig({ port: '0', host: '0.0.0.0', data: join(dir, 'data'), 'log-level': 'silent' }, {}, dir);
  const server = await startServer(config, { env: {} });
  t.teardown(() => server.close());
  t.match(server.warnings.join('\n'), /without TLS/);
});
