// The keywords and delimiters of object syntax as the lexer returns them: one shared
// object each, so that reading them allocates nothing (a module of their own to keep
// lexer.ts within its size).

import { PdfOp, type PdfObj } from './objects.ts';

/** Keywords answered without allocating: the values, and the operators of object syntax. */
export const KEYWORDS: Array<{ text: string; value: PdfObj | PdfOp }> = [
  { text: 'obj', value: new PdfOp('obj') },
  { text: 'endobj', value: new PdfOp('endobj') },
  { text: 'null', value: null },
  { text: 'true', value: true },
  { text: 'false', value: false },
  { text: 'stream', value: new PdfOp('stream') },
  { text: 'endstream', value: new PdfOp('endstream') },
];

export const OP_CLOSE_ARRAY = new PdfOp(']');
export const OP_CLOSE_DICT = new PdfOp('>>');
export const OP_OPEN_BRACE = new PdfOp('{');
export const OP_CLOSE_BRACE = new PdfOp('}');
/** A stray delimiter (')', a lone '>') or an empty keyword. */
export const OP_STRAY = new PdfOp('');
