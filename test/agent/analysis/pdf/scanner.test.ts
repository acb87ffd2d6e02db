// The content scanner's nesting walk (agent/analysis/pdf/scanner.ts): walkText(), which
// passes over the tokens that cannot nest with a RegExp, must find the "nested too
// deeply" error exactly where walk() (byte by byte in JS) finds it, whatever the content,
// wherever the text given to it starts and ends, and must reach `to`.
import t, { type Test } from 'tap';
import { ContentScanner } from '../../../../agent/analysis/pdf/scanner.ts';

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const latin1 = (b: Uint8Array, from: number, to: number) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1', from, to);

/** walk() and walkText() over [from, to) of `content`, the text covering [ts, te). */
function compare(content: string, from: number, to: number, ts: number, te: number): { walk: number; text: number } {
  const b = bytes(content);
  const walk = new ContentScanner(b, 0).walk(from, to);
  const text = new ContentScanner(b, 0).walkText(latin1(b, ts, te), ts, from, to);
  return { walk, text };
}

function check(t: Test, what: string, content: string, from = 0, to = content.length, ts = from, te = to): void {
  const r = compare(content, from, to, ts, te);
  t.equal(r.text < 0, r.walk < 0, `${what}: ${r.walk < 0 ? 'fails' : 'passes'} as walk() does`);
  if (r.walk >= 0) t.ok(r.text >= Math.min(to, content.length), `${what}: reaches the end`);
}

const deep = (d: number, inner = '') => `${'['.repeat(d)}${inner}${']'.repeat(d)} `;

t.test('the cases walk() must tell apart', async (t) => {
  const flat = 'BT [(a)-333(b\\)c)12(\\\\)] TJ ET 0 0 m 1 1 l S <00ff> Tj % a [ comment\n(x[y) Tj ';
  check(t, 'flat content', flat.repeat(50));
  check(t, '256 deep', flat + deep(256) + flat);
  check(t, '257 deep', flat + deep(257) + flat);
  check(t, '257 deep, a string inside', flat + deep(257, '(])') + flat);
  check(t, '257 deep dictionaries', flat + '<<'.repeat(257) + '>>'.repeat(257) + flat);
  check(t, 'brackets in a string', `${flat}(${'['.repeat(300)}) Tj ${flat}`);
  check(t, 'brackets in a nested string', `${flat}(a (${'['.repeat(300)}) b) Tj ${flat}`);
  check(t, 'brackets in a comment', `${flat}%${'['.repeat(300)}\n${flat}`);
  check(t, 'brackets in a hex string', `${flat}<${'['.repeat(300)}> ${flat}`);
  check(t, 'a string escaping its end', `${flat}(a\\) ${deep(300)}) ${flat}`);
  check(t, 'a comment holding (', `${flat}% (\n${deep(300)}) ${flat}`);
  check(t, 'an array not closed', `${flat}[(a) (b) 1 2 3`);
  check(t, 'a string not closed', `${flat}(a [[[`);
  check(t, 'a hex string not closed', `${flat}<a [[[`);
  check(t, 'a backslash at the end', `${flat}(a\\`);
  check(t, 'a backslash at the end of an array', `${flat}[(a\\`);
  check(t, 'deep beyond `to`', flat + deep(300), 0, flat.length);
  check(t, 'deep beyond the text', flat + deep(300), 0, flat.length + 600, 0, flat.length + 5);
  check(t, 'text starting after `from`', flat + deep(300) + flat, 0, flat.length * 2 + 600, flat.length + 3);
  check(t, 'text ending in a string', `${flat}(abc${'['.repeat(300)}) ${flat}`, 0, flat.length * 2 + 310, 0, flat.length + 2);
});

t.test('differential: random content, random ranges', async (t) => {
  let seed = Number(process.env.PDF_SCANNER_SEED ?? 5);
  const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const parts = [
    () => `BT [(a)${rand(9)}(b[)] TJ ET\n`, () => '[(x\\) [) 1] TJ ', () => '(a [ ( [ ) ] b) Tj ', () => '% [ [ [ ( \n',
    () => '<5b5b> Tj ', () => '<< /A [[1] [2]] /B (]) >> pop ', () => '] ', () => ') ', () => '> ', () => '[ ', () => '( ',
    () => '\\', () => '(\\\\) ', () => '%', () => '\r', () => '<', () => '<<', () => '>>', () => '/N[', () => '{ } ',
    () => deep(250 + rand(12)), () => deep(255 + rand(3), '(])'), () => deep(257, '%'), () => '<<'.repeat(255 + rand(4)) + '>>'.repeat(258) + ' ',
    () => deep(3, '(\\[) <5d>'), () => '0 0 1 1 re f 0.5 g ', () => `[${'(ab\\(c) -12 '.repeat(rand(40))}] TJ `,
  ];
  let failing = 0;
  for (let i = 0; i < 400; i++) {
    let content = '';
    for (let j = 0, m = rand(120); j < m; j++) content += parts[rand(parts.length)]!();
    const n = content.length;
    const from = rand(n + 1);
    const to = from + rand(n - from + 2);
    const ts = rand(from + 1);
    const te = Math.min(n, from + rand(n - from + 1));
    const r = compare(content, from, to, ts, te);
    if (r.walk < 0) failing++;
    if ((r.text < 0) !== (r.walk < 0) || (r.walk >= 0 && r.text < Math.min(to, n))) {
      t.fail(`case ${i}: walk ${r.walk}, walkText ${r.text} (from ${from} to ${to}, text ${ts}-${te}, ${n} bytes)`);
    }
  }
  t.ok(failing > 20 && failing < 380, `both outcomes occur (${failing} of 400 fail)`);
});
