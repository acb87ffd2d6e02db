// The agent API: POST /api/agent/v1/{register,heartbeat,authorize,complete,events}.
// Each method is one row of METHODS: its request and response message types and a call
// that turns the decoded protobuf message into the service's input and the service's
// answer back into the protocol's shape (enums by name <-> number, `...Minor` <-> minor
// units fields). Only agents may call these routes (auth.ts); the caller's identity comes
// from its token, never from the body.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import { pb, type MessageType, type printgate } from '../../shared/protocol/index.ts';
import type * as S from '../service/types.ts';
import { agentErrorHandler, decodeBody, installAgentParsers, sendError, sendMessage } from './agent-codec.ts';
import { NOT_FOUND_ANSWER } from './errors.ts';
import type { AppContext } from './app.ts';

type P = typeof printgate.v1;

/** Longest long-poll the server holds open (the protocol's documented maximum). */
export const MAX_WAIT_MS = 30_000;
export const AGENT_BODY_LIMIT = 1024 * 1024;
/** Most queues one agent may declare, and most entries in an analysis list: a 1 MiB body
 *  could otherwise carry half a million empty entries. */
export const MAX_PRINTERS = 10_000;
export const MAX_LIST = 10_000;

function bounded<T>(list: T[] | null | undefined, max: number, what: string): T[] {
  const l = list ?? [];
  if (l.length > max) throw new PrintgateError('INVALID_ARGUMENT', `${what}: at most ${max} entries`);
  return l;
}

