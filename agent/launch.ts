// Start-up settings of the agent process that only take effect when a process starts: V8
// heap sizing, the number of V8 platform threads and glibc's malloc arenas. `printgate
// agent` replaces its own process image once, early (process.execve: same PID, so systemd,
// `ps` and the tests' kill -9 see one process), with these added; the marker variable
// stops a second replacement. Why each one, measured on the gate bench's idle agent (VmRSS
// after 10 jobs; docs/agent.md "Idle cost"):
//   --max-semi-space-size=1   the young generation stays at 2 x 1 MB instead of 2 x 4 MB
//                             (the analysis' burst of short-lived objects is collected a
//                             little more often; no measurable latency effect)
//   --v8-pool-size=1          one V8 worker thread (concurrent GC marking, background
//                             compilation) instead of one per core: fewer thread stacks and
//                             malloc arenas
//   MALLOC_ARENA_MAX=2        glibc gives every thread that allocates its own 64 MB arena
//                             and keeps their freed pages; two arenas bound that
// Off with PRINTGATE_AGENT_RELAUNCH=0 (for measuring the difference).

const MARKER = 'PRINTGATE_AGENT_RELAUNCH';

export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--v8-pool-size=1'];
export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** What the replacement would run, or null when there is nothing to do or it cannot be done. */
export function relaunchCommand(
  proc: Pick<NodeJS.Process, 'execPath' | 'execArgv' | 'argv' | 'env' | 'platform'> & { execve?: unknown },
): { file: string; args: string[]; env: NodeJS.ProcessEnv } | null {
  if (proc.platform !== 'linux' || typeof proc.execve !== 'function') return null;
  if (proc.env[MARKER] !== undefined) return null;
  // Flags the user already gave (NODE_OPTIONS or the command line) win: add only the others.
  const given = [...proc.execArgv, ...(proc.env.NODE_OPTIONS ?? '').split(/\s+/)].map((f) => f.split('=')[0]);
  const flags = AGENT_NODE_FLAGS.filter((f) => !given.includes(f.split('=')[0]!));
  const env: NodeJS.ProcessEnv = { ...AGENT_ENV, ...proc.env, [MARKER]: '1' };
  // Our flags go first: whatever follows the node options (a script path, or -e and its
  // code) is passed on unchanged, and so are the command's own arguments.
  return { file: proc.execPath, args: [proc.execPath, ...flags, ...proc.execArgv, ...proc.argv.slice(1)], env };
}

/** Replace this process with one started with AGENT_NODE_FLAGS and AGENT_ENV; returns if it does not. */
export function relaunchForIdleMemory(): void {
  const cmd = relaunchCommand(process);
  if (!cmd) return;
  process.execve!(cmd.file, cmd.args, cmd.env);
}
