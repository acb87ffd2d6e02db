// Test helper: run the real `printgate server` as a child process on 127.0.0.1 (port 0,
// read back from its banner) with a temporary data directory and a known admin token,
// wait until it answers /healthz, and stop it (SIGTERM, then SIGKILL) when the test
// ends. Also runs `printgate` commands.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'printgate.js');
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `printgate ARGS` (Node 24, the checkout's sources) and collect its output. */
export function printgate(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, PRINTGATE_SERVER: undefined, PRINTGATE_DATA: undefined, PRINTGATE_AGENT_TOKEN: undefined, ...env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr });
    });
  });
}

export interface RunningServer {
  url: string;
  dataDir: string;
  /** Environment for `printgate cmd` against this server. */
  env: Record<string, string>;
  output(): string;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export async function startServer(t: Test, extraArgs: string[] = []): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pg-e2e-'));
  // Port 0: the server picks a free port and says which in its banner.
  const child: ChildProcess = spawn(process.execPath, [BIN, 'server', '--data', dataDir, '--host', '127.0.0.1', '--port', '0', ...extraArgs], {
    env: { ...process.env, PRINTGATE_ADMIN_TOKEN: ADMIN_TOKEN, PRINTGATE_DB: undefined, PRINTGATE_PORT: undefined, PRINTGATE_HOST: undefined } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  let exited = false;
  const exit = new Promise<void>((r) => child.on('exit', () => { exited = true; r(); }));

  t.teardown(async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const deadline = Date.now() + 30_000;
  let url = '';
  for (;;) {
    const m = /listening on (https?:\/\/\S+)/.exec(output);
    if (m) {
      url = m[1]!.replace(/\/$/, '');
      break;
    }
    if (exited) throw new Error(`printgate server exited at start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`printgate server printed no address within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  while (!(await healthy(url))) {
    if (exited) throw new Error(`printgate server exited at start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`printgate server did not answer /healthz within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, dataDir, env: { PRINTGATE_ADMIN_TOKEN: ADMIN_TOKEN, PRINTGATE_SERVER: url }, output: () => output };
}

/**
 * `printgate cmd` against a running server: `cmd(...)` returns the whole result; `ok(...)`
 * asserts exit 0 (with stderr in the message) and returns standard output.
 */
export function cmdRunner(t: Test, server: RunningServer) {
  const cmd = (...args: string[]) => printgate(['cmd', ...args], server.env);
  const ok = async (...args: string[]) => {
    const r = await cmd(...args);
    t.equal(r.code, 0, `cmd ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return { cmd, ok };
}
