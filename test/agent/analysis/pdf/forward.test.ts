// The gray fast-forward (agent/analysis/pdf/forward.ts): gray content searched natively
// for what could bring colour. Every case is analysed twice, with the fast-forward and
// without it (the interpreter reading every byte itself), and the whole results (colour
// pages, warnings, recovery) must agree, besides the expected verdict. The gray padding
// in front of each case is long enough (3-5 KB) for the content to be inflated in
// several pieces and for the search to run before the case is reached.
import t, { type Test } from 'tap';
import { pdfParser } from '../../../../agent/analysis/pdf/index.ts';
import { fastForwardSwitch } from '../../../../agent/analysis/pdf/forward.ts';
import { BufferSource } from '../../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';
import { PdfWriter, type PageSpec } from '../../../../fixtures/pdf/writer.ts';

interface Outcome { colour: number[] | null; warnings: string[]; recovered: boolean }

async function once(pages: PageSpec[], setup?: (w: PdfWriter) => void): Promise<Outcome> {
  const w = new PdfWriter();
  setup?.(w);
  for (const p of pages) w.page(p);
  const r = await pdfParser.analyze(new BufferSource(w.build()), { limits: DEFAULT_LIMITS });
  return { colour: r.colorPageNumbers, warnings: r.warnings, recovered: r.recovered };
}

/** The outcome with the fast-forward, checked equal to the one without it. */
async function both(t: Test, what: string, pages: PageSpec[], setup?: (w: PdfWriter) => void): Promise<Outcome> {
  const fast = await once(pages, setup);
  fastForwardSwitch.enabled = false;
  try {
    t.same(fast, await once(pages, setup), `${what}: the same result without the fast-forward`);
  } finally {
    fastForwardSwitch.enabled = true;
  }
  return fast;
}

/**
 * About `n` bytes of gray text and rules in the style of pdfTeX (with its `0 0 0 rg 0 0 0 RG`);
 * `words` adds operator names to the text (hits that stop the search).
 */
function gray(n: number, words = ''): string {
  let s = '';
  for (let i = 0; s.length < n; i++) {
    s += `BT /F1 ${9 + (i % 3)} Tf ${72 + i} 700 Td [(Chapter)-333(${i}:)-445(pac)27(k)56(ages${words})]TJ ET\n`;
    s += `0 0 0 rg 0 0 0 RG\n1 0 0 1 ${i} 2 cm\nq 0.4 g 0 0 ${i} 1 re f Q 0.949 0.949 0.9765 rg 0 0 1 1 re f 0 g\n`;
  }
  return s;
}
const BOX = ' 0 0 10 10 re f\n';
const PAD = gray(3000);
const WORDY = gray(3000, ' Do sh BI cs 1 0 0 rg');

async function verdict(t: Test, content: string, expected: boolean, what: string, resources?: string, setup?: (w: PdfWriter) => void): Promise<void> {
  const o = await both(t, what, [{ content, ...(resources ? { resources } : {}) }], setup);
  t.same(o.colour, expected ? [1] : [], what);
}

