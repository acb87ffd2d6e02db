// The one place that turns any thrown value into an HTTP answer from the error catalogue
// (shared/errors.ts): PrintgateError keeps its code; Fastify's own errors (validation, body
// parsing, size limits, media type) map to their catalogue codes; anything else is an
// INTERNAL 500 whose details go to the log only, never to the caller. Every 5xx is written
// to stderr with its stack (logInternalError), whatever the log level.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, PrintgateError, type ErrorCode } from '../../shared/errors.ts';

export interface ErrorAnswer {
  readonly code: ErrorCode;
  readonly message: string;
  readonly status: number;
}

/** Fastify error codes and the catalogue code each becomes. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_BODY',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_REQUEST',
};

/** Map any error to the answer the caller sees (and whether it deserves an error log). */
export function toErrorAnswer(err: unknown): { answer: ErrorAnswer; internal: boolean } {
  if (err instanceof PrintgateError) {
    return { answer: { code: err.code, message: err.message, status: err.status }, internal: err.status >= 500 };
  }
  const fe = err as Partial<FastifyError> | null;
  if (fe && typeof fe === 'object') {
    // A JSON body that JSON.parse refuses: Fastify gives a SyntaxError with statusCode 400.
    if (err instanceof SyntaxError && fe.statusCode === 400) return known('INVALID_BODY', 'The body is not valid JSON');
    if (fe.validation) return known('VALIDATION_FAILED', validationMessage(fe));
    const code = typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
    if (code) return known(code, ERRORS[code].message);
  }
  return { answer: { code: 'INTERNAL', message: ERRORS.INTERNAL.message, status: 500 }, internal: true };
}

function known(code: ErrorCode, message: string): { answer: ErrorAnswer; internal: boolean } {
  return { answer: { code, message, status: ERRORS[code].status }, internal: false };
}

/** "body/amount must be string" from Fastify's validation error, bounded in length. */
function validationMessage(err: Partial<FastifyError>): string {
  const first = err.validation?.[0];
  const where = err.validationContext ?? 'request';
  if (!first) return ERRORS.VALIDATION_FAILED.message;
  const path = first.instancePath ? `${where}${first.instancePath}` : where;
  const extra = first.keyword === 'additionalProperties' ? ` (${String((first.params as { additionalProperty?: string }).additionalProperty)})` : '';
  return `${path} ${first.message ?? 'is invalid'}${extra}`.slice(0, 300);
}

/** The stack of an error and of its causes (bounded), with SQLite's error code when it has one. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const x = e as { stack?: unknown; errcode?: unknown; errstr?: unknown; code?: unknown; cause?: unknown };
    const codes = [x.code, x.errcode, x.errstr].filter((v) => typeof v === 'string' || typeof v === 'number').join(' ');
    const text = typeof x.stack === 'string' ? x.stack : String(e);
    parts.push(`${depth > 0 ? 'caused by: ' : ''}${text}${codes ? ` [${codes}]` : ''}`);
    e = x.cause;
  }
  return parts.join('\n').slice(0, 16_000);
}

/**
 * Log an error that became a 5xx. Always to stderr, with its stack and causes, whatever
 * the log level (operators need the real error behind an "Internal error", and request
 * logging is off by default); also to the app's logger when it has one.
 */
export function logInternalError(request: FastifyRequest, err: unknown, what = 'request failed'): void {
  request.log.error({ err }, what);
  process.stderr.write(`printgate server: ${what}: ${request.method} ${request.url.slice(0, 300)} (${request.id}): ${describeError(err)}\n`);
}

/** Error handler for JSON areas: logs internal errors, answers the catalogue body. */
export function jsonErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { answer, internal } = toErrorAnswer(err);
  if (internal) logInternalError(request, err);
  void reply.code(answer.status).type('application/json; charset=utf-8').send(answer);
}

/** The catalogue answer for an unknown route. */
export const NOT_FOUND_ANSWER: ErrorAnswer = { code: 'NOT_FOUND', message: ERRORS.NOT_FOUND.message, status: 404 };
