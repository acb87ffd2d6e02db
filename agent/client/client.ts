// The agent's client of the application server's agent API (docs/api.md): register,
// heartbeat, authorize, complete and the long-poll events channel, as protobuf over
// HTTP(S) with the agent's bearer token.
//
// Failure handling, in one place:
// - a 2xx answer is decoded (protobuf, or JSON if a debugging proxy rewrote it);
// - a non-2xx answer becomes a PrintgateError with the server's ErrorBody code;
//   429 and 5xx are retried first, other statuses are final at once;
// - a network failure (refused, reset, timed out) is retried; when the retries are used
//   up it becomes SERVER_UNREACHABLE, which is what the print provider's failure modes
//   react to (see isServerUnavailable);
// - an untrusted TLS certificate is SERVER_UNREACHABLE at once, with a hint about --ca;
// - the caller's AbortSignal ends the call (and any wait between attempts) immediately,
//   rejecting with the signal's reason.
// Retrying is safe because every call is repeatable: authorize and complete must carry an
// idempotency key (the client refuses them without one), see idempotency.ts.

import { setTimeout as sleep } from 'node:timers/promises';
import { PrintgateError } from '../../shared/errors.ts';
import { errorFromParts, jsonErrorParts } from './answer-error.ts';
import { readCaFile } from './options.ts';
import { AGENT_API_PREFIX, CONTENT_TYPE_PROTOBUF, pb, type MessageType, type printgate } from '../../shared/protocol/index.ts';
import { backoffDelay, isRetryableStatus, isTlsCertificateError, resolveRetryPolicy, type RetryPolicy } from './retry.ts';
import { Transport, type HttpAnswer } from './transport.ts';

type v1 = typeof printgate.v1;
export type RegisterRequest = printgate.v1.RegisterRequest.$Properties;
export type RegisterResponse = InstanceType<v1['RegisterResponse']>;
export type HeartbeatRequest = printgate.v1.HeartbeatRequest.$Properties;
export type HeartbeatResponse = InstanceType<v1['HeartbeatResponse']>;
export type AuthorizeRequest = printgate.v1.AuthorizeRequest.$Properties;
export type AuthorizeResponse = InstanceType<v1['AuthorizeResponse']>;
export type CompleteRequest = printgate.v1.CompleteRequest.$Properties;
export type CompleteResponse = InstanceType<v1['CompleteResponse']>;
export type JobEvent = InstanceType<v1['JobEvent']>;
/** Decoded answers hold JobEvent instances (every field set), not bare property bags. */
export type EventsResponse = Omit<InstanceType<v1['EventsResponse']>, 'events'> & { events: JobEvent[] };

/** The most the server holds a long-poll open (docs/api.md). */
export const MAX_EVENTS_WAIT_MS = 30_000;

