// PostScript through Ghostscript: methods, time limit and abort (the child is killed),
// program errors, the PRINTGATE_GHOSTSCRIPT switch, and the streaming PPM page checker.

import t from 'tap';
import { PpmPages } from '../../../../agent/analysis/postscript/ppm.ts';
import { postscriptParser } from '../../../../agent/analysis/postscript/index.ts';
import { hasCommand, needs } from '../../../helpers/system.ts';
import { analyzeBytes, codeOf } from '../pcl5/helpers.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';

const gs = { skip: needs('ghostscript', hasCommand('gs')) };
const page = (colour: string) => `${colour} 72 72 100 100 rectfill showpage\n`;

t.test('PPM stream: pages and chroma, whatever the chunking', async (t) => {
  const img = (w: number, h: number, px: number[]) => Buffer.concat([Buffer.from(`P6\n# comment\n${w} ${h}\n255\n`), Buffer.from(px)]);
  const stream = Buffer.concat([
    img(2, 1, [10, 10, 10, 200, 200, 192]), // gray (chroma 8)
    img(1, 2, [0, 0, 0, 200, 190, 220]), // colour
    img(0, 0, []),
  ]);
  for (const size of [1, 2, 3, 5, 7, stream.length]) {
    const ppm = new PpmPages();
    for (let i = 0; i < stream.length; i += size) ppm.push(stream.subarray(i, i + size));
    t.same(ppm.pages.map((p) => [p.width, p.height, p.colour]), [[2, 1, false], [1, 2, true], [0, 0, false]], `chunks of ${size}`);
    t.equal(ppm.complete, true);
  }
  const bad = new PpmPages();
  t.throws(() => bad.push(Buffer.from('GIF89a')));
  const cut = new PpmPages();
  cut.push(img(2, 2, [1, 2, 3]));
  t.equal(cut.complete, false, 'a cut page is not complete');
});

t.test('methods with Ghostscript', gs, async (t) => {
  const dsc = `%!PS-Adobe-3.0\n%%Pages: 2\n%%EndComments\n%%Page: 1 1\n${page('0 setgray')}%%Page: 2 2\n${page('0 0 1 setrgbcolor')}%%EOF\n`;
  let r = await analyzeBytes(postscriptParser, dsc);
  t.equal(r.method, 'dsc+ghostscript');
  t.equal(r.pages, 2);
  t.same(r.colorPageNumbers, [2]);
  r = await analyzeBytes(postscriptParser, dsc, { allowGhostscript: false });
  t.equal(r.method, 'dsc');
  t.equal(r.colorPages, null);
  r = await analyzeBytes(postscriptParser, `%!\n${page('0.2 0.2 0.2 setrgbcolor')}${page('0.6 0.6 0.6 1 setcmykcolor')}${page('1 0 0 0 setcmykcolor')}`);
  t.equal(r.method, 'ghostscript');
  t.same(r.colorPageNumbers, [3], 'rich black is gray, cyan is colour');
  // The DSC promises 1 page, the program prints 2: the interpreter wins.
  r = await analyzeBytes(postscriptParser, `%!PS-Adobe-3.0\n%%Pages: 1\n%%EndComments\n%%Page: 1 1\n${page('0 setgray')}${page('0 setgray')}%%EOF\n`);
  t.equal(r.pages, 2);
  t.equal(r.method, 'ghostscript');
  // NumCopies does not multiply the rendered pages.
  r = await analyzeBytes(postscriptParser, `%!PS-Adobe-3.0\n%%Pages: 1\n%%EndComments\n<< /NumCopies 3 >> setpagedevice\n%%Page: 1 1\n${page('0 setgray')}%%EOF\n`);
  t.equal(r.pages, 1);
  t.equal(r.copies, 3);
});

t.test('program errors', gs, async (t) => {
  t.equal(await codeOf(analyzeBytes(postscriptParser, '%!\nnosuchoperator\nshowpage\n')), 'ANALYSIS_MALFORMED');
  const r = await analyzeBytes(postscriptParser, `%!\n${page('0 setgray')}nosuchoperator\n${page('0 setgray')}`);
  t.equal(r.pages, 1);
  t.equal(r.recovered, true);
  t.match(r.warnings.join(' '), /undefined in nosuchoperator/);
});

t.test('time limit and abort kill Ghostscript', gs, async (t) => {
  const forever = '%!\n{ 1 pop } loop\n';
  let start = Date.now();
  t.equal(await codeOf(analyzeBytes(postscriptParser, forever, { limits: { ...DEFAULT_LIMITS, maxMillis: 700 } })), 'ANALYSIS_LIMIT');
  t.ok(Date.now() - start < 5000, 'stopped near the limit');
  const ctl = new AbortController();
  start = Date.now();
  setTimeout(() => ctl.abort(), 300);
  t.equal(await codeOf(analyzeBytes(postscriptParser, forever, { signal: ctl.signal })), 'ANALYSIS_ABORTED');
  t.ok(Date.now() - start < 5000, 'stopped soon after the abort');
});

t.test('PRINTGATE_GHOSTSCRIPT: none, or a command that does not exist', async (t) => {
  const saved = process.env.PRINTGATE_GHOSTSCRIPT;
  t.teardown(() => {
    if (saved === undefined) delete process.env.PRINTGATE_GHOSTSCRIPT;
    else process.env.PRINTGATE_GHOSTSCRIPT = saved;
  });
  const input = `%!PS-Adobe-3.0\n%%Pages: 1\n%%EndComments\n%%Page: 1 1\n${page('1 0 0 setrgbcolor')}%%EOF\n`;
  for (const value of ['none', '/nonexistent/gs']) {
    process.env.PRINTGATE_GHOSTSCRIPT = value;
    const r = await analyzeBytes(postscriptParser, input);
    t.equal(r.method, 'dsc', value);
    t.equal(r.pages, 1);
    t.equal(r.colorPages, null);
    t.match(r.warnings.join(' '), /Ghostscript not installed/);
  }
});