t.test('device colour after gray content: only neutral operands are passed over', async (t) => {
  await verdict(t, `${PAD}1 0 0 rg${BOX}`, true, 'rg red');
  await verdict(t, `${PAD}0 0 1 RG 0 0 5 5 re S\n`, true, 'RG blue stroked');
  await verdict(t, `${PAD}0 1 0 0 k${BOX}`, true, 'k magenta');
  await verdict(t, `${PAD}0 0 0 1 k 0.2 0.2 0.2 0 K 0 0 5 5 re B\n`, false, 'k black, K gray');
  await verdict(t, `${PAD}0.5 0.5 0.53 rg${BOX}`, false, 'chroma 7.65/255 is gray');
  await verdict(t, `${PAD}0.5 0.5 0.54 rg${BOX}`, true, 'chroma 10.2/255 is colour');
  await verdict(t, `${PAD}1 0 0 0 0 0 rg${BOX}`, true, 'the first three operands count, not the last');
  await verdict(t, `${PAD}0 0 rg${BOX}`, false, 'missing operands read as 0');
  await verdict(t, `${PAD}0 g 1 0 0 0 rg${BOX}`, true, 'four operands, the first is red');
  await verdict(t, `${PAD}0 g\n0 0 0 RG 1 0 0 0 rg 0 0 0 rg${BOX}`, false, 'red replaced by black');
  await verdict(t, `${PAD}1 /N 0 0 0 rg${BOX}`, true, 'a name among the operands');
  await verdict(t, `${PAD}1 (s) 0 0 0 rg${BOX}`, true, 'a string among the operands');
  await verdict(t, `${PAD}1 [2] 0 0 0 rg${BOX}`, true, 'an array among the operands');
  await verdict(t, `${PAD}1 % note\n0 0 0 rg${BOX}`, true, 'a comment between the operands: the 1 counts');
  await verdict(t, `${PAD}0 g % 1\n0 0 0 rg${BOX}`, false, 'a number in a comment does not');
  await verdict(t, `${PAD}0 g % 1 0 0 rg 0 0 1 1 re f\n0 0 1 1 re f\n`, false, 'colour in a comment');
  await verdict(t, `${PAD}--1 0 0 rg${BOX}`, true, 'two minus signs make a plus');
  await verdict(t, `${PAD}1.0.0 0 0 rg${BOX}`, true, 'junk glued to a number');
  await verdict(t, `${PAD}0.0 .0 -0 rg 0 0 0 0rg${BOX}`, false, 'glued keyword is part of a number');
  await verdict(t, `${PAD}1 0 0 rg 0 0 0 RG\n0 g${BOX}`, false, 'colour set and replaced');
});

t.test('colour text inside strings, arrays and dictionaries', async (t) => {
  await verdict(t, `${WORDY}0 0 1 1 re f\n`, false, 'operator names in the text');
  await verdict(t, `${WORDY}0 0 1 rg${BOX}`, true, 'colour after operator names in the text');
  await verdict(t, `${PAD}BT /F1 9 Tf (1 0 0 rg 0 0 9 9 re f) Tj [(0 0 1 k) -20 (\\) 1 0 0 rg)] TJ ET${BOX}`, false, 'in strings');
  await verdict(t, `${PAD}/P << /Alt (1 0 0 rg) /S [1 0 0 rg] >> BDC 0 0 1 1 re f EMC${BOX}`, false, 'in a dictionary');
  await verdict(t, `${PAD}BT /F1 9 Tf (a \\( 1 0 0 rg) Tj ET 1 0 0 rg${BOX}`, true, 'real colour after text that looks like it');
  await verdict(t, `${PAD}<0102> 1 0 0 rg${BOX}`, true, 'after a hex string');
});

