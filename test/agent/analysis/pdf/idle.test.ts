// The pools kept between documents are emptied once nothing has been handed back for a
// while (an idle agent holds no analysis buffers), and not before.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { idleDrop } from '../../../../agent/analysis/pdf/idle.ts';

t.test('the pool is dropped after the idle time, each use restarting the count', async (t) => {
  let drops = 0;
  const later = idleDrop(() => { drops++; }, 200);
  later();
  await sleep(120);
  later(); // another document handed buffers back: the count starts again
  await sleep(120);
  t.equal(drops, 0, 'not while documents keep coming');
  await sleep(200);
  t.equal(drops, 1, 'dropped once idle');
  later();
  await sleep(300);
  t.equal(drops, 2, 'and again after the next run of documents');
});

t.test('the timer does not keep the process alive', async (t) => {
  const later = idleDrop(() => {}, 60_000);
  later();
  t.pass('the test ends without waiting a minute');
});
