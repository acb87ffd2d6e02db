// A detection table of hostile parsers for isolated.test.ts: one never returns from a
// synchronous loop, one allocates without end. Loaded inside the analysis worker.
import type { DetectionEntry } from '../../../agent/analysis/detect.ts';

const spin = process.env.HOSTILE === 'memory' ? 'memory' : 'loop';
export const TABLE: DetectionEntry[] = [{
  priority: 1,
  note: 'hostile',
  parser: {
    format: 'text',
    sniff: () => 100,
    analyze: async () => {
      if (spin === 'loop') for (;;) { /* never yields */ }
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array<number>(1 << 16).fill(1));
    },
  },
}];
