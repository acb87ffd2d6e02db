// Quota period keys in a time zone, the accumulation cap, and every state/event pair of
// the job lifecycle table.
import t from 'tap';
import { isoWeek, isValidTimeZone, periodKey, quotaCredit } from '../../../server/domain/quota.ts';
import { isFinal, LIFECYCLE_STATES, transition, type JobEventName } from '../../../server/domain/lifecycle.ts';

t.test('period keys', async (t) => {
  const ms = Date.UTC(2026, 10, 20, 23, 30); // 2026-11-20 23:30 UTC, a Friday
  t.equal(periodKey('daily', ms, 'UTC'), '2026-11-20');
  t.equal(periodKey('daily', ms, 'Europe/Berlin'), '2026-11-21', 'already tomorrow in Berlin');
  t.equal(periodKey('daily', ms, 'America/New_York'), '2026-11-20');
  t.equal(periodKey('monthly', ms, 'UTC'), '2026-11');
  t.equal(periodKey('monthly', Date.UTC(2026, 11, 31, 23, 30), 'Europe/Berlin'), '2027-01');
  t.equal(periodKey('weekly', ms, 'UTC'), '2026-W47');
  t.equal(periodKey('weekly', Date.UTC(2026, 10, 22, 23, 30), 'UTC'), '2026-W47', 'Sunday still the same week');
  t.equal(periodKey('weekly', Date.UTC(2026, 10, 22, 23, 30), 'Europe/Berlin'), '2026-W48', 'Monday in Berlin');
});

t.test('ISO weeks at year ends', async (t) => {
  t.same(isoWeek(2021, 1, 1), { year: 2020, week: 53 });
  t.same(isoWeek(2024, 12, 30), { year: 2025, week: 1 });
  t.same(isoWeek(2026, 1, 1), { year: 2026, week: 1 });
  t.same(isoWeek(2027, 1, 3), { year: 2026, week: 53 });
});

t.test('time zones are validated', async (t) => {
  t.ok(isValidTimeZone('Europe/Paris'));
  t.notOk(isValidTimeZone('Mars/Olympus'));
});

t.test('quota credit is capped by the maximum accumulation', async (t) => {
  t.equal(quotaCredit(500, 2000, 0), 500);
  t.equal(quotaCredit(500, 2000, 1800), 200);
  t.equal(quotaCredit(500, 2000, 2000), 0);
  t.equal(quotaCredit(500, 2000, 5000), 0, 'never negative');
  t.equal(quotaCredit(500, 2000, -300), 500, 'a negative balance gets the full amount');
  t.equal(quotaCredit(0, 2000, 0), 0);
});

t.test('lifecycle: every state/event pair', async (t) => {
  const events: JobEventName[] = ['allow', 'deny', 'hold', 'replay', 'release', 'printed', 'cancel', 'fail', 'timeout'];
  const expected: Record<string, Record<string, string>> = {
    new: { allow: 'authorized', deny: 'denied', hold: 'held', replay: 'printed' },
    held: { release: 'authorized', cancel: 'cancelled', timeout: 'timed-out', fail: 'failed' },
    authorized: { printed: 'printed', cancel: 'cancelled', fail: 'failed' },
  };
  for (const s of LIFECYCLE_STATES) {
    for (const e of events) {
      t.equal(transition(s, e), expected[s]?.[e] ?? null, `${s} --${e}-->`);
    }
  }
  for (const s of ['printed', 'cancelled', 'failed', 'denied', 'timed-out'] as const) t.ok(isFinal(s), `${s} is final`);
  t.notOk(isFinal('held'));
  t.notOk(isFinal('authorized'));
});
