// Document-name patterns: case-insensitive globs with `*` (any run) and `?` (one
// character). Matched by the classic two-pointer algorithm that remembers only the last
// `*`, so time is at most O(pattern × text) and never exponential: a hostile pattern
// cannot stall the server the way a backtracking regular expression can (ReDoS).

export const MAX_PATTERN_LENGTH = 200;
export const MAX_TITLE_LENGTH = 1024;

export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const s = text.slice(0, MAX_TITLE_LENGTH).toLowerCase();
  let pi = 0, si = 0, starP = -1, starS = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++; si++;
    } else if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      // Let the last `*` swallow one more character and retry after it.
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
