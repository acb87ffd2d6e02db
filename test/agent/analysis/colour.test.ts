// The chroma rule and its adaptations per colour model.
import t from 'tap';
import { isColourRgb, labCheck, packedCheck, pixelIsColour, rgbLikeCheck, unitCheckFor } from '../../../agent/analysis/colour.ts';

const u8 = (...v: number[]) => new Uint8Array(v);

t.test('chroma at most 8 of 255 is gray', async (t) => {
  t.equal(isColourRgb(100, 104, 108), false, 'chroma 8');
  t.equal(isColourRgb(100, 104, 109), true, 'chroma 9');
  t.equal(isColourRgb(0, 0, 0), false);
  t.equal(isColourRgb(255, 0, 0), true);
});

t.test('RGB runs stop at the first colour unit', async (t) => {
  const check = rgbLikeCheck(3, 0, 1, 2);
  t.equal(check(u8(10, 10, 10, 200, 200, 200), 0, 2), false);
  t.equal(check(u8(10, 10, 10, 200, 100, 200), 0, 2), true);
  t.equal(check(u8(10, 10, 10, 200, 100, 200), 0, 1), false, 'only the units asked for');
  const rgba = rgbLikeCheck(4, 0, 1, 2);
  t.equal(rgba(u8(50, 50, 50, 0, 50, 60, 50, 255), 0, 2), true);
});

t.test('CMYK: black covers colour; naive conversion', async (t) => {
  const check = rgbLikeCheck(4, 0, 1, 2, 3);
  t.equal(check(u8(0, 255, 255, 0), 0, 1), true, 'red');
  t.equal(check(u8(0, 255, 255, 255), 0, 1), false, 'full black over red');
  t.equal(check(u8(0, 0, 0, 128), 0, 1), false, 'K only');
  t.equal(check(u8(60, 60, 60, 0), 0, 1), false, 'equal CMY');
  t.equal(pixelIsColour({ kind: 'cmyk', ch: [0, 1, 2], k: 3 }, [0, 200, 200, 100]), true);
});

t.test('Lab and packed samples', async (t) => {
  const lab = labCheck(3, 1, 2);
  t.equal(lab(u8(50, 128, 136), 0, 1), false);
  t.equal(lab(u8(50, 128, 137), 0, 1), true);
  // 1-bit RGB chunked, two pixels per byte: 0RGB 0RGB
  const p = packedCheck({ kind: 'rgb', ch: [0, 1, 2] }, 1, 3, 4, 1, false);
  t.equal(p(u8(0b0111_0000), 0, 1), false, 'white and black');
  t.equal(p(u8(0b0000_0100), 0, 1), true, 'red second pixel');
  // 16-bit little-endian RGB: judged on the high byte
  const c16 = unitCheckFor({ kind: 'rgb', ch: [0, 1, 2] }, 16, 3, 48, 6, true)!;
  t.equal(c16(u8(0xff, 0x10, 0x00, 0x10, 0x00, 0x10), 0, 1), false);
  t.equal(c16(u8(0x00, 0xff, 0x00, 0x10, 0x00, 0x10), 0, 1), true);
  t.equal(unitCheckFor({ kind: 'gray' }, 8, 1, 8, 1, false), null, 'gray needs no check');
});
