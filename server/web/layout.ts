// The page shell shared by user and admin pages (landmarks, skip link, navigation, one
// CSS file) and the small formatting helpers the pages use. Everything goes through the
// escaping `html` tag.

import type { FastifyReply } from 'fastify';
import { formatMoney, type Minor } from '../../shared/money.ts';
import { html, type Html } from './html.ts';

export interface Shell {
  title: string;
  /** 'user' or 'admin' navigation; none on log-in pages. */
  area: 'user' | 'admin';
  /** Who is logged in (shows the log-out button) with the session's CSRF token. */
  who?: { name: string; csrf: string };
  /** Path of the current page (marks the navigation link). */
  current?: string;
  /** Extra script (served from /static) for pages that need one. */
  script?: string;
}

const NAV = {
  user: [['/', 'Balance'], ['/jobs', 'Jobs'], ['/transactions', 'Transactions'], ['/cards', 'Top-up card'], ['/client', 'Live client'], ['/password', 'Password']],
  admin: [['/admin', 'Dashboard'], ['/admin/users', 'Users'], ['/admin/accounts', 'Groups & accounts'], ['/admin/printers', 'Printers'],
    ['/admin/jobs', 'Job log'], ['/admin/cards', 'Cards'], ['/admin/settings', 'Settings']],
} as const;

export function page(shell: Shell, body: Html | Html[]): Html {
  const nav = shell.who
    ? html`<nav aria-label="Main"><ul>${NAV[shell.area].map(([href, label]) =>
      html`<li><a href="${href}"${shell.current === href ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>
      <form method="post" action="${shell.area === 'admin' ? '/admin/logout' : '/logout'}" class="logout">
        <input type="hidden" name="_csrf" value="${shell.who.csrf}"><span>${shell.who.name}</span> <button type="submit">Log out</button>
      </form>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${shell.title} · printgate${shell.area === 'admin' ? ' admin' : ''}</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/style.css">${shell.script ? html`<script src="/static/${shell.script}" defer></script>` : ''}</head>
<body class="${shell.area}"><a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="${shell.area === 'admin' ? '/admin' : '/'}">printgate${shell.area === 'admin' ? ' admin' : ''}</a>${nav}</header>
<main id="main"><h1>${shell.title}</h1>${body}</main></body></html>`;
}

/** Pages load only our own script and style, cannot be framed (no clickjacking of the
 *  release buttons), post only to us, and leak no URLs to other sites. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function sendPage(reply: FastifyReply, markup: Html, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').headers(PAGE_HEADERS).send(markup.value);
}

export function money(minor: Minor, exponent: number): string {
  return formatMoney(minor, exponent);
}

/** "2026-11-20 23:17" in UTC: short and unambiguous. */
export function when(isoText: string | null): string {
  return isoText ? `${isoText.slice(0, 10)} ${isoText.slice(11, 16)}` : '';
}

export function notice(kind: 'ok' | 'error' | 'warn', text: string | undefined): Html | '' {
  return text ? html`<p class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>` : '';
}

export function hidden(name: string, value: string): Html {
  return html`<input type="hidden" name="${name}" value="${value}">`;
}
