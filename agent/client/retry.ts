// Retry policy of the agent's server client: which failures are worth another attempt and
// how long to wait before it. Every agent call is safe to repeat (authorize and complete
// carry the caller's idempotency key; register, heartbeat and events are naturally
// repeatable), so the only question is whether the failure could go away by itself.
//
// Delays grow exponentially and are fully jittered (a random delay between 0 and the
// exponential cap), so that a fleet of agents reconnecting after a server restart does not
// knock on the door in lock step.

export interface RetryPolicy {
  /** Extra attempts after the first one (0 = no retry). */
  retries: number;
  /** Cap of the first retry's delay, in milliseconds; doubled on each further retry. */
  baseDelayMs: number;
  /** Largest delay between two attempts, in milliseconds. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/** Fill in a partial policy and check it: negative or non-integer counts are refused. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...(partial ?? {}) };
  if (!Number.isInteger(policy.retries) || policy.retries < 0 || policy.retries > 100) {
    throw new RangeError('retry.retries must be an integer between 0 and 100');
  }
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new RangeError('retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs');
  }
  return policy;
}

/**
 * Delay before retry number `retry` (1 = the first retry): uniformly random in
 * [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))]. `random` is injectable for tests.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry - 1, 30));
  return Math.floor(random() * cap);
}

/** HTTP statuses that may succeed when repeated: overload and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/**
 * TLS verification failures: repeating the call cannot fix an untrusted certificate, so
 * these fail at once (with a hint about --ca) instead of after the whole retry budget.
 */
const TLS_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

export function isTlsCertificateError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && TLS_CERT_CODES.has(code);
}
