// Wire formats of the agent API: `application/x-protobuf` (what agents send) and
// `application/json` with the proto3 JSON field names (for debugging with curl). The body
// parsers hand the raw bytes or the parsed JSON to the route, which decodes them with its
// own message type; answers (including errors, as ErrorBody) use the request's format.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import { CONTENT_TYPE_PROTOBUF, JSON_OPTIONS, pb, type MessageType, type printgate } from '../../shared/protocol/index.ts';
import { logInternalError, toErrorAnswer, type ErrorAnswer } from './errors.ts';

/** What the body parsers leave in request.body. */
export type AgentBody =
  | { readonly json: false; readonly bytes: Buffer }
  | { readonly json: true; readonly value: unknown };

const EMPTY: AgentBody = { json: false, bytes: Buffer.alloc(0) };
const JSON_TYPE = 'application/json; charset=utf-8';

/** Replace the scope's parsers with the two agent formats, both bounded by `bodyLimit`. */
export function installAgentParsers(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(CONTENT_TYPE_PROTOBUF, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => {
    done(null, { json: false, bytes: body as Buffer });
  });
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => {
    let value: unknown;
    try {
      value = JSON.parse((body as Buffer).toString('utf8'));
    } catch {
      done(new PrintgateError('INVALID_BODY', 'The body is not valid JSON'), undefined);
      return;
    }
    done(null, { json: true, value });
  });
}

/** Decode the request body as `type`; INVALID_BODY when it does not decode. */
export function decodeBody<T>(type: MessageType<T>, body: unknown): T {
  const b = (body ?? EMPTY) as AgentBody;
  try {
    if (!b.json) return type.decode(b.bytes);
    if (b.value === null || typeof b.value !== 'object' || Array.isArray(b.value)) {
      throw new TypeError('a JSON object is expected');
    }
    return type.fromObject(b.value as Record<string, unknown>);
  } catch (err) {
    throw new PrintgateError('INVALID_BODY', `The body is not a valid ${typeName(type)}: ${String((err as Error).message).slice(0, 200)}`);
  }
}

function typeName(type: unknown): string {
  return (type as { name?: string }).name ?? 'message';
}

/** True when the answer should be JSON: the request was JSON, or asked for it. */
export function wantsJson(request: FastifyRequest): boolean {
  const body = request.body as AgentBody | undefined;
  if (body) return body.json;
  const ct = request.headers['content-type'];
  if (ct !== undefined) return ct.startsWith('application/json');
  const accept = request.headers.accept;
  return accept !== undefined && accept.includes('application/json') && !accept.includes(CONTENT_TYPE_PROTOBUF);
}

/** Send `value` (a plain object shaped like `type`) in the request's format. */
export function sendMessage<T>(request: FastifyRequest, reply: FastifyReply, type: MessageType<T>, value: T, status = 200): FastifyReply {
  if (wantsJson(request)) {
    return reply.code(status).type(JSON_TYPE).send(JSON.stringify(type.toObject(value, JSON_OPTIONS)));
  }
  const bytes = type.encode(value).finish();
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return reply.code(status).type(CONTENT_TYPE_PROTOBUF).send(buf);
}

/** Answer an error as ErrorBody in the request's format. */
export function sendError(request: FastifyRequest, reply: FastifyReply, answer: ErrorAnswer): FastifyReply {
  return sendMessage(request, reply, pb.ErrorBody as MessageType<printgate.v1.ErrorBody>, pb.ErrorBody.create(answer), answer.status);
}

/** Error handler of the agent area. */
export function agentErrorHandler(err: Error, request: FastifyRequest, reply: FastifyReply): void {
  const { answer, internal } = toErrorAnswer(err);
  if (internal) logInternalError(request, err, 'agent request failed');
  void sendError(request, reply, answer);
}