t.test('saved states, colour spaces, XObjects, shadings and inline images', async (t) => {
  await verdict(t, `1 0 0 rg q 0 g ${PAD} Q${BOX}`, true, 'a colour saved by q comes back with Q');
  await verdict(t, `1 0 0 rg q 0 g ${PAD} Q 0 g${BOX}`, false, 'and is replaced');
  await verdict(t, `q 1 0 0 rg Q ${PAD}${BOX}`, false, 'set inside q/Q only');
  await verdict(t, `${PAD}/DeviceRGB cs 1 0 0 sc${BOX}`, true, 'cs/sc');
  await verdict(t, `${PAD}/DeviceGray cs 0.5 sc${BOX}`, false, 'gray cs/sc');
  const cs = '<< /ColorSpace << /S [/Separation /Spot /DeviceCMYK << /FunctionType 2 /Domain [0 1] /C0 [0 0 0 0] /C1 [0 0.8 0.6 0] /N 1 >>] >> >>';
  await verdict(t, `/S cs 0 scn q ${PAD} Q 1 scn${BOX}`, true, 'scn in a named space chosen before', cs);
  await verdict(t, `${PAD}BI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00 EI\n${PAD}`, true, 'inline image');
  await verdict(t, `${PAD}BI /W 1 /H 1 /CS /G /BPC 8 ID k\x00 EI\n${PAD}`, false, 'gray inline image with a keyword in its data');
  const sh = '<< /Shading << /Sh << /ShadingType 2 /ColorSpace /DeviceRGB /Coords [0 0 1 0] /Function << /FunctionType 2 /Domain [0 1] /C0 [1 1 1] /C1 [1 0 0] /N 1 >> >> >> >>';
  await verdict(t, `${PAD}/Sh sh\n${PAD}`, true, 'shading', sh);
  const img = (data: number[]) => (w: PdfWriter) => { w.stream('/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 8', Buffer.from(data)); };
  const xres = '<< /XObject << /I 3 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>';
  await verdict(t, `${PAD}/I Do\n${PAD}`, true, 'colour image', xres, img([255, 0, 0]));
  await verdict(t, `${PAD}/I Do\n${PAD}1 0 0 rg${BOX}`, true, 'gray image, then colour', xres, img([9, 9, 9]));
  await verdict(t, `${PAD}/I Do\n${PAD}`, false, 'gray image', xres, img([9, 9, 9]));
  const form = (content: string) => (w: PdfWriter) => { w.stream('/Type /XObject /Subtype /Form /BBox [0 0 9 9]', content); };
  await verdict(t, `${PAD}/I Do\n`, true, 'form with colour after gray', xres, form(`${PAD}0 0 1 rg${BOX}`));
  await verdict(t, `${PAD}/I Do\n`, false, 'gray form', xres, form(PAD));
  await verdict(t, `1 0 0 rg /I Do\n`, true, 'gray form filled with the inherited red', xres, form(`${PAD}0 0 1 1 re f\n`));
});

t.test('optional content: BDC /OC has its layer looked up, as without the fast-forward', async (t) => {
  // Layer A is off; layer B is on, and with `corrupt` its xref entry points 2 bytes too
  // far, so that looking it up rebuilds the table (recovered, with a warning).
  const make = (content: string, corrupt: boolean) => async (): Promise<Outcome> => {
    const w = new PdfWriter();
    const a = w.add('<< /Type /OCG /Name (a) >>');
    const b = w.add('<< /Type /OCG /Name (b) >>');
    w.page({ content, resources: `<< /Properties << /A ${a} 0 R /B ${b} 0 R >> >>` });
    let pdf = w.build(`/OCProperties << /OCGs [${a} 0 R ${b} 0 R] /D << /OFF [${a} 0 R] >> >>`);
    if (corrupt) {
      const x = pdf.lastIndexOf('\nxref\n') + 6;
      const at = pdf.indexOf('\n', x) + 1 + 20 * b;
      const offset = Number(pdf.subarray(at, at + 10).toString('latin1'));
      pdf = Buffer.concat([pdf.subarray(0, at), Buffer.from(String(offset + 2).padStart(10, '0'), 'latin1'), pdf.subarray(at + 10)]);
    }
    const r = await pdfParser.analyze(new BufferSource(pdf), { limits: DEFAULT_LIMITS });
    return { colour: r.colorPageNumbers, warnings: r.warnings, recovered: r.recovered };
  };
  const check = async (what: string, run: () => Promise<Outcome>, colour: number[], recovered: boolean) => {
    const fast = await run();
    fastForwardSwitch.enabled = false;
    try {
      t.same(fast, await run(), `${what}: the same result without the fast-forward`);
    } finally {
      fastForwardSwitch.enabled = true;
    }
    t.same(fast.colour, colour, what);
    t.equal(fast.recovered, recovered, `${what}: recovered`);
  };
  const on = (layer: string, colour: string) => `${PAD}q /OC /${layer} BDC ${colour}${BOX}EMC Q\n${PAD}`;
  await check('red on a layer that is off', make(on('A', '1 0 0 rg'), false), [], false);
  await check('red on a layer that is on', make(on('B', '1 0 0 rg'), false), [1], false);
  await check('gray on a layer that is on', make(on('B', '0 g'), false), [], false);
  await check('gray on a layer whose object is not where the xref says', make(on('B', '0 g'), true), [], true);
});

