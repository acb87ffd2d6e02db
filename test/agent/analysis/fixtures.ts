// Finds the fixture cases: every `fixtures/**/<name>.truth.json` and the spool file beside
// it (`<name>` itself, or the one file `<name>.<ext>` next to it). The one fixture walker:
// shared by the replay test, the fuzz test, the per-parser fixture tests (casesIn) and the
// benchmarks.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');

export interface Truth {
  format: string;
  pages: number | null;
  colorPages: number | null;
  colorPageNumbers: number[] | null;
  truthMethod: string;
  note?: string;
  /** The analysis must fail with this catalogue code. */
  error?: string;
  /** The analysis must say it repaired the file. */
  recovered?: boolean;
  /** Copies the document asks for (checked by the per-parser fixture tests). */
  copies?: number;
  /** Whether the document asks for duplex (checked by the per-parser fixture tests). */
  duplex?: boolean;
}

export interface FixtureCase {
  /** Path relative to the repository root, for test names. */
  name: string;
  file: string;
  truthFile: string;
  truth: Truth;
}

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.name.endsWith('.truth.json')) out.push(p);
  }
}

/** The spool file a truth file describes, or null when there is none (a test failure). */
export function fixtureFor(truthFile: string): string | null {
  const base = truthFile.slice(0, -'.truth.json'.length);
  if (existsSync(base) && statSync(base).isFile()) return base;
  const dir = dirname(truthFile);
  const stem = basename(base);
  const candidates = readdirSync(dir).filter((n) => n.startsWith(`${stem}.`) && !n.endsWith('.truth.json') && statSync(join(dir, n)).isFile());
  return candidates.length === 1 ? join(dir, candidates[0]!) : null;
}

/** Every truth file under fixtures/ (all formats), sorted for a stable order. */
export function truthFiles(): string[] {
  const out: string[] = [];
  walk(FIXTURES, out);
  return out.sort();
}

export function loadCase(truthFile: string): FixtureCase & { file: string | null } {
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Truth;
  return { name: relative(ROOT, truthFile), file: fixtureFor(truthFile) as string, truthFile, truth };
}

/**
 * The cases of one fixtures folder (`fixtures/<dir>/`, e.g. 'pcl5'), sorted. A truth file
 * without its spool file throws: the folder is broken.
 */
export function casesIn(dir: string): FixtureCase[] {
  const root = join(FIXTURES, dir) + sep;
  return truthFiles()
    .filter((f) => f.startsWith(root))
    .map((f) => {
      const c = loadCase(f);
      if (!c.file) throw new Error(`no spool file beside ${c.name}`);
      return c;
    });
}
