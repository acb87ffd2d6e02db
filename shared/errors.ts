// The one error catalogue. Every error printgate reports to a caller (HTTP API, CLI,
// agent log) has a stable code from this table, an HTTP status, and a default message.
// Codes are never reused or renamed: clients and scripts match on them. Add new codes at
// the end of their group; docs/errors.md is checked against this table by a test.

export interface ErrorSpec {
  /** HTTP status the server answers with. */
  readonly status: number;
  /** Default human-readable message. */
  readonly message: string;
}

export const ERRORS = {
  // --- request shape (400) ---
  BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  INVALID_BODY: { status: 400, message: 'The request body could not be decoded' },
  VALIDATION_FAILED: { status: 400, message: 'The request failed validation' },
  INVALID_AMOUNT: { status: 400, message: 'Invalid amount' },
  INVALID_ARGUMENT: { status: 400, message: 'Invalid argument' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  // --- authentication and authorisation (401/403) ---
  UNAUTHENTICATED: { status: 401, message: 'Authentication required' },
  INVALID_TOKEN: { status: 401, message: 'The token is not valid' },
  FORBIDDEN: { status: 403, message: 'Not allowed for this caller' },
  CSRF_FAILED: { status: 403, message: 'The form has expired; reload the page and try again' },
  RATE_LIMITED: { status: 429, message: 'Too many attempts; try again later' },
  CLAIM_WRONG_HOST: { status: 403, message: 'A job is claimed from the computer it was printed from (or at the web page)' },
  // --- lookups (404/409) ---
  NOT_FOUND: { status: 404, message: 'Not found' },
  UNKNOWN_USER: { status: 404, message: 'Unknown user' },
  UNKNOWN_GROUP: { status: 404, message: 'Unknown group' },
  UNKNOWN_ACCOUNT: { status: 404, message: 'Unknown account' },
  UNKNOWN_PRINTER: { status: 404, message: 'Unknown printer' },
  UNKNOWN_AGENT: { status: 404, message: 'Unknown agent' },
  UNKNOWN_JOB: { status: 404, message: 'Unknown job' },
  UNKNOWN_CONFIG_KEY: { status: 404, message: 'Unknown configuration key' },
  AMBIGUOUS_PRINTER: { status: 409, message: 'The queue name matches several printers; use <agent>/<queue>' },
  ALREADY_EXISTS: { status: 409, message: 'Already exists' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state' },
  IDEMPOTENCY_MISMATCH: { status: 409, message: 'The idempotency key was used for a different request' },
  JOB_NOT_HELD: { status: 409, message: 'The job is not waiting for a release or an answer' },
  // --- money (402/409) ---
  INSUFFICIENT_CREDIT: { status: 402, message: 'Not enough credit' },
  CARD_INVALID: { status: 404, message: 'The card number is not valid or was already used' },
  // --- server and storage (5xx) ---
  INTERNAL: { status: 500, message: 'Internal error' },
  STORAGE_UNAVAILABLE: { status: 503, message: 'The database is not reachable' },
  SERVER_UNREACHABLE: { status: 503, message: 'The server is not reachable' },
  // --- spool analysis (agent side; 422 when reported over HTTP) ---
  ANALYSIS_FAILED: { status: 422, message: 'The document could not be analysed' },
  ANALYSIS_UNSUPPORTED: { status: 422, message: 'The document format is not supported' },
  ANALYSIS_MALFORMED: { status: 422, message: 'The document is malformed' },
  ANALYSIS_TRUNCATED: { status: 422, message: 'The document ends early' },
  ANALYSIS_LIMIT: { status: 422, message: 'The document exceeds an analysis limit (time, memory or size)' },
  ANALYSIS_STALLED: { status: 422, message: 'The parser stopped advancing' },
  ANALYSIS_ENCRYPTED: { status: 422, message: 'The document is encrypted with a password' },
  ANALYSIS_ABORTED: { status: 422, message: 'The analysis was cancelled' },
  // --- spooler (agent side) ---
  SPOOLER_ERROR: { status: 502, message: 'The spooler refused the operation' },
  IPP_ERROR: { status: 502, message: 'IPP request failed' },
  IPP_MALFORMED: { status: 502, message: 'The IPP message is malformed' },
  SPOOLER_UNAVAILABLE: { status: 503, message: 'The spooler is not reachable' },
  SPOOLER_UNAUTHORIZED: { status: 502, message: 'The spooler refused our credentials' },
  // --- print decisions: reason codes of a DENY (403 when reported over HTTP) ---
  USER_DISABLED: { status: 403, message: 'Your user account is disabled' },
  PRINTER_DISABLED: { status: 403, message: 'This printer is disabled' },
  PRINTER_ACCESS_DENIED: { status: 403, message: 'You are not allowed to print on this printer' },
  ACCOUNT_ACCESS_DENIED: { status: 403, message: 'You are not allowed to charge this account' },
  MAX_PAGES_EXCEEDED: { status: 403, message: 'The job has more pages than allowed' },
  MAX_COST_EXCEEDED: { status: 403, message: 'The job costs more than allowed' },
  MAX_COPIES_EXCEEDED: { status: 403, message: 'The job has more copies than allowed' },
  COLOR_NOT_ALLOWED: { status: 403, message: 'Colour printing is not allowed here' },
  DOCUMENT_NAME_DENIED: { status: 403, message: 'Documents with this name may not be printed' },
  DUPLICATE_JOB: { status: 403, message: 'The same job was printed moments ago' },
  UNKNOWN_PAGES: { status: 403, message: 'The number of pages could not be determined' },
  INVALID_JOB: { status: 400, message: 'The job attributes are invalid' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** An error with a stable catalogue code. `detail` is extra machine-readable context. */
export class PrintgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'PrintgateError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = detail;
  }

  toJSON(): { code: ErrorCode; message: string; status: number; detail?: Record<string, unknown> } {
    return { code: this.code, message: this.message, status: this.status, ...(this.detail ? { detail: this.detail } : {}) };
  }
}
