// The media tally every result carries: paper sizes in order of first use, with their page
// and colour page counts. Shared by the parsers that build results from per-page facts
// (PostScript/PCL summaries, raster, images). Pure.

import type { MediaUse } from '../../shared/analysis.ts';

/**
 * Tally per-page paper names (null: the page does not say; left out) and colour flags
 * (truthy: a colour page) into media uses, in order of first appearance.
 */
export function mediaUses(names: ReadonlyArray<string | null>, flags: ReadonlyArray<boolean | null>): MediaUse[] {
  const byName = new Map<string, MediaUse>();
  names.forEach((name, i) => {
    if (name === null) return;
    let use = byName.get(name);
    if (!use) {
      use = { name, pages: 0, colorPages: 0 };
      byName.set(name, use);
    }
    use.pages++;
    if (flags[i]) use.colorPages++;
  });
  return [...byName.values()];
}