interface CallContext {
  readonly printgate: AppContext;
  readonly agent: S.AgentIdentity;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

interface Method<Req, Res> {
  readonly request: MessageType<Req>;
  readonly response: MessageType<Res>;
  call(ctx: CallContext, message: Req): Promise<Res>;
}

function method<Req, Res>(m: Method<Req, Res>): Method<unknown, unknown> {
  return m as unknown as Method<unknown, unknown>;
}

const asType = <T>(t: unknown): MessageType<T> => t as MessageType<T>;

function policy(p: S.PrinterPolicy): printgate.v1.PrinterPolicy.$Properties {
  return {
    printer: p.printer, queue: p.queue, failureMode: pb.FailureMode[p.failureMode], watermark: p.watermark,
    watermarkTemplate: p.watermarkTemplate, watermarkRequired: p.watermarkRequired, enabled: p.enabled,
  };
}

function jobAttributes(j: printgate.v1.JobAttributes.$Properties | null | undefined): S.JobAttributesInput {
  const a = j ?? pb.JobAttributes.create();
  return {
    queue: a.queue ?? '', spoolerJobId: a.spoolerJobId ?? '', user: a.user ?? '', host: a.host ?? '',
    title: a.title ?? '', documentFormat: a.documentFormat ?? '', copies: a.copies ?? 0, numberUp: a.numberUp ?? 0,
    pageRanges: a.pageRanges ?? '', sides: a.sides ?? '', colorMode: a.colorMode ?? '', media: a.media ?? '',
    sizeBytes: Number(a.sizeBytes ?? 0), submittedAtMs: Number(a.submittedAtMs ?? 0),
  };
}

function analysis(x: printgate.v1.Analysis.$Properties | null | undefined): S.AnalysisInput {
  const a = x ?? pb.Analysis.create();
  return {
    format: a.format ?? '', pagesKnown: a.pagesKnown ?? false, pages: a.pages ?? 0, colorKnown: a.colorKnown ?? false,
    colorPages: a.colorPages ?? 0, colorPageNumbers: a.colorPageNumbers ?? [], copies: a.copies ?? 0,
    duplex: a.duplex ?? false, media: bounded(a.media, MAX_LIST, 'analysis.media'), method: a.method ?? '',
    warnings: bounded(a.warnings, MAX_LIST, 'analysis.warnings'), recovered: a.recovered ?? false,
    mediaPages: bounded(a.mediaPages, MAX_LIST, 'analysis.media_pages').map((m) => ({ media: m.media ?? '', pages: m.pages ?? 0, colorPages: m.colorPages ?? 0 })),
  };
}

const OUTCOMES: Readonly<Record<number, S.Outcome>> = {
  [pb.Outcome.PRINTED]: 'PRINTED', [pb.Outcome.CANCELLED]: 'CANCELLED', [pb.Outcome.FAILED]: 'FAILED',
};

function jobEvent(e: S.JobEvent): printgate.v1.JobEvent.$Properties {
  return {
    seq: e.seq, jobId: e.jobId, queue: e.queue, spoolerJobId: e.spoolerJobId, kind: pb.JobEventKind[e.kind],
    account: e.account, cost: e.costMinor, message: e.message, forceGrayscale: e.forceGrayscale, forceDuplex: e.forceDuplex,
  };
}

/** The protocol's methods. */
export const METHODS: Readonly<Record<string, Method<unknown, unknown>>> = {
  register: method<printgate.v1.RegisterRequest, printgate.v1.RegisterResponse.$Properties>({
    request: asType(pb.RegisterRequest),
    response: asType(pb.RegisterResponse),
    async call({ printgate, agent }, m) {
      const r = await printgate.service.registerAgent(agent, {
        hostname: m.hostname, version: m.version, platform: m.platform,
        printers: bounded(m.printers, MAX_PRINTERS, 'printers').map((p) => ({ queue: p.queue ?? '', description: p.description ?? '', deviceUri: p.deviceUri ?? '' })),
      });
      return { agent: r.agent, serverTimeMs: r.serverTimeMs, printers: r.printers.map(policy), heartbeatIntervalMs: r.heartbeatIntervalMs };
    },
  }),
  heartbeat: method<printgate.v1.HeartbeatRequest, printgate.v1.HeartbeatResponse.$Properties>({
    request: asType(pb.HeartbeatRequest),
    response: asType(pb.HeartbeatResponse),
    async call({ printgate, agent }, m) {
      const r = await printgate.service.heartbeat(agent, { jobsWaiting: m.jobsWaiting, journalBacklog: m.journalBacklog });
      return { serverTimeMs: r.serverTimeMs, printers: r.printers.map(policy) };
    },
  }),
  authorize: method<printgate.v1.AuthorizeRequest, printgate.v1.AuthorizeResponse.$Properties>({
    request: asType(pb.AuthorizeRequest),
    response: asType(pb.AuthorizeResponse),
    async call({ printgate, agent }, m) {
      const input: S.AuthorizeInput = {
        idempotencyKey: m.idempotencyKey, job: jobAttributes(m.job), analysis: analysis(m.analysis),
        offlineReplay: m.offlineReplay, offlineAtMs: Number(m.offlineAtMs),
      };
      if (m.account !== '') input.account = m.account;
      const r = await printgate.service.authorize(agent, input);
      return {
        decision: pb.Decision[r.decision], jobId: r.jobId, reasonCode: r.reasonCode, message: r.message,
        forceGrayscale: r.forceGrayscale, forceDuplex: r.forceDuplex, cost: r.costMinor, account: r.account,
        currency: r.currency, holdKind: pb.HoldKind[r.holdKind], holdExpiresAtMs: r.holdExpiresAtMs,
        watermark: r.watermark, watermarkText: r.watermarkText, balanceAfter: r.balanceAfterMinor,
      };
    },
  }),
  complete: method<printgate.v1.CompleteRequest, printgate.v1.CompleteResponse.$Properties>({
    request: asType(pb.CompleteRequest),
    response: asType(pb.CompleteResponse),
    async call({ printgate, agent }, m) {
      const outcome = OUTCOMES[m.outcome];
      if (outcome === undefined) throw new PrintgateError('INVALID_ARGUMENT', 'outcome must be PRINTED, CANCELLED or FAILED');
      const r = await printgate.service.complete(agent, {
        idempotencyKey: m.idempotencyKey, jobId: m.jobId, outcome, impressionsPrinted: m.impressionsPrinted,
        finishedAtMs: Number(m.finishedAtMs), note: m.note,
      });
      return { jobId: r.jobId, cost: r.costMinor, balanceAfter: r.balanceAfterMinor, account: r.account };
    },
  }),
  events: method<printgate.v1.EventsRequest, printgate.v1.EventsResponse.$Properties>({
    request: asType(pb.EventsRequest),
    response: asType(pb.EventsResponse),
    async call({ printgate, agent, reply }, m) {
      const afterSeq = Number(m.afterSeq);
      if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new PrintgateError('INVALID_ARGUMENT', 'after_seq must be >= 0');
      const waitMs = Math.min(Math.max(m.waitMs, 0), MAX_WAIT_MS);
      // End the wait early when the agent hangs up or the server shuts down.
      const gone = new AbortController();
      const onClose = (): void => {
        if (!reply.raw.writableFinished) gone.abort();
      };
      reply.raw.once('close', onClose);
      try {
        const r = await printgate.service.pollEvents(agent, afterSeq, waitMs, AbortSignal.any([gone.signal, printgate.closing]));
        return { events: r.events.map(jobEvent), lastSeq: r.lastSeq };
      } finally {
        reply.raw.removeListener('close', onClose);
      }
    },
  }),
};

export const agentApi: FastifyPluginAsync = async (app) => {
  installAgentParsers(app, AGENT_BODY_LIMIT);
  app.setErrorHandler(agentErrorHandler);
  app.setNotFoundHandler((request, reply) => {
    void sendError(request, reply, NOT_FOUND_ANSWER);
  });

  for (const [name, m] of Object.entries(METHODS)) {
    app.post(`/${name}`, { config: { auth: 'agent' }, bodyLimit: AGENT_BODY_LIMIT }, async (request, reply) => {
      const caller = request.caller;
      if (caller?.kind !== 'agent') throw new PrintgateError('FORBIDDEN');
      const message = decodeBody(m.request, request.body);
      const answer = await m.call({ printgate: app.printgate, agent: caller.agent, request, reply }, message);
      return sendMessage(request, reply, m.response, answer);
    });
  }
};