export interface ServerClientOptions {
  /** The server's base URL, e.g. https://print.example.org:8631/ */
  server: string | URL;
  /** The agent token made by `printgate cmd add-agent`. */
  token: string;
  /** Path of a PEM file with the certificate(s) to trust for an https server. */
  ca?: string;
  /** Deadline of one attempt in milliseconds (events: added to the long-poll wait). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Told about every retry, for the agent's log. */
  onRetry?: (info: RetryInfo) => void;
  userAgent?: string;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

export interface RetryInfo {
  method: string;
  /** Number of the retry about to happen (1 = first). */
  retry: number;
  delayMs: number;
  error: Error;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

export interface ServerClient {
  readonly server: URL;
  register(request: RegisterRequest, options?: CallOptions): Promise<RegisterResponse>;
  heartbeat(request: HeartbeatRequest, options?: CallOptions): Promise<HeartbeatResponse>;
  authorize(request: AuthorizeRequest, options?: CallOptions): Promise<AuthorizeResponse>;
  complete(request: CompleteRequest, options?: CallOptions): Promise<CompleteResponse>;
  /** Long-poll for the fate of held jobs: events after `afterSeq`, waiting up to `waitMs`. */
  events(afterSeq: number, waitMs: number, signal?: AbortSignal): Promise<EventsResponse>;
  /** Close kept-alive connections. Idempotent. */
  close(): void;
}

/** True when the error means "the server could not answer": the failure mode applies. */
export function isServerUnavailable(err: unknown): boolean {
  return err instanceof PrintgateError && (err.code === 'SERVER_UNREACHABLE' || err.status >= 500);
}

/** Turn a non-2xx answer into a PrintgateError carrying the server's code and message. */
export function errorFromAnswer(answer: HttpAnswer): PrintgateError {
  let parts = { code: '', message: '' };
  if (answer.contentType.includes('protobuf')) {
    try {
      const body = pb.ErrorBody.decode(answer.body);
      parts = { code: body.code, message: body.message };
    } catch {
      // An undecodable error body still has its status.
    }
  } else if (answer.contentType.includes('json')) {
    parts = jsonErrorParts(answer.body);
  }
  return errorFromParts(answer.status, parts.code, parts.message);
}

function decodeAnswer<T>(type: MessageType<T>, answer: HttpAnswer, method: string): T {
  try {
    if (answer.contentType.includes('json')) {
      return type.fromObject(JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>);
    }
    return type.decode(answer.body);
  } catch (err) {
    throw new PrintgateError('INVALID_BODY', `the server's answer to ${method} could not be decoded`, { httpStatus: answer.status }, { cause: err });
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** Trailing-slash base so that a server URL with a path prefix keeps it. */
function baseUrl(server: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(server));
  } catch {
    throw new PrintgateError('INVALID_ARGUMENT', `not a URL: "${String(server)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PrintgateError('INVALID_ARGUMENT', `the server URL must be http:// or https://, not "${url.protocol}"`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

export function createServerClient(options: ServerClientOptions): ServerClient {
  const server = baseUrl(options.server);
  const token = options.token.trim();
  if (token === '' || /[\r\n]/.test(token)) throw new PrintgateError('INVALID_ARGUMENT', 'the agent token is empty or malformed');
  const ca = options.ca !== undefined ? readCaFile(options.ca) : undefined;
  const defaultTimeout = options.timeoutMs ?? 10_000;
  const defaultRetry = resolveRetryPolicy(options.retry);
  const random = options.random ?? Math.random;
  const transport = new Transport({ userAgent: options.userAgent ?? 'printgate-agent', ...(ca ? { ca } : {}) });
  const headers = {
    'Content-Type': CONTENT_TYPE_PROTOBUF,
    Accept: CONTENT_TYPE_PROTOBUF,
    Authorization: `Bearer ${token}`,
  };

  /** One call with retries; see the header comment for the rules. */
  async function call<Res>(
    method: string,
    requestType: MessageType<unknown>,
    responseType: MessageType<Res>,
    request: Record<string, unknown>,
    call: CallOptions,
    timeoutMs: number,
  ): Promise<Res> {
    const url = new URL(`${AGENT_API_PREFIX.slice(1)}/${method}`, server);
    const checked = requestType.verify(request);
    if (checked) throw new PrintgateError('INVALID_ARGUMENT', `${method}: ${checked}`);
    const body = requestType.encode(requestType.fromObject(request)).finish();
    const policy = call.retry ? resolveRetryPolicy({ ...defaultRetry, ...call.retry }) : defaultRetry;
    const signal = call.signal;

    for (let attempt = 0; ; attempt++) {
      let failure: Error;
      let answer: HttpAnswer | undefined;
      try {
        answer = await transport.post(url, body, { headers, timeoutMs, ...(signal ? { signal } : {}) });
      } catch (err) {
        if (signal?.aborted) throw abortReason(signal);
        const e = err as Error;
        if (isTlsCertificateError(e)) {
          throw new PrintgateError('SERVER_UNREACHABLE',
            `${server.origin}: the server's TLS certificate is not trusted (${(e as NodeJS.ErrnoException).code}); give its CA with --ca FILE`,
            { tls: (e as NodeJS.ErrnoException).code }, { cause: e });
        }
        if (attempt >= policy.retries) {
          throw new PrintgateError('SERVER_UNREACHABLE', `${server.origin} is not reachable: ${e.message} (${attempt + 1} attempts)`,
            { attempts: attempt + 1, cause: (e as NodeJS.ErrnoException).code ?? e.name }, { cause: e });
        }
        failure = e;
      }
      if (answer) {
        if (answer.status >= 200 && answer.status < 300) return decodeAnswer(responseType, answer, method);
        const err = errorFromAnswer(answer);
        if (!isRetryableStatus(answer.status) || attempt >= policy.retries) throw err;
        failure = err;
      }
      const delayMs = backoffDelay(policy, attempt + 1, random);
      options.onRetry?.({ method, retry: attempt + 1, delayMs, error: failure! });
      try {
        await sleep(delayMs, undefined, signal ? { signal } : undefined);
      } catch {
        throw abortReason(signal!);
      }
    }
  }

  function requireKey(method: string, key: string | null | undefined): void {
    if (typeof key !== 'string' || key.trim() === '') {
      throw new PrintgateError('INVALID_ARGUMENT', `${method} needs an idempotency key (see jobIdempotencyKey)`);
    }
  }

  const timeoutOf = (o: CallOptions | undefined) => o?.timeoutMs ?? defaultTimeout;
  const props = (value: object) => value as Record<string, unknown>;

  return {
    server,
    register: (request, o = {}) => call<RegisterResponse>('register', pb.RegisterRequest, pb.RegisterResponse, props(request), o, timeoutOf(o)),
    heartbeat: (request, o = {}) => call<HeartbeatResponse>('heartbeat', pb.HeartbeatRequest, pb.HeartbeatResponse, props(request), o, timeoutOf(o)),
    authorize: async (request, o = {}) => {
      requireKey('authorize', request.idempotencyKey);
      return call<AuthorizeResponse>('authorize', pb.AuthorizeRequest, pb.AuthorizeResponse, props(request), o, timeoutOf(o));
    },
    complete: async (request, o = {}) => {
      requireKey('complete', request.idempotencyKey);
      return call<CompleteResponse>('complete', pb.CompleteRequest, pb.CompleteResponse, props(request), o, timeoutOf(o));
    },
    events: (afterSeq, waitMs, signal) => {
      const wait = Math.max(0, Math.min(MAX_EVENTS_WAIT_MS, Math.floor(waitMs)));
      const o: CallOptions = signal ? { signal } : {};
      return call<EventsResponse>('events', pb.EventsRequest, pb.EventsResponse as unknown as MessageType<EventsResponse>, { afterSeq, waitMs: wait }, o, wait + defaultTimeout);
    },
    close: () => transport.close(),
  };
}
