// PostScript DSC scanner: reads a PostScript file line by line (streaming, bounded line
// length) and collects what the Document Structuring Conventions and a few well-known
// operators say about pages, paper, copies, duplex and colour, plus the reasons the DSC
// cannot be trusted (no %%Page: comments, %%Pages disagreeing with them, showpage or
// EndPage redefined, copypage, an unterminated embedded document). Pages of documents
// embedded between %%BeginDocument and %%EndDocument are not counted. No interpretation.

import { mediaName, normaliseMediaName } from '../../../shared/analysis.ts';
import { checkBudget } from '../errors.ts';
import type { ByteReader } from '../reader.ts';

export interface DscPage {
  /** Paper size name from %%PageMedia or a PageSize set inside the page, if any. */
  media: string | null;
  /** %%PageProcessColors / %%PageCustomColors for this page, when given. */
  processColors: string[] | null;
  customColors: string[] | null;
}

export interface DscInfo {
  /** The first line is %!PS-Adobe-x.y (a conforming document). */
  conforming: boolean;
  eps: boolean;
  /** %%Pages: from the header, or the trailer when the header says (atend). */
  declaredPages: number | null;
  pages: DscPage[];
  /** Paper of the document: setup PageSize, else the first %%DocumentMedia. */
  defaultMedia: string | null;
  copies: number;
  /** `/#copies n def`: Ghostscript prints each page n times for it. */
  hashCopies: number;
  duplex: boolean;
  processColors: string[] | null;
  customColors: string[] | null;
  /** Why the page comments cannot be taken as the page count (empty: trusted). */
  distrust: string[];
  warnings: string[];
}

const MAX_LINE = 64 * 1024;
const latin1 = new TextDecoder('latin1');

