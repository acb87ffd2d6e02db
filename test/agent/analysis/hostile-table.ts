// A detection table with two hostile parsers for isolated.test.ts, loaded inside the
// analysis worker: files starting "HANG" never return from a synchronous loop, files
// starting "HOG" allocate without end; everything else goes to the real registry.
import type { DetectionEntry } from '../../../agent/analysis/detect.ts';
import { REGISTRY } from '../../../agent/analysis/registry.ts';

const starts = (head: Uint8Array, s: string) => [...s].every((c, i) => head[i] === c.charCodeAt(0));

export const TABLE: DetectionEntry[] = [
  {
    priority: 1000,
    note: 'hostile',
    parser: {
      format: 'text',
      sniff: (head) => (starts(head, 'HANG') || starts(head, 'HOG') ? 100 : 0),
      analyze: async (source) => {
        const head = await source.read(0, 4);
        if (starts(head, 'HANG')) for (;;) { /* never yields */ }
        const hoard: number[][] = [];
        for (;;) hoard.push(new Array<number>(1 << 16).fill(1));
      },
    },
  },
  ...REGISTRY,
];
