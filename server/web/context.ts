// What every web route module gets: the service, the web store, log-in, answers to held
// jobs, the card-guessing limiter, and the money format. Built once by plugin.ts.

import type { FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import { formatMoney, parseMoney, type Minor } from '../../shared/money.ts';
import type { PrintService } from '../service/types.ts';
import { hashPassword, passwordProblem } from './password.ts';
import type { Answers } from './answers.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { LoginService } from './session.ts';
import type { WebStore } from './store.ts';

export interface WebContext {
  readonly service: PrintService;
  readonly store: WebStore;
  readonly logins: { user: LoginService; admin: LoginService };
  readonly answers: Answers;
  readonly cardLimiter: RateLimiter;
  /** How often the live client re-reads the state (ms). */
  readonly livePollMs: number;
}

export interface MoneyFormat {
  currency: string;
  exponent: number;
  fmt(minor: Minor): string;
  parse(text: string, what: string): Minor;
}

export async function moneyFormat(service: PrintService): Promise<MoneyFormat> {
  const { currency, exponent } = await service.moneyFormat();
  return {
    currency, exponent,
    fmt: (minor) => formatMoney(minor, exponent),
    parse: (text, what) => {
      try {
        return parseMoney(text.trim(), exponent);
      } catch {
        throw new PrintgateError('INVALID_AMOUNT', `${what}: "${text}" is not an amount`);
      }
    },
  };
}

/** The logged-in user's name (routes declared 'user'). */
export function userOf(request: FastifyRequest): string {
  const c = request.caller;
  if (!c || c.kind !== 'user') throw new PrintgateError('UNAUTHENTICATED');
  return c.user;
}

/** The acting administrator's name for the ledger (routes declared 'admin'). */
export function adminOf(request: FastifyRequest): string {
  const c = request.caller;
  if (!c || c.kind !== 'admin') throw new PrintgateError('UNAUTHENTICATED');
  return c.via === 'session' ? `admin:${c.name}` : 'admin';
}

/** A form field as a string ('' when missing); forms only carry strings. */
export function field(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | null | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** The CSRF token of the request's session, for the forms of a page. */
export function csrfOf(request: FastifyRequest): string {
  return request.webSession?.csrf ?? '';
}

/** Set a password (users must exist) and end that person's other sessions. */
export async function setPassword(ctx: WebContext, kind: 'user' | 'admin', name: string, password: string): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new PrintgateError('VALIDATION_FAILED', problem);
  if (kind === 'user') await ctx.service.getUser(name);
  await ctx.store.setPassword(kind, name, await hashPassword(password));
  await ctx.store.deleteSessionsOf(kind, name);
}
