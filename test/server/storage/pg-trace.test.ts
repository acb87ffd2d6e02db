// PRINTGATE_PG_TRACE (server/storage/pg-trace.ts): off without the variable; with a
// threshold, one line per slow statement or transaction splitting pool wait from
// execution, nothing for fast ones, and a summary with percentiles at close.
import t from 'tap';
import { PgTrace } from '../../../server/storage/pg-trace.ts';

function captureStderr(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return { lines, restore: () => { process.stderr.write = write; } };
}

t.test('off unless PRINTGATE_PG_TRACE names a threshold', async (t) => {
  const saved = process.env.PRINTGATE_PG_TRACE;
  t.teardown(() => { if (saved === undefined) delete process.env.PRINTGATE_PG_TRACE; else process.env.PRINTGATE_PG_TRACE = saved; });
  const pool = { totalCount: 0, idleCount: 0, waitingCount: 0 };
  delete process.env.PRINTGATE_PG_TRACE;
  t.equal(PgTrace.fromEnv(pool), null, 'unset');
  process.env.PRINTGATE_PG_TRACE = 'yes';
  t.equal(PgTrace.fromEnv(pool), null, 'not a number');
  process.env.PRINTGATE_PG_TRACE = '5';
  const trace = PgTrace.fromEnv(pool);
  t.ok(trace instanceof PgTrace, 'a number');
  trace?.close();
});

t.test('slow statements, pool waits and the summary', async (t) => {
  const pool = { totalCount: 16, idleCount: 0, waitingCount: 7 };
  const out = captureStderr();
  try {
    const trace = new PgTrace(5, pool);
    trace.record('stmt', 'SELECT   1\n  FROM x', 100, 100.5, 101.5);   // 1.5 ms: below the threshold
    trace.record('stmt', 'UPDATE accounts SET reserved = reserved + 1', 200, 230, 232);
    trace.record('tx', 'transaction', 300, 300, 309);
    trace.close();
  } finally {
    out.restore();
  }
  const lines = out.lines.join('').split('\n').filter((l) => l !== '');
  const slow = lines.filter((l) => /\t(stmt|tx)\t/.test(l));
  t.equal(slow.length, 2, 'only the two slow ones');
  t.match(slow[0], /^pg-trace\t\d+\tstmt\t32\.0\twait=30\.0\texec=2\.0\tpool=16\/0\/7\tUPDATE accounts SET reserved/, 'the pool wait apart from the execution');
  t.match(slow[1], /\ttx\t9\.0\twait=0\.0\texec=9\.0\t/);
  const summary = lines.find((l) => l.startsWith('pg-trace\tsummary'));
  t.match(summary, /statements=2\twait p50\/p99\/max=30\.00\/30\.00\/30\.00\texec p50\/p99\/max=2\.00\/2\.00\/2\.00\tloop delay/, 'percentiles over the statements');
});
