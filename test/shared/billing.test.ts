// The one function that turns an analysis plus job attributes into billable units.
import t from 'tap';
import { billableUnits, parsePageRanges } from '../../shared/billing.ts';
import type { AnalysisResult } from '../../shared/analysis.ts';

function doc(pages: number, colour: number[] = [], extra: Partial<AnalysisResult> = {}): AnalysisResult {
  return {
    format: 'pdf', pages, colorPages: colour.length, colorPageNumbers: colour, copies: 1, duplex: false,
    media: [{ name: 'A4', pages, colorPages: colour.length }], method: 'test', warnings: [], recovered: false, ...extra,
  };
}

t.test('plain simplex job', async (t) => {
  const u = billableUnits(doc(5, [2]))!;
  t.match(u, { copies: 1, pagesPerCopy: 5, impressions: 5, colorImpressions: 1, grayImpressions: 4, sheets: 5, duplex: false });
  t.same(u.bySize, [{ media: 'A4', impressions: 5, colorImpressions: 1, sheets: 5 }]);
});

t.test('copies multiply once, including the copies the document asks for', async (t) => {
  t.match(billableUnits(doc(3, [1]), { copies: 2 }), { copies: 2, pagesPerCopy: 3, impressions: 6, colorImpressions: 2, sheets: 6 });
  t.match(billableUnits(doc(3, [], { copies: 3 }), { copies: 2 }), { copies: 6, impressions: 18 });
});

t.test('duplex: each copy starts on a fresh sheet', async (t) => {
  t.match(billableUnits(doc(5), { sides: 'two-sided-long-edge', copies: 2 }), { impressions: 10, sheets: 6, duplex: true });
  t.match(billableUnits(doc(4, [], { duplex: true })), { sheets: 2, duplex: true }, 'document duplex when the job says nothing');
  t.match(billableUnits(doc(4, [], { duplex: true }), { sides: 'one-sided' }), { sheets: 4, duplex: false }, 'job sides win');
  t.match(billableUnits(doc(3), { forceDuplex: true }), { sheets: 2, duplex: true });
});

t.test('number-up: a side is colour when any page on it is', async (t) => {
  t.match(billableUnits(doc(5, [3]), { numberUp: 2 }), { impressions: 3, colorImpressions: 1 });
  t.match(billableUnits(doc(5, [3, 4]), { numberUp: 2 }), { impressions: 3, colorImpressions: 1 });
  t.match(billableUnits(doc(9, [1, 9]), { numberUp: 4, sides: 'two-sided-long-edge' }), { impressions: 3, colorImpressions: 2, sheets: 2 });
  t.throws(() => billableUnits(doc(2), { numberUp: 3 }), RangeError);
});

t.test('page ranges select pages, bounded by the document', async (t) => {
  t.match(billableUnits(doc(10, [2, 8]), { pageRanges: '1-3,8' }), { pagesPerCopy: 4, impressions: 4, colorImpressions: 2 });
  t.match(billableUnits(doc(10), { pageRanges: '8-20' }), { pagesPerCopy: 3 });
  t.match(billableUnits(doc(10), { pageRanges: '11-12' }), { pagesPerCopy: 0, impressions: 0, sheets: 0 });
  t.match(billableUnits(doc(10), { pageRanges: '3-4,1-5' }), { pagesPerCopy: 5 }, 'overlaps are merged, never double counted');
  t.throws(() => billableUnits(doc(10), { pageRanges: '5-2' }), RangeError);
  t.same(parsePageRanges('7-,1-2'), [[1, 2], [7, Number.MAX_SAFE_INTEGER]]);
  t.equal(parsePageRanges(''), null);
});

t.test('monochrome and forced grayscale make every side gray', async (t) => {
  t.match(billableUnits(doc(4, [1, 2, 3]), { colorMode: 'monochrome' }), { colorImpressions: 0, grayImpressions: 4, grayscale: true });
  t.match(billableUnits(doc(4, [1]), { forceGrayscale: true }), { colorImpressions: 0 });
});

t.test('paper size: requested media wins, else each page its own', async (t) => {
  const mixed = doc(3, [3], { media: [{ name: 'A4', pages: 2, colorPages: 0 }, { name: 'A3', pages: 1, colorPages: 1 }], pageMedia: ['A4', 'A3', 'A4'] });
  t.same(billableUnits(mixed)!.bySize, [
    { media: 'A4', impressions: 2, colorImpressions: 1, sheets: 2 },
    { media: 'A3', impressions: 1, colorImpressions: 0, sheets: 1 },
  ]);
  t.same(billableUnits(mixed, { media: 'iso_a4_210x297mm' })!.bySize, [{ media: 'A4', impressions: 3, colorImpressions: 1, sheets: 3 }]);
  t.same(billableUnits(mixed, { media: 'na_letter_8.5x11in' })!.bySize[0]!.media, 'Letter');
});

t.test('unknown pages give null; bad copies throw', async (t) => {
  t.equal(billableUnits(doc(3, [], { pages: null })), null);
  t.throws(() => billableUnits(doc(3), { copies: -1 }), RangeError);
  t.throws(() => billableUnits(doc(3), { copies: 100000 }), RangeError);
  t.match(billableUnits(doc(3), { copies: 0 }), { copies: 1 }, 'IPP copies 0/absent means 1');
});