t.test('fonts: Tf of a font whose glyphs paint colour', async (t) => {
  const t3 = (w: PdfWriter, glyph: string) => {
    const proc = w.stream('', glyph);
    return w.add(`<< /Type /Font /Subtype /Type3 /FontBBox [0 0 10 10] /FontMatrix [0.1 0 0 0.1 0 0] /CharProcs << /a ${proc} 0 R >> /Encoding << /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [10] /Resources << >> >>`);
  };
  const helv = (w: PdfWriter) => w.add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const res = '<< /Font << /F1 5 0 R /T3 4 0 R >> >>';
  const red = (w: PdfWriter) => { t3(w, '10 0 d0 1 0 0 rg 0 0 10 10 re f'); helv(w); };
  const plain = (w: PdfWriter) => { t3(w, '10 0 d0 0.5 g 0 0 10 10 re f'); helv(w); };
  const later = `${PAD}BT /T3 12 Tf (a) Tj ET\n${PAD}`;
  t.same((await both(t, 'colour Type 3 after gray text', [{ content: later, resources: res }], red)).colour, [1]);
  t.same((await both(t, 'gray Type 3 after gray text', [{ content: later, resources: res }], plain)).colour, []);
  t.same((await both(t, 'colour Type 3 selected, nothing shown', [{ content: `${PAD}BT /T3 12 Tf 3 Tr (a) Tj ET\n${PAD}`, resources: res }], red)).colour, []);
  t.same((await both(t, 'Tf in a string', [{ content: `${PAD}BT /F1 9 Tf (/T3 12 Tf) Tj ET\n${PAD}`, resources: res }], red)).colour, []);
  // The second page's font verdicts come from the first page (the font cache).
  const two = [{ content: 'BT /T3 12 Tf (a) Tj ET\n', resources: res }, { content: later, resources: res }];
  t.same((await both(t, 'a colour font known from an earlier page', two, red)).colour, [1, 2]);
  t.same((await both(t, 'a gray font known from an earlier page', two, plain)).colour, []);
  const saved = `BT /T3 12 Tf q /F1 9 Tf ${PAD} Q (a) Tj ET\n`;
  t.same((await both(t, 'a colour font saved by q', [{ content: saved, resources: res }], red)).colour, [1]);
});

t.test('operators cut at every inflate piece and search window boundary', async (t) => {
  // Pieces of 2, 4, 8 KiB... (frame.ts) and search windows of 4, 8 KiB... from where the
  // search starts (here the start: 4096, then 4093 + 8192): the search resumes across them.
  const pad = (n: number) => { let s = ''; while (s.length + 4 <= n) s += '0 g\n'; return s + ' '.repeat(n - s.length); };
  for (const edge of [2048, 4096, 8192, 12285]) {
    for (let shift = -24; shift <= 2; shift++) {
      const at = pad(edge + shift);
      await verdict(t, `${at}0.9 0.1 0.1 rg${BOX}`, true, `rg cut ${shift} from ${edge}`);
      await verdict(t, `${at}0 0.9 0.1 0 k${BOX}`, true, `k cut ${shift} from ${edge}`);
      await verdict(t, `${at}0.5 0.5 0.5 rg${BOX}${pad(200)}`, false, `neutral rg cut ${shift} from ${edge}`);
      await verdict(t, `${at}/DeviceRGB cs 1 0 0 scn${BOX}`, true, `cs/scn cut ${shift} from ${edge}`);
    }
  }
});

