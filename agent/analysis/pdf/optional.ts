// Optional content (layers) as printed: a layer switched off for printing paints nothing,
// so its colour does not count. The print state of each optional content group comes from
// the default configuration (/BaseState, /ON, /OFF) overridden by the /AS usage
// applications for the Print event (the group's /Usage /Print /PrintState). Membership
// dictionaries (OCMD) combine groups by their /P policy; /VE expressions are not evaluated
// (the member list decides).

import type { PdfDocument } from './document.ts';
import { arrayOf, dictOf, isName, nameOf, PdfRef, type PdfObj } from './objects.ts';

export class OptionalContent {
  private readonly hidden: Set<number>;
  private readonly doc: PdfDocument;

  private constructor(doc: PdfDocument, hidden: Set<number>) {
    this.doc = doc;
    this.hidden = hidden;
  }

  /** undefined when the document has no optional content (the common case). */
  static async load(doc: PdfDocument): Promise<OptionalContent | undefined> {
    const root = dictOf(await doc.resolve(doc.trailer.get('Root')));
    const props = dictOf(await doc.resolve(root?.get('OCProperties')));
    if (!props) return undefined;
    const refs = async (o: PdfObj | undefined): Promise<number[]> =>
      (arrayOf(await doc.resolve(o)) ?? []).filter((x): x is PdfRef => x instanceof PdfRef).map((r) => r.num);
    const d = dictOf(await doc.resolve(props.get('D')));
    const all = await refs(props.get('OCGs'));
    const hidden = new Set<number>();
    if (isName(d?.get('BaseState'), 'OFF')) {
      const on = new Set(await refs(d?.get('ON')));
      for (const n of all) if (!on.has(n)) hidden.add(n);
    } else {
      for (const n of await refs(d?.get('OFF'))) hidden.add(n);
    }
    // Usage applications for printing override the default states.
    for (const app of (arrayOf(await doc.resolve(d?.get('AS'))) ?? []).slice(0, 100)) {
      const a = dictOf(await doc.resolve(app));
      if (!isName(a?.get('Event'), 'Print')) continue;
      for (const n of await refs(a?.get('OCGs'))) {
        const ocg = dictOf(await doc.getObject(n));
        const usage = dictOf(await doc.resolve(ocg?.get('Usage')));
        const state = nameOf(dictOf(await doc.resolve(usage?.get('Print')))?.get('PrintState'));
        if (state === 'ON') hidden.delete(n);
        else if (state === 'OFF') hidden.add(n);
      }
    }
    return hidden.size > 0 ? new OptionalContent(doc, hidden) : undefined;
  }

  /** Is this OCG or OCMD (a reference or a dictionary) off when printing? */
  async isHidden(o: PdfObj | undefined): Promise<boolean> {
    if (o instanceof PdfRef && this.hidden.has(o.num)) return true;
    const d = dictOf(await this.doc.resolve(o));
    if (!d || !isName(d.get('Type'), 'OCMD')) return false;
    const m = await this.doc.resolve(d.get('OCGs'));
    const members = (Array.isArray(m) ? m : m ? [d.get('OCGs')] : []).filter((x): x is PdfRef => x instanceof PdfRef);
    if (members.length === 0) return false;
    const off = members.map((r) => this.hidden.has(r.num));
    switch (nameOf(d.get('P')) ?? 'AnyOn') {
      case 'AllOn': return off.some((x) => x);
      case 'AnyOff': return off.every((x) => !x);
      case 'AllOff': return off.some((x) => !x);
      default: return off.every((x) => x); // AnyOn
    }
  }
}
