// Tests that need a system part (CUPS, PostgreSQL, Chromium, Ghostscript...) skip with a
// visible reason on a laptop that lacks it, but under CI=true a missing part is a failure.
// Use: t.test('name', { skip: needs('ghostscript', hasCommand('gs')) }, async (t) => ...)

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** false when available; the skip reason otherwise; throws under CI. */
export function needs(what: string, available: boolean): false | string {
  if (available) return false;
  if (IN_CI) throw new Error(`${what} is required under CI=true but is not available on this machine`);
  return `${what} is not installed here (skipped; CI installs it)`;
}

const commandCache = new Map<string, boolean>();

/** Whether an executable is on PATH (or an absolute path exists). */
export function hasCommand(cmd: string): boolean {
  let known = commandCache.get(cmd);
  if (known === undefined) {
    known = cmd.startsWith('/') ? existsSync(cmd) : spawnSync('sh', ['-c', `command -v "${cmd}"`], { stdio: 'ignore' }).status === 0;
    commandCache.set(cmd, known);
  }
  return known;
}
