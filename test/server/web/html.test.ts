// The html tag escapes everything that is not itself markup.
import t from 'tap';
import { html, raw } from '../../../server/web/html.ts';
import { RateLimiter } from '../../../server/web/rate-limit.ts';

t.test('escapes interpolations', async (t) => {
  const name = '<script>alert("x")</script>&\'';
  t.equal(html`<p>${name}</p>`.value, '<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
  t.equal(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value, '<ul><li>a</li><li>b</li></ul>');
  t.equal(html`${raw('<b>ok</b>')}${null}${undefined}${false}${0}`.value, '<b>ok</b>0');
});

t.test('rate limiter: sliding window per key', async (t) => {
  let now = 1000;
  const rl = new RateLimiter({ limit: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 3; i++) { t.equal(rl.retryAfter('bob'), 0); rl.hit('bob'); }
  t.ok(rl.retryAfter('bob') > 0, 'fourth attempt waits');
  t.equal(rl.retryAfter('alice'), 0, 'other keys are independent');
  now += 60_001;
  t.equal(rl.retryAfter('bob'), 0, 'window slides');
  rl.hit('bob'); rl.reset('bob');
  t.equal(rl.retryAfter('bob'), 0);
});