t.test('pages one after another (the inflate buffer and search strings are reused)', async (t) => {
  const red = (at: number) => `${gray(at)}q 1 0 0 rg${BOX}Q\n${PAD}`;
  for (const at of [2100, 2500, 3300]) {
    const pages = [{ content: red(3000) }, { content: red(at) }, { content: PAD }, { content: red(at) }];
    t.same((await both(t, `red at ${at} after red at 3000`, pages)).colour, [1, 2, 4]);
  }
  // The first page's search stops just after 2 KiB; the second page's starts later (after
  // a long text array), where the first page's bytes were gray but its own are red.
  const at2k = (s: string) => s + ' '.repeat(2040 - s.length);
  const first = `${at2k(gray(1800))}1 0 0 rg${BOX}${'0 g 0 0 1 1 re f\n'.repeat(200)}`;
  const second = `${at2k(gray(1800))}[(${'x'.repeat(80)})] TJ q 1 0 0 rg${BOX}Q\n${PAD}`;
  t.same((await both(t, 'red just after a long array', [{ content: first }, { content: second }])).colour, [1, 2]);
});

t.test('a large content: the search goes on in windows of at most 1 MiB', async (t) => {
  const big = gray(3_000_000);
  await verdict(t, big, false, '3 MB of gray');
  await verdict(t, `${big}1 0 0 rg${BOX}`, true, 'colour after 3 MB of gray');
  await verdict(t, `${big}${'['.repeat(300)}${']'.repeat(300)} pop\n`, false, 'deep nesting after 3 MB of gray');
});

