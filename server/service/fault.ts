// Fault injection, FOR CRASH TESTS ONLY: with PRINTGATE_FAULT=<point> in its environment,
// the server process kills itself with SIGKILL (no clean-up, no reply, exactly like
// kill -9) when it reaches that point, so that a test can prove what survives a crash at
// the worst moment. Unset (always, outside tests) it does nothing. Points:
// - before-admin-commit: an idempotent admin request has done all its writes (effects and
//   stored answer) in its transaction, which has not committed.
// - after-admin-commit: an idempotent admin request's transaction (its effects and its
//   stored answer) has committed, and the reply has not been sent.

export type FaultPoint = 'before-admin-commit' | 'after-admin-commit';

// Read once at start: the variable is set on the process that a test spawns.
const FAULT = process.env.PRINTGATE_FAULT ?? '';

export function faultPoint(point: FaultPoint): void {
  if (FAULT === point) process.kill(process.pid, 'SIGKILL');
}
