// PJL/UEL peeling: job settings parsed as printers read them, the payload window exact.
import t from 'tap';
import { applyPjlLine, peelWrappers, pjlCopies, pjlPaperName, readPjl, type PjlSettings } from '../../../agent/analysis/pjl.ts';
import { ByteReader } from '../../../agent/analysis/reader.ts';
import { BufferSource } from '../../../agent/analysis/source.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const UEL = '\x1b%-12345X';

t.test('job settings from @PJL lines', async (t) => {
  const s: PjlSettings = {};
  const w: string[] = [];
  for (const line of ['@PJL SET COPIES=3', '@pjl set duplex = on', '@PJL SET RENDERMODE=GRAYSCALE', '@PJL SET PAPER=a4', '@PJL ENTER LANGUAGE = PCLXL']) applyPjlLine(line, s, w);
  t.same(s, { copies: 3, duplex: true, grayscale: true, paper: 'A4', language: 'PCLXL' });
  t.same(w, []);
});

t.test('QTY wins over COPIES whatever the order; SET wins over DEFAULT', async (t) => {
  const a: PjlSettings = {};
  applyPjlLine('@PJL SET QTY=2', a, []);
  applyPjlLine('@PJL SET COPIES=5', a, []);
  t.equal(pjlCopies(a), 2);
  const b: PjlSettings = {};
  applyPjlLine('@PJL SET DUPLEX=ON', b, []);
  applyPjlLine('@PJL DEFAULT DUPLEX=OFF', b, []);
  t.equal(b.duplex, true, 'DEFAULT does not override the job\'s SET');
  const c: PjlSettings = {};
  applyPjlLine('@PJL DEFAULT DUPLEX=OFF', c, []);
  applyPjlLine('@PJL SET DUPLEX=ON', c, []);
  t.equal(c.duplex, true, 'SET overrides an earlier DEFAULT');
  t.equal(pjlCopies({}), undefined);
});

t.test('PLANESINUSE=1 is gray; RENDERMODE=COLOR is not; nonsense numbers warn', async (t) => {
  const s: PjlSettings = {};
  applyPjlLine('@PJL SET PLANESINUSE=1', s, []);
  t.equal(s.grayscale, true);
  applyPjlLine('@PJL SET RENDERMODE=COLOR', s, []);
  t.equal(s.grayscale, false);
  const w: string[] = [];
  applyPjlLine('@PJL SET COPIES=lots', s, w);
  t.equal(s.copies, undefined);
  t.equal(w.length, 1);
  applyPjlLine('@PJL SET COPIES=0', s, w);
  t.equal(s.copies, undefined, 'zero copies is ignored');
});

t.test('no wrapper: the source itself', async (t) => {
  const src = new BufferSource(enc('%PDF-1.4 hello'));
  const p = await peelWrappers(src);
  t.equal(p.wrapped, false);
  t.equal(p.payload, src);
  t.equal(p.start, 0);
});

t.test('wrapper and trailer are cut off exactly', async (t) => {
  const payload = '\x1bE\x1b&l2Xbody\x0c\x1bE';
  const file = `${UEL}@PJL JOB\r\n@PJL SET COPIES=2\r\n@PJL ENTER LANGUAGE=PCL\r\n${payload}${UEL}@PJL EOJ\r\n${UEL}`;
  const p = await peelWrappers(new BufferSource(enc(file)));
  t.equal(p.wrapped, true);
  t.equal(new TextDecoder().decode(await p.payload.read(0, p.payload.size)), payload);
  t.equal(p.start, file.indexOf(payload));
  t.same(p.settings, { copies: 2, language: 'PCL' });
});

t.test('without ENTER LANGUAGE the payload starts at the first non-PJL byte', async (t) => {
  const file = `${UEL}@PJL SET DUPLEX=ON\n%!PS-Adobe-3.0\nshowpage\n`;
  const p = await peelWrappers(new BufferSource(enc(file)));
  t.equal(new TextDecoder().decode(await p.payload.read(0, 100)), '%!PS-Adobe-3.0\nshowpage\n');
  t.equal(p.settings.duplex, true);
});

t.test('a UEL followed by more document is not a trailer', async (t) => {
  const body = `%!PS\n${UEL}more document bytes`;
  const file = `${UEL}@PJL ENTER LANGUAGE=POSTSCRIPT\n${body}`;
  const p = await peelWrappers(new BufferSource(enc(file)));
  t.equal(new TextDecoder().decode(await p.payload.read(0, 1000)), body);
});

t.test('in-stream reader: the same settings as the peeler, stops after ENTER LANGUAGE', async (t) => {
  const head = `${UEL}@PJL SET QTY=2\r\n@PJL SET COPIES=5\n@PJL DEFAULT DUPLEX=ON\n@PJL SET PAPER=ledger\n\n@PJL ENTER LANGUAGE="PCL"\n`;
  const file = `${head}\x1bEbody${UEL}@PJL EOJ\n`;
  const r = new ByteReader(new BufferSource(enc(file)));
  const s: PjlSettings = {};
  t.equal(await readPjl(r, s), true, 'consumed the block');
  t.equal(r.pos, head.length, 'stops where the payload starts');
  t.same(s, (await peelWrappers(new BufferSource(enc(file)))).settings, 'same settings as the peeler');
  t.equal(pjlCopies(s), 2, 'QTY wins');
  t.equal(pjlPaperName(s), 'Tabloid');
  t.equal(await readPjl(r, {}), false, 'nothing to read at the payload');
  t.equal(r.pos, head.length);
});
