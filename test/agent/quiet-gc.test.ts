// The collection after a burst of jobs (agent/quiet-gc.ts): once after a quiet period,
// every N events in a long run, never without activity, never after close; and exposeGc
// gives a working gc() without --expose-gc on the command line.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { QuietCollector, exposeGc } from '../../agent/quiet-gc.ts';

t.test('one collection after activity goes quiet, none while idle', async (t) => {
  let calls = 0;
  const q = new QuietCollector({ gc: () => { calls++; }, quietMs: 30, everyEvents: 100 });
  await sleep(80);
  t.equal(calls, 0, 'no activity, no collection');
  q.touch(); q.touch(); q.touch();
  await sleep(10);
  t.equal(calls, 0, 'not while jobs keep coming');
  await sleep(80);
  t.equal(calls, 1, 'once after the quiet period');
  await sleep(80);
  t.equal(calls, 1, 'and not again');
  q.close();
});

t.test('a long run of events collects every everyEvents', async (t) => {
  let calls = 0;
  const q = new QuietCollector({ gc: () => { calls++; }, quietMs: 10_000, everyEvents: 5 });
  for (let i = 0; i < 12; i++) { q.touch(); await sleep(1); }
  await sleep(5);
  t.equal(calls, 2);
  q.close();
});

t.test('close cancels a pending collection; no gc is a no-op', async (t) => {
  let calls = 0;
  const q = new QuietCollector({ gc: () => { calls++; }, quietMs: 20 });
  q.touch();
  q.close();
  await sleep(60);
  t.equal(calls, 0);
  const none = new QuietCollector({ gc: undefined, quietMs: 1 });
  none.touch();
  await sleep(10);
  t.equal(none.collections, 0);
});

t.test('exposeGc returns a gc that collects', async (t) => {
  const gc = exposeGc();
  t.type(gc, 'function');
  let ref: WeakRef<object> | undefined;
  (() => { ref = new WeakRef({ big: new Array(1000).fill(1) }); })();
  await sleep(0);
  gc!();
  t.equal(ref!.deref(), undefined, 'an unreachable object is gone after gc()');
});
