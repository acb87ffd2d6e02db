// The server's scheduled work: both tasks run at start and on their intervals, with the
// injected clock, never overlapping, failures reported and survived, nothing after stop().
import t from 'tap';
import { Scheduler, type Timers } from '../../server/scheduler.ts';
import type { PrintService } from '../../server/service/types.ts';

function manualTimers() {
  const intervals = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  const timers: Timers = {
    setInterval: (fn, ms) => { intervals.set(next, { fn, ms }); return next++; },
    clearInterval: (h) => { intervals.delete(h as number); },
  };
  return { timers, intervals, fire: (ms: number) => { for (const i of intervals.values()) if (i.ms === ms) i.fn(); } };
}

function recorder(opts: { sweepDelay?: Promise<void>; failQuota?: boolean } = {}) {
  const calls: Array<[string, number | undefined]> = [];
  const service = {
    async sweepHeldJobs(now?: number) { calls.push(['sweep', now]); await opts.sweepDelay; return 0; },
    async runDueQuotas(now?: number) { calls.push(['quota', now]); if (opts.failQuota) throw new Error('db down'); return { applied: 0 }; },
  } as unknown as PrintService;
  return { service, calls };
}

t.test('runs both tasks at start and on each interval with the injected clock', async (t) => {
  const { timers, intervals, fire } = manualTimers();
  const { service, calls } = recorder();
  let now = 1000;
  const s = new Scheduler(service, { timers, clock: () => now, holdSweepEveryMs: 10, quotaEveryMs: 20 });
  s.start();
  await new Promise((r) => setImmediate(r));
  t.same(calls, [['sweep', 1000], ['quota', 1000]]);
  now = 2000;
  fire(10);
  await new Promise((r) => setImmediate(r));
  fire(20);
  await new Promise((r) => setImmediate(r));
  t.same(calls.slice(2), [['sweep', 2000], ['quota', 2000]]);
  await s.stop();
  t.equal(intervals.size, 0, 'stop clears the timers');
  await s.applyQuotas();
  t.equal(calls.length, 4, 'nothing runs after stop');
});

t.test('a slow sweep is not started twice; stop waits for it', async (t) => {
  const { timers, fire } = manualTimers();
  let release!: () => void;
  const { service, calls } = recorder({ sweepDelay: new Promise<void>((r) => { release = r; }) });
  const s = new Scheduler(service, { timers, holdSweepEveryMs: 10, quotaEveryMs: 20 });
  s.start();
  fire(10);
  fire(10);
  t.equal(calls.filter((c) => c[0] === 'sweep').length, 1);
  let stopped = false;
  const stopping = s.stop().then(() => { stopped = true; });
  await new Promise((r) => setImmediate(r));
  t.notOk(stopped, 'stop waits for the run in progress');
  release();
  await stopping;
  t.ok(stopped);
});

t.test('a failing run is reported and the schedule goes on', async (t) => {
  const { timers, fire } = manualTimers();
  const { service, calls } = recorder({ failQuota: true });
  const errors: string[] = [];
  const s = new Scheduler(service, { timers, holdSweepEveryMs: 10, quotaEveryMs: 20, onError: (what, err) => errors.push(`${what}: ${(err as Error).message}`) });
  s.start();
  await new Promise((r) => setImmediate(r));
  fire(20);
  await new Promise((r) => setImmediate(r));
  t.same(errors, ['quota run: db down', 'quota run: db down']);
  t.equal(calls.filter((c) => c[0] === 'quota').length, 2);
  await s.stop();
});