t.test('a Contents array is one content stream', async (t) => {
  const w = (a: string, b: string) => (wr: PdfWriter) => {
    const x = wr.stream('', a);
    const y = wr.stream('', b);
    wr.registerPage(wr.add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents [${x} 0 R ${y} 0 R] >>`));
  };
  t.same((await both(t, 'operands split between streams', [], w(`${PAD}1 0 0`, `0 0 rg${BOX}`))).colour, [1]);
  t.same((await both(t, 'neutral operands split', [], w(`${PAD}0 0`, `0 rg${BOX}`))).colour, []);
  t.same((await both(t, 'colour in the second stream', [], w(PAD, `${PAD}0 0 1 rg${BOX}`))).colour, [1]);
});

t.test('nesting: the scanner still reports arrays nested too deeply', async (t) => {
  const deep = `${'['.repeat(300)}${']'.repeat(300)} pop\n`;
  const flat = (n: number) => Array.from({ length: n }, (_, i) => `BT [(a)${i}(b)] TJ ET\n`).join('');
  for (const [what, content] of [
    ['deep after gray', `${PAD}${deep}${PAD}`],
    ['deep first, many flat arrays after', `${deep}${flat(600)}`],
    ['many flat arrays, deep after', `${flat(600)}${deep}`],
    ['many flat arrays', flat(900)],
    ['deep dictionaries', `${PAD}${'<<'.repeat(300)}${'>>'.repeat(300)} pop\n${PAD}`],
    ['many hex strings', `${Array.from({ length: 700 }, () => '<00>').join(' ')} pop\n`],
    ['257 deep at the end', `${flat(600)}${'['.repeat(257)}${']'.repeat(257)} pop\n`],
    ['256 deep at the end', `${flat(600)}${'['.repeat(256)}${']'.repeat(256)} pop\n`],
    ['257 deep dictionaries at the end', `${flat(600)}${'<<'.repeat(257)}${'>>'.repeat(257)} pop\n`],
    // What a walk over the tokens must not take for the start of a string or an array.
    ['a comment holding ( before deep arrays', `${flat(300)}% (\n${deep}) pop\n`],
    ['a hex string holding ( before deep arrays', `${flat(300)}<28 (> ${deep}) pop\n`],
    ['a string holding [ and an escaped )', `${flat(300)}(\\) [[[) ${deep}`],
    ['a dictionary holding a string with >>', `${flat(300)}<< /A (>>) >> ${deep}`],
    ['a name glued to deep arrays', `${flat(300)}/N${deep}`],
  ] as const) {
    const o = await both(t, what, [{ content }]);
    t.same(o.colour, [], what);
  }
  const o = await once([{ content: `${PAD}${deep}${PAD}` }]);
  t.equal(o.recovered, true, 'deep nesting marks the page recovered');
  t.match(o.warnings.join(' '), /nested too deeply/, 'and warns');
  t.same((await both(t, 'colour after many flat arrays', [{ content: `${flat(600)}1 0 0 rg${BOX}` }])).colour, [1]);
});

t.test('differential: content with hundreds of [ and <, where the nesting is walked, not read', async (t) => {
  // Brackets inside strings, comments, hex strings and dictionaries, escaped parentheses,
  // strays, and arrays nested about as deep as the scanner allows, cut and joined anyhow.
  let seed = Number(process.env.PDF_FORWARD_SEED ?? 11);
  const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const nest = (d: number, inner = '') => `${'['.repeat(d)}${inner}${']'.repeat(d)} `;
  const parts = [
    () => `BT [(a)${rand(9)}(b[)] TJ ET\n`, () => '[(x\\) [) 1] TJ ', () => '(a [ ( [ ) ] b) Tj ', () => '% [ [ [ ( \n',
    () => '<5b5b> Tj ', () => '<< /A [[1] [2]] /B (]) >> pop ', () => '] ', () => ') ', () => '> ', () => '[ ',
    () => nest(250 + rand(12)), () => nest(255 + rand(3), '(])'), () => nest(257, '%'), () => '<<'.repeat(255 + rand(4)) + '>>'.repeat(258) + ' ',
    () => nest(3, '(\\[) <5d>'), () => gray(rand(300)), () => '0 0 1 1 re f ', () => ' 1 0 0 rg 0 g ', () => '( \n',
  ];
  for (let i = 0; i < 60; i++) {
    let content = '';
    for (let j = 0; j < 200 + rand(400); j++) content += parts[rand(parts.length)]!();
    await both(t, `nesting case ${i}`, [{ content }]);
  }
});

t.test('differential: random content gives the same result with and without the fast-forward', async (t) => {
  // A seeded mix of the tokens that matter, cut and joined anyhow.
  let seed = Number(process.env.PDF_FORWARD_SEED ?? 7);
  const rand = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const num = () => ['0', '1', '0.5', '.3', '-0', '0.949', '0.9765', '1.0.0', '--1', '+.1', '2'][rand(11)]!;
  const parts = [
    () => `${num()} ${num()} ${num()} rg `, () => `${num()} ${num()} ${num()} RG `, () => `${num()} ${num()} ${num()} ${num()} k `,
    () => `${num()} ${num()} ${num()} ${num()} K `, () => '0 0 0 rg 0 0 0 RG\n', () => `${num()} g `, () => 'q ', () => 'Q ',
    () => '0 0 1 1 re f ', () => '0 0 m 1 1 l S ', () => 'BT /F1 9 Tf (x) Tj ET ', () => `[(a ${num()} rg)${num()}(b)] TJ `,
    () => `(${num()} ${num()} 0 rg) `, () => `% ${num()} 1 0 rg\n`, () => '%\n', () => '\n', () => `${num()} `,
    () => '/DeviceRGB cs 0 0 0 sc ', () => '/DeviceGray CS 1 SC ', () => '<< /A [(k) 1] >> ', () => '/N ', () => ']',
    () => '[', () => '(', () => ')', () => '<4142> ', () => '3 Tr ', () => '0 Tr ', () => gray(rand(400)),
    () => 'BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI ', () => ' 1 0 0 rg 0 g ',
  ];
  for (let i = 0; i < 120; i++) {
    let content = '';
    const count = 5 + rand(60);
    for (let j = 0; j < count; j++) content += parts[rand(parts.length)]!();
    if (rand(3) === 0) content = gray(rand(5000)) + content;
    await both(t, `case ${i}`, [{ content }]);
  }
});
