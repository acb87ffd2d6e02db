// JPEG colour from DC coefficients: the fixture JPEGs (baseline, progressive, restart
// intervals, non-interleaved scans, CMYK/YCCK) all decode without falling back, and bad
// data answers 'unknown' instead of throwing.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pdfParser } from '../../../../agent/analysis/pdf/index.ts';
import { jpegIsColour } from '../../../../agent/analysis/pdf/jpeg.ts';
import { BufferSource } from '../../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';

const FIX = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'pdf');

/** The JPEG streams inside a fixture PDF (our writer stores them uncompressed). */
function jpegsIn(file: string): Buffer[] {
  const b = readFileSync(join(FIX, file));
  const out: Buffer[] = [];
  for (let i = b.indexOf('/DCTDecode'); i >= 0; i = b.indexOf('/DCTDecode', i + 1)) {
    const len = Number(/\/Length (\d+)/.exec(b.subarray(i, i + 200).toString('latin1'))![1]);
    const start = b.indexOf('stream\n', i) + 7;
    out.push(b.subarray(start, start + len));
  }
  return out;
}

t.test('every fixture JPEG is decided without a fallback', async (t) => {
  for (const f of ['jpeg-images.pdf', 'jpeg-variants.pdf']) {
    const r = await pdfParser.analyze(new BufferSource(readFileSync(join(FIX, f))), { limits: DEFAULT_LIMITS });
    t.same(r.warnings, [], f);
  }
  const verdicts = jpegsIn('jpeg-variants.pdf').map((j) => jpegIsColour(j, 0));
  t.same(verdicts, ['colour', 'gray', 'colour', 'gray', 'colour', 'gray']);
  const images = jpegsIn('jpeg-images.pdf').map((j) => jpegIsColour(j, 0));
  t.same(images, ['colour', 'gray', 'gray', 'colour', 'gray', 'colour', 'gray']);
});

t.test('damaged or foreign data', async (t) => {
  const [colour] = jpegsIn('jpeg-variants.pdf');
  t.equal(jpegIsColour(Buffer.from('not a jpeg'), 0), 'unknown');
  t.equal(jpegIsColour(Buffer.from('ffd8ffc0000b08000800080101110000ffd9', 'hex'), 0), 'gray', 'one component');
  for (const cut of [4, 20, 100, 200, colour!.length - 10]) {
    const v = jpegIsColour(colour!.subarray(0, cut), 0);
    t.ok(['gray', 'colour', 'unknown'].includes(v), `truncated at ${cut}: ${v}`);
  }
  const arith = Buffer.from('ffd8ffc9000b08000800080301110000ffd9', 'hex');
  t.equal(jpegIsColour(arith, 0), 'unknown', 'arithmetic coding');
  // A start-of-scan that lists no components (or more than the four the spec allows) once
  // escaped as a TypeError and failed the whole file.
  const sos = colour!.indexOf(Buffer.from([0xff, 0xda]));
  for (const ns of [0, 5]) {
    const bad = Buffer.from(colour!);
    bad[sos + 4] = ns;
    t.equal(jpegIsColour(bad, 0), 'unknown', `a scan of ${ns} components`);
  }
});
