// requestHash (service/util.ts) is stored with every authorize, complete and admin call
// and compared on retries, so its output must never change: these digests were produced by
// the implementation before the fast path for scalars and keys, and pin it (key order,
// undefined members left out, -0, non-finite numbers, escapes, non-ASCII, nesting).
import t from 'tap';
import { requestHash } from '../../../server/service/util.ts';

const PINNED: Array<[string, unknown, string]> = [
  ['an agent authorize input',
    { idempotencyKey: 'a5-1234', job: { queue: 'q', user: 'u17', title: 'report "Q3"\n\u00e9\u{1F600}', copies: 1, sizeBytes: 0 },
      analysis: { pagesKnown: true, pages: 3, colorPageNumbers: [2, 5], media: ['iso_a4_210x297mm'], warnings: [], mediaPages: [{ media: 'a4', pages: 3, colorPages: 0 }] },
      offlineReplay: false, offlineAtMs: 0, account: undefined },
    '296ea68e307513de89df3cab0699b7dd026ecb376cfe676c80858eb64cf2d449'],
  ['edge values',
    { b: -0, a: 1e21, c: NaN, d: Infinity, e: null, f: [undefined, null, 1.5, -2], g: {}, h: [], zz: { y: true, x: false }, 'é': 'x', Z: 'upper', _: '_' },
    '759e5e53dd6067561db5d869702aec9e9f573292481b4e77956401d349493796'],
  ['an admin request', { method: 'POST', url: '/api/admin/v1/shared-accounts', body: { name: 'lab', pin: '4821' } },
    'ddaca972b357f7c61969b9718b41c20fe8db517b6ce79b48977a426843e37876'],
  ['a string', 'plain', '945603a8f587786b463c3f94fce115c0fae88fac2728cc96ddf5981cf7f61741'],
  ['a number', 42, '73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049'],
  ['null', null, '74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b'],
  ['an array', [1, 'two', { three: 3 }], '5638683081b5aceda62f960bcb919a2c773077b6fdcb2e434beba64c36d0f8d9'],
];

t.test('request hashes are unchanged', async (t) => {
  for (const [what, value, digest] of PINNED) t.equal(requestHash(value), digest, what);
});

t.test('key order does not matter; values do', async (t) => {
  t.equal(requestHash({ a: 1, b: { c: 2, d: 3 } }), requestHash({ b: { d: 3, c: 2 }, a: 1 }));
  t.not(requestHash({ a: 1 }), requestHash({ a: 2 }));
  t.not(requestHash({ a: '1' }), requestHash({ a: 1 }));
  t.equal(requestHash({ a: 1, b: undefined }), requestHash({ a: 1 }), 'undefined members are left out');
});
