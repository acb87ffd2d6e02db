// The web tools in a real browser (Chromium driven by Playwright) against the real
// `printgate server` process, with `printgate replay` as the print provider: a user logs
// in and sees the balance; a job held on a release-required printer is released from the
// web page and charged; a job waiting for account selection goes on after the choice in
// the live client; an admin changes a printer's price and the next job costs the new
// price; the job log exports CSV. Screenshots of the main pages go to artifacts/.

import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, needsChromium, screenshot } from '../../helpers/browser.ts';
import { ADMIN_TOKEN, BIN, ROOT, printgate, startServer, type RunResult } from '../../cli/server-process.ts';

const PDF = join(ROOT, 'fixtures', 'pdf', 'colour-page-among-gray.pdf'); // 3 pages, 1 colour
const PW = 'alice-password-1';
const ADMIN_PW = 'admin-password-1';

/** `printgate replay` in the background (it waits for a held job's fate). */
function replayBg(url: string, tokenFile: string, user: string, ...args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'replay', '--server', url, '--agent-token-file', tokenFile, '--user', user, '--printer', 'office', '--json', ...args, PDF],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PRINTGATE_AGENT_TOKEN: undefined } as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

t.test('web tools in Chromium', { skip: needsChromium(), timeout: 180_000 }, async (t) => {
  process.env.PRINTGATE_ADMIN_PASSWORD = ADMIN_PW; // inherited by the server: the first admin password
  const server = await startServer(t);
  delete process.env.PRINTGATE_ADMIN_PASSWORD;
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}/api/admin/v1${path}`, {
      method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const agent = await api('POST', '/agents', { name: 'print1' });
  const tokenFile = join(server.dataDir, 'agent.token');
  writeFileSync(tokenFile, `${agent.token}\n`, { mode: 0o600 });
  await api('POST', '/users', { name: 'alice', balance: '5.00' });
  await api('PUT', '/users/alice/password', { password: PW });
  // The printer appears with the first job; then it requires release at 0.10 a page.
  const first = await printgate(['replay', '--server', server.url, '--agent-token-file', tokenFile, '--user', 'alice', '--printer', 'office', '--json', PDF]);
  t.equal(first.code, 0, first.stderr);
  await api('PATCH', `/printers/${encodeURIComponent('print1/office')}`, { costModel: { type: 'simple', perPage: '0.10' }, releaseRequired: true });
  await api('POST', '/users/alice/set-balance', { balance: '5.00' });

  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const context = await browser.browser.newContext({ acceptDownloads: true });
  // Any script error or refused resource (CSP) in any page fails the test at the end.
  const problems: string[] = [];
  context.on('page', (p) => {
    p.on('pageerror', (e) => problems.push(`${p.url()}: ${e.message}`));
    p.on('console', (m) => { if (m.type() === 'error') problems.push(`${p.url()}: ${m.text()}`); });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);

  await t.test('a user logs in and sees the balance', async (t) => {
    await page.goto(`${server.url}/`);
    await screenshot(page, 'user-login');
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill(PW);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${server.url}/`);
    t.equal((await page.locator('[data-balance="print"]').textContent())?.trim(), '5.00 USD');
    await screenshot(page, 'user-balance');
  });

  await t.test('a held job is released from the web and charged', async (t) => {
    const replay = replayBg(server.url, tokenFile, 'alice', '--wait', '45');
    while ((await api('GET', '/jobs?status=held')).items.length === 0) await new Promise((r) => setTimeout(r, 200));
    await page.reload();
    const held = page.locator('.question');
    t.match(await held.textContent(), /Waiting for release \(0\.30 USD\)/);
    await screenshot(page, 'user-held-job');
    await held.getByRole('button', { name: 'Release' }).click();
    await page.waitForURL(/msg=released/);
    const r = await replay;
    t.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    t.equal(out.decision, 'RELEASED');
    t.equal(out.cost, '0.30', 'charged 3 pages × 0.10');
    await page.goto(`${server.url}/`);
    t.equal((await page.locator('[data-balance="print"]').textContent())?.trim(), '4.70 USD');
  });

  await t.test('a job waiting for account selection goes on after the choice in the live client', async (t) => {
    await api('PATCH', `/printers/${encodeURIComponent('print1/office')}`, { releaseRequired: false });
    await api('PUT', '/config/account.selection', { value: 'choose' });
    await api('POST', '/shared-accounts', { name: 'projects', balance: '10.00' });
    await api('POST', '/shared-accounts/projects/access', { user: 'alice' });
    await page.goto(`${server.url}/client`);
    await page.locator('#live-status', { hasText: 'Connected' }).waitFor();
    const replay = replayBg(server.url, tokenFile, 'alice', '--wait', '45');
    const question = page.locator('#live-questions .question');
    await question.waitFor();
    t.match(await question.textContent(), /Which account pays for this job \(0\.30 USD\)\?/);
    await screenshot(page, 'user-live-client');
    await question.getByLabel('Account').selectOption('projects');
    await question.getByRole('button', { name: 'Print' }).click();
    const r = await replay;
    t.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    t.equal(out.decision, 'RELEASED');
    t.equal(out.account, 'projects');
    await page.locator('[data-balance="projects"]', { hasText: '9.70' }).waitFor();
    t.pass('the shared account was charged and the live page shows it');
    await api('PUT', '/config/account.selection', { value: 'default' });
  });

  const adminPage = await context.newPage();
  adminPage.setDefaultTimeout(20_000);
  await t.test('an admin changes a printer price; the next job costs the new price', async (t) => {
    await adminPage.goto(`${server.url}/admin`);
    await adminPage.getByLabel('Administrator', { exact: true }).fill('admin');
    await adminPage.getByLabel('Password').fill(ADMIN_PW);
    await adminPage.getByRole('button', { name: 'Log in' }).click();
    await adminPage.getByRole('heading', { name: 'Pages per day' }).waitFor();
    await screenshot(adminPage, 'admin-dashboard');
    await adminPage.goto(`${server.url}/admin/printers`);
    await adminPage.getByLabel('Price per page (USD)').fill('0.25');
    await adminPage.getByRole('button', { name: 'Save print1/office' }).click();
    await adminPage.waitForURL(/msg=saved/);
    await screenshot(adminPage, 'admin-printers');
    const r = await printgate(['replay', '--server', server.url, '--agent-token-file', tokenFile, '--user', 'alice', '--printer', 'office', '--json', PDF]);
    const out = JSON.parse(r.stdout);
    t.equal(out.decision, 'ALLOW');
    t.equal(out.cost, '0.75', '3 pages × the new 0.25');
  });

  await t.test('the job log exports CSV', async (t) => {
    await adminPage.goto(`${server.url}/admin/jobs?user=alice`);
    await screenshot(adminPage, 'admin-job-log');
    const [download] = await Promise.all([adminPage.waitForEvent('download'), adminPage.getByRole('link', { name: /Export these jobs as CSV/ }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    t.equal(csv[0], 'id,created,user,account,printer,title,pages,colorPages,copies,impressions,colorImpressions,sheets,duplex,grayscale,cost,refunded,decision,status,reason');
    t.equal(csv.length, 5, 'four jobs of alice');
    t.match(csv[1], /,alice,print,print1\/office,.*,0\.75,0\.00,ALLOW,printed,/, 'the newest job first, at the new price');
    await adminPage.setViewportSize({ width: 390, height: 800 });
    await screenshot(adminPage, 'admin-job-log-phone');
    await adminPage.setViewportSize({ width: 1280, height: 800 });
  });

  await t.test('screenshots of the other main pages; labels; keyboard; no script errors anywhere', async (t) => {
    // Every visible form control has a label (or an aria-label), on every main page.
    // (Strings: the test files are type-checked without the DOM library.)
    const unlabelled = (p: typeof page) => p.evaluate<string[]>(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label')).map((e) => e.outerHTML)`);
    for (const [path, name] of [['/', ''], ['/jobs', 'user-jobs'], ['/transactions', 'user-transactions'], ['/cards', 'user-cards'], ['/password', 'user-password'], ['/client', '']]) {
      await page.goto(`${server.url}${path}`);
      if (name) await screenshot(page, name);
      t.same(await unlabelled(page), [], `${path}: every control is labelled`);
    }
    for (const path of ['/admin', '/admin/users', '/admin/accounts', '/admin/printers', '/admin/jobs', '/admin/cards', '/admin/settings']) {
      await adminPage.goto(`${server.url}${path}`);
      t.same(await unlabelled(adminPage), [], `${path}: every control is labelled`);
    }
    // The first Tab reaches the skip link, which moves focus to the main content.
    await page.goto(`${server.url}/jobs`);
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate<string>('document.activeElement.textContent'), 'Skip to content');
    await page.keyboard.press('Enter');
    t.match(page.url(), /#main$/);
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${server.url}/`);
    await screenshot(page, 'user-balance-phone');
    for (const [path, name] of [['/admin/users', 'admin-users'], ['/admin/accounts', 'admin-accounts'], ['/admin/cards', 'admin-cards']]) {
      await adminPage.goto(`${server.url}${path}`);
      await screenshot(adminPage, name!);
    }
    t.same(problems, [], 'no page errors or refused resources');
  });
});
