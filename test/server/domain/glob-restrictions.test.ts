// Document-name globs (linear, ReDoS-safe) and the combination/validation of restrictions.
import t from 'tap';
import { globMatch } from '../../../server/domain/glob.ts';
import { combineRestrictions, validateRestrictions } from '../../../server/domain/restrictions.ts';

t.test('globs', async (t) => {
  t.ok(globMatch('*.exe', 'setup.EXE'));
  t.ok(globMatch('secret*', 'Secret plans.pdf'));
  t.ok(globMatch('a?c', 'abc'));
  t.notOk(globMatch('a?c', 'ac'));
  t.ok(globMatch('*', ''));
  t.notOk(globMatch('', 'x'));
  t.ok(globMatch('*a*b*c*', 'xxaxxbxxcxx'));
  t.notOk(globMatch('*a*b*c*', 'xxaxxcxxbxx'));
  t.ok(globMatch('**x', 'x'));
});

t.test('a hostile pattern finishes quickly', async (t) => {
  const start = process.hrtime.bigint();
  const pattern = '*a'.repeat(90) + 'b';
  t.notOk(globMatch(pattern, 'a'.repeat(1000)));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.ok(ms < 200, `took ${ms} ms`);
});

t.test('strictest restriction wins', async (t) => {
  const r = combineRestrictions(
    { maxPages: 100, color: 'grayscale', deniedTitles: ['*.exe'], allowedGroups: ['staff'], duplicateWindowSeconds: 10 },
    [{ maxPages: 50, maxCostMinor: 500 }, { color: 'deny', duplex: 'force', deniedTitles: ['x*'], duplicateWindowSeconds: 60 }, { maxPages: 80, color: 'allow' }],
  );
  t.equal(r.maxPages, 50);
  t.equal(r.maxCostMinor, 500);
  t.equal(r.maxCopies, null);
  t.equal(r.color, 'deny');
  t.equal(r.duplex, 'force');
  t.same(r.deniedTitles, ['*.exe', 'x*']);
  t.equal(r.duplicateWindowSeconds, 60);
  t.same(r.allowedGroups, ['staff']);
  t.equal(r.unknownPages, null);
  const none = combineRestrictions({}, []);
  t.same(none, { maxPages: null, maxCostMinor: null, maxCopies: null, color: 'allow', duplex: 'allow', deniedTitles: [], duplicateWindowSeconds: 0, allowedGroups: [], unknownPages: null });
});

t.test('restrictions are validated', async (t) => {
  t.same(validateRestrictions({ maxPages: 10, color: 'deny', unknownPages: { action: 'charge', amountMinor: 50 } }, 'printer'),
    { maxPages: 10, color: 'deny', unknownPages: { action: 'charge', amountMinor: 50 } });
  for (const bad of [
    { maxPages: -1 }, { maxPages: 1.5 }, { maxCopies: 100000 }, { color: 'blue' }, { duplex: 'maybe' },
    { deniedTitles: 'x' }, { deniedTitles: [''] }, { deniedTitles: ['x'.repeat(201)] }, { nope: 1 },
    { unknownPages: { action: 'charge', amountMinor: -5 } }, { unknownPages: { action: 'other' } },
  ]) {
    t.throws(() => validateRestrictions(bad, 'printer'), `${JSON.stringify(bad).slice(0, 60)} refused`);
  }
  t.throws(() => validateRestrictions({ allowedGroups: ['a'] }, 'group'), { code: 'VALIDATION_FAILED' });
  t.throws(() => validateRestrictions({ maxCostMinor: -1 }, 'group'), { code: 'VALIDATION_FAILED' });
  t.throws(() => validateRestrictions([], 'group'), { code: 'VALIDATION_FAILED' });
});
