// Build the copy of printgate that `npm pack` ships: Node does not strip types under
// node_modules, so an installed package must run JavaScript. tsc emits dist/ (rewriting
// ".ts" import specifiers to ".js"); non-code assets (web pages, SQL, .proto) are copied.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const ASSET = /\.(sql|proto|css|html|svg|png|ico|txt|json|js\.map)$/;
const SOURCE_DIRS = ['agent', 'server', 'shared', 'platform', 'cli'];

rmSync(dist, { recursive: true, force: true });
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

function copyAssets(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (ASSET.test(name)) cpSync(path, join(dist, relative(root, path)));
  }
}
for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) copyAssets(join(root, d));
console.log(`built ${relative(process.cwd(), dist) || 'dist'}`);
