// A server's non-2xx answer as a PrintgateError: the catalogue code from the body when it
// carries one (protobuf ErrorBody on the agent API, JSON on the admin API), else a code
// chosen by the HTTP status. Kept apart from the protobuf codec so that `printgate cmd`,
// which speaks only JSON, does not load it.

import { ERRORS, PrintgateError, isErrorCode, type ErrorCode } from '../../shared/errors.ts';

/** The catalogue code for an HTTP status when the body did not carry one. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400: return 'BAD_REQUEST';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'FORBIDDEN';
    case 404: return 'NOT_FOUND';
    case 409: return 'CONFLICT';
    case 413: return 'BODY_TOO_LARGE';
    case 415: return 'UNSUPPORTED_MEDIA_TYPE';
    case 429: return 'RATE_LIMITED';
    case 503: return 'STORAGE_UNAVAILABLE';
    default: return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
  }
}

/** Build the error from the status and whatever code and message the body held. */
export function errorFromParts(status: number, code: string, message: string): PrintgateError {
  const known = isErrorCode(code) ? code : codeForStatus(status);
  const detail: Record<string, unknown> = { httpStatus: status };
  if (code !== '' && !isErrorCode(code)) detail.serverCode = code;
  return new PrintgateError(known, message || ERRORS[known].message, detail);
}

/** The code and message of a JSON error body; empty strings when it has none. */
export function jsonErrorParts(body: Buffer): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { code?: unknown; message?: unknown };
    return {
      code: typeof parsed.code === 'string' ? parsed.code : '',
      message: typeof parsed.message === 'string' ? parsed.message : '',
    };
  } catch {
    return { code: '', message: '' };
  }
}
