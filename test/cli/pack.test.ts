// The package installs and runs elsewhere: `npm pack` (prepack builds dist/, since Node will
// not strip types under node_modules), install the tarball into an empty directory, and
// run the installed `printgate` under the project's Node 24.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

t.test('npm pack -> install elsewhere -> printgate --help on Node 24', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-pack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, env: NPM_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  t.ok(tarball, 'npm pack made a tarball');

  const app = join(dir, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-probe', private: true }));
  // Offline first (the dependencies are in npm's cache after `npm ci`); the registry only
  // as a fallback for a cold cache.
  let install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, tarball!)], { cwd: app, env: NPM_ENV, encoding: 'utf8' });
  if (install.status !== 0) {
    t.comment(`offline install failed, retrying with --prefer-offline: ${install.stderr.split('\n').slice(-3).join(' ')}`);
    install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball!)], { cwd: app, env: NPM_ENV, encoding: 'utf8' });
  }
  t.equal(install.status, 0, install.stderr);

  const installed = join(app, 'node_modules', 'printgate');
  t.ok(existsSync(join(installed, 'dist', 'cli', 'main.js')), 'the built JavaScript is in the package');
  t.notOk(existsSync(join(installed, 'cli', 'main.ts')), 'the TypeScript sources are not');
  t.notOk(existsSync(join(installed, 'test')), 'tests are not shipped');

  const bin = join(app, 'node_modules', '.bin', 'printgate');
  const help = spawnSync(NODE, [bin, '--help'], { cwd: app, encoding: 'utf8' });
  t.equal(help.status, 0, help.stderr);
  t.match(help.stdout, /usage: printgate <command>/);
  for (const name of ['cmd', 'replay']) t.match(help.stdout, new RegExp(`^  ${name} `, 'm'), `${name} is listed`);

  // Sub-commands load from dist too (their modules are only imported when called).
  const cmdHelp = spawnSync(NODE, [bin, 'cmd', '--help'], { cwd: app, encoding: 'utf8' });
  t.equal(cmdHelp.status, 0, cmdHelp.stderr);
  t.match(cmdHelp.stdout, /get-user-account-balance/);
  const replayHelp = spawnSync(NODE, [bin, 'replay', '--help'], { cwd: app, encoding: 'utf8' });
  t.equal(replayHelp.status, 0, replayHelp.stderr);
  const serverHelp = spawnSync(NODE, [bin, 'server', '--help'], { cwd: app, encoding: 'utf8' });
  t.equal(serverHelp.status, 0, serverHelp.stderr);
  t.match(serverHelp.stdout, /usage: printgate server/);
  const usage = spawnSync(NODE, [bin, 'cmd', 'no-such-thing'], { cwd: app, encoding: 'utf8' });
  t.equal(usage.status, 2);
});