/** `/showpage {` ... or `/showpage /x load def`: a redefinition, not a reference. */
const SHOWPAGE_REDEF = /\/showpage\s*(\{|\[|\/[^\s/{}()[\]<>]+\s+load\s+def|(?!load\b)[A-Za-z_]\w*\s+def\b)/;
/** `/showpage {}`: disabled while an included EPS runs (dvips, embedding idioms), not replaced. */
const SHOWPAGE_DISABLED = /\/showpage\s*\{\s*\}/g;
const ENDPAGE_PROC = /\/(EndPage|BeginPage)\s*\{/;
const PAGE_SIZE = /\/PageSize\s*\[\s*([0-9.]+)\s+([0-9.]+)\s*\]/;
const NUM_COPIES = /\/NumCopies\s+([0-9]+)/;
const HASH_COPIES = /\/#copies\s+([0-9]+)\s+def/;
const DUPLEX = /\/Duplex\s+(true|false)/;
const CODE_HINT = /showpage|PageSize|NumCopies|#copies|Duplex|EndPage|BeginPage|copypage/;

export async function scanDsc(r: ByteReader, deadline: number, signal: AbortSignal | undefined): Promise<DscInfo> {
  const info: DscInfo = {
    conforming: false, eps: false, declaredPages: null, pages: [], defaultMedia: null, copies: 1, hashCopies: 1,
    duplex: false, processColors: null, customColors: null, distrust: [], warnings: [],
  };
  const documentMedia = new Map<string, string>(); // DSC media name -> paper name
  let firstMedia: string | null = null;
  let setupSize: string | null = null;
  let headerPages: number | 'atend' | null = null;
  let trailerPages: number | null = null;
  let inHeader = true;
  let inTrailer = false;
  let depth = 0;
  let page: DscPage | null = null;
  let pageHasEmbedded = false;
  let pageRedefinesShowpage = false;
  let lastOrdinal = 0;
  let lineNo = 0;

  for (;;) {
    if ((++lineNo & 0x3ff) === 0) checkBudget(signal, deadline, r.pos);
    const line = await readLine(r);
    if (line === null) break;
    if (lineNo === 1) {
      info.conforming = /^%!PS-Adobe-\d/.test(line);
      info.eps = /EPSF-\d/.test(line);
      if (!line.startsWith('%!') && !line.startsWith('\x04%!')) info.warnings.push('PostScript: no %! header line');
      continue;
    }
    if (line.startsWith('%%') || line.startsWith('%!')) {
      const m = /^%%([A-Za-z]+):?\s*(.*)$/.exec(line);
      if (!m) continue;
      const key = m[1]!;
      const value = m[2]!.trim();
      if (key === 'BeginDocument') { depth++; pageHasEmbedded = true; continue; }
      if (key === 'EndDocument') { depth = Math.max(0, depth - 1); continue; }
      if (key === 'BeginBinary' || key === 'BeginData') {
        await skipData(r, key, value);
        continue;
      }
      if (depth > 0) continue; // comments of an embedded document are not ours
      switch (key) {
        case 'EndComments': inHeader = false; break;
        case 'Pages': {
          if (inTrailer) trailerPages = firstInt(value);
          else if (inHeader && headerPages === null) headerPages = /^\(atend\)/.test(value) ? 'atend' : firstInt(value);
          break;
        }
        case 'Page': {
          inHeader = false;
          closePage();
          const ord = /\s(-?\d+)\s*$/.exec(value);
          const ordinal = ord ? Number(ord[1]) : NaN;
          if (Number.isFinite(ordinal) && ordinal !== lastOrdinal + 1) info.warnings.push('DSC: %%Page: ordinals are not 1, 2, 3...');
          lastOrdinal = Number.isFinite(ordinal) ? ordinal : lastOrdinal + 1;
          page = { media: null, processColors: null, customColors: null };
          info.pages.push(page);
          break;
        }
        case 'Trailer': closePage(); page = null; inTrailer = true; break;
        case 'DocumentMedia': {
          // name width height weight colour type; the first is the default.
          const mm = /^(\S+)\s+([0-9.]+)\s+([0-9.]+)/.exec(value);
          if (mm) {
            const paper = mediaName(Number(mm[2]), Number(mm[3]));
            documentMedia.set(mm[1]!, paper);
            firstMedia ??= paper;
          }
          break;
        }
        case 'PageMedia':
          if (page) page.media = documentMedia.get(value) ?? normaliseMediaName(value);
          break;
        case 'Requirements':
          if (/\bduplex\b/i.test(value)) info.duplex = true;
          {
            const c = /numcopies\((\d+)\)/i.exec(value);
            if (c) info.copies = clampCopies(Number(c[1]));
          }
          break;
        case 'IncludeFeature':
        case 'BeginFeature': {
          const f = /^\*Duplex\s+(\S+)/.exec(value);
          if (f) info.duplex = !/^(None|Simplex|False|Off)$/i.test(f[1]!);
          break;
        }
        case 'DocumentProcessColors':
          if (!/^\(atend\)/.test(value) && (inTrailer || info.processColors === null)) info.processColors = value.split(/\s+/).filter(Boolean);
          break;
        case 'DocumentCustomColors':
          if (!/^\(atend\)/.test(value) && (inTrailer || info.customColors === null)) info.customColors = value.split(/\s+/).filter(Boolean);
          break;
        case 'PageProcessColors':
          if (page) page.processColors = value.split(/\s+/).filter(Boolean);
          break;
        case 'PageCustomColors':
          if (page) page.customColors = value.split(/\s+/).filter(Boolean);
          break;
      }
      continue;
    }
    if (line.startsWith('%')) continue;
    // Program text: only a few operators matter, and only outside embedded documents.
    if (depth > 0 || !CODE_HINT.test(line)) continue;
    const code = stripStrings(line);
    // In the prolog an empty `/showpage {}` belongs to an EPS-inclusion procedure
    // (dvips' @beginspecial and the like); inside a page it stops that page printing.
    if (SHOWPAGE_REDEF.test(page ? code : code.replace(SHOWPAGE_DISABLED, ''))) {
      if (page) pageRedefinesShowpage = true;
      else info.distrust.push('showpage is redefined');
    }
    if (ENDPAGE_PROC.test(code)) info.distrust.push('an EndPage/BeginPage procedure is installed');
    if (/(^|[^/\w])copypage\b/.test(code)) info.distrust.push('copypage is used');
    const ps = PAGE_SIZE.exec(code);
    if (ps) {
      const paper = mediaName(Number(ps[1]), Number(ps[2]));
      if (page) page.media = paper;
      else setupSize = paper;
    }
    const nc = NUM_COPIES.exec(code);
    if (nc) info.copies = clampCopies(Number(nc[1]));
    const hc = HASH_COPIES.exec(code);
    if (hc) {
      info.copies = clampCopies(Number(hc[1]));
      info.hashCopies = info.copies;
    }
    const dp = DUPLEX.exec(code);
    if (dp) info.duplex = dp[1] === 'true';
  }
  closePage();

  function closePage(): void {
    // Redefining showpage inside a page is the standard way to embed an EPS or a
    // document; without an embedded document it changes what the page prints.
    if (pageRedefinesShowpage && !pageHasEmbedded) info.distrust.push('showpage is redefined inside a page');
    pageRedefinesShowpage = false;
    pageHasEmbedded = false;
  }

  info.declaredPages = headerPages === 'atend' ? trailerPages : headerPages;
  if (headerPages === 'atend' && trailerPages === null) info.warnings.push('DSC: %%Pages: (atend) without a trailer value');
  info.defaultMedia = setupSize ?? firstMedia;
  if (!info.conforming) info.distrust.push('not a DSC-conforming document (%!PS-Adobe- header missing)');
  if (info.pages.length === 0) info.distrust.push('no %%Page: comments');
  if (info.declaredPages !== null && info.pages.length > 0 && info.declaredPages !== info.pages.length) {
    info.distrust.push(`%%Pages: says ${info.declaredPages} but there are ${info.pages.length} %%Page: comments`);
  }
  if (depth > 0) info.distrust.push('%%BeginDocument without %%EndDocument');
  info.distrust = [...new Set(info.distrust)];
  info.warnings = [...new Set(info.warnings)];
  return info;
}

function firstInt(s: string): number | null {
  const m = /^(\d+)/.exec(s);
  return m ? Number(m[1]) : null;
}

function clampCopies(n: number): number {
  return Number.isFinite(n) && n >= 1 ? Math.min(Math.floor(n), 9999) : 1;
}

/** Remove (string) literals so that text inside strings is not taken for code. */
function stripStrings(line: string): string {
  return line.includes('(') ? line.replace(/\((?:[^()\\]|\\.)*\)/g, '()') : line;
}

/** One line without its end of line (CR, LF or CRLF), null at the end of the file. */
async function readLine(r: ByteReader): Promise<string | null> {
  if ((await r.ensure(MAX_LINE + 2)) === 0) return null;
  let n = 0;
  const lim = Math.min(r.available, MAX_LINE);
  while (n < lim) {
    const b = r.peek(n);
    if (b === 0x0a || b === 0x0d) break;
    n++;
  }
  // Only the first 256 bytes of a long line are decoded: DSC lines are short, and long
  // lines are image data.
  const bytes = r.bytes(n);
  const text = latin1.decode(bytes.subarray(0, 256));
  const b = r.peek(0);
  if (b === 0x0d) {
    r.skip(1);
    if (r.peek(0) === 0x0a) r.skip(1);
  } else if (b === 0x0a) r.skip(1);
  return text;
}

/** %%BeginBinary: n / %%BeginData: n [type [Bytes|Lines]]: skip the data that follows. */
async function skipData(r: ByteReader, key: string, value: string): Promise<void> {
  const m = /^(\d+)(?:\s+\S+(?:\s+(Bytes|Lines))?)?/.exec(value);
  if (!m) return;
  const n = Number(m[1]);
  if (key === 'BeginData' && m[2] === 'Lines') {
    for (let i = 0; i < n; i++) if ((await readLine(r)) === null) return;
    return;
  }
  r.skip(Math.max(0, Math.min(n, r.size - r.pos)));
}
