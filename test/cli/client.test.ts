// `printgate client` against the real `printgate server` process: it refuses a wrong
// password; logged in, it shows the balance and the low-credit warning, asks which
// account pays for a held job (with the shared account's PIN; a wrong PIN is refused by
// the server and asked again), asks to confirm a job's cost and cancels on "n", reports
// a denied job with its reason, and stops cleanly on SIGTERM. Jobs come through the real
// agent API (JSON) as a print provider would send them.

import t from 'tap';
import { spawn } from 'node:child_process';
import { ADMIN_TOKEN, BIN, printgate, startServer } from './server-process.ts';
import { hasCommand, needs } from '../helpers/system.ts';

const PW = 'alice-password-1';

t.test('printgate client', { timeout: 120_000 }, async (t) => {
  const server = await startServer(t);
  const call = async (path: string, method: string, body: unknown, token = ADMIN_TOKEN) => {
    const r = await fetch(`${server.url}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const admin = (method: string, path: string, body?: unknown) => call(`/api/admin/v1${path}`, method, body ?? {});
  const { token } = await admin('POST', '/agents', { name: 'print1' });
  await call('/api/agent/v1/register', 'POST', { hostname: 'ps1', printers: [{ queue: 'office' }] }, token);
  await admin('PATCH', `/printers/${encodeURIComponent('print1/office')}`, { costModel: { type: 'simple', perPage: '0.10' } });
  await admin('POST', '/users', { name: 'alice', balance: '0.50' });
  await admin('POST', '/shared-accounts', { name: 'projects', balance: '10.00', pin: '1234' });
  await admin('POST', '/shared-accounts/projects/access', { user: 'alice' });
  await admin('PUT', '/config/account.selection', { value: 'choose' });
  const setPw = await printgate(['cmd', 'set-user-password', 'alice'], server.env);
  t.equal(setPw.code, 2, 'the password comes from standard input (none: usage error)');
  // `printgate cmd` reads the password from stdin.
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, 'cmd', 'set-user-password', 'alice'], { env: { ...process.env, ...server.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`set-user-password: ${code} ${err}`))));
    c.stdin.end(`${PW}\n`);
  });

  let n = 0;
  const authorize = async (pages: number, host = 'ws1') => call('/api/agent/v1/authorize', 'POST', {
    idempotencyKey: `k${++n}`,
    job: { queue: 'office', spoolerJobId: String(n), user: 'alice', host, title: `doc${n}.pdf`, copies: 1 },
    analysis: { format: 'pdf', pagesKnown: true, pages, colorKnown: true, colorPages: 0, method: 'test' },
  }, token);

  await t.test('a wrong password is refused', async (t) => {
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'client', '--server', server.url, '--user', 'alice'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => resolve({ code, err }));
      c.stdin.end('not the password\n');
    });
    t.equal(r.code, 1);
    t.match(r.err, /log-in refused: Wrong user name or password/);
  });

  await t.test('on a terminal the password is prompted without echo', { skip: needs('script', hasCommand('script')) }, async (t) => {
    // util-linux `script` runs the client on a pseudo-terminal fed from our pipe.
    const command = [process.execPath, BIN, 'client', '--server', server.url, '--user', 'alice'].map((a) => `'${a}'`).join(' ');
    const c = spawn('script', ['-qefc', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    t.teardown(() => { if (c.exitCode === null) c.kill('SIGKILL'); });
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 20_000;
      while (!re.test(out)) {
        if (Date.now() > deadline || c.exitCode !== null) throw new Error(`no ${re} in: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor(/Password for alice: /);
    c.stdin.write(`${PW}\r`);
    await waitFor(/logged in as alice/);
    t.notMatch(out, new RegExp(PW), 'the password was not echoed');
    c.stdin.write('\u0003');
    c.kill('SIGTERM');
  });

  await t.test('questions, answers, warnings and refusals', async (t) => {
    const child = spawn(process.execPath, [BIN, 'client', '--server', server.url, '--user', 'alice', '--host', 'localhost.localdomain'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    const waitFor = async (re: RegExp, from = 0) => {
      const deadline = Date.now() + 20_000;
      while (!re.test(out.slice(from))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output:\n${out}\n${err}`);
        if (child.exitCode !== null) throw new Error(`client exited: ${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return out.length;
    };
    child.stdin.write(`${PW}\n`);
    await waitFor(/logged in as alice/);
    await waitFor(/balance: print 0\.50 USD, projects 10\.00 USD/);
    t.pass('the balances');
    await waitFor(/warning: your balance is low \(below 1\.00 USD\)/);
    t.pass('the low-credit warning');

    const held = await authorize(3);
    t.equal(held.decision, 'HOLD');
    t.equal(held.holdKind, 'CHOOSE_ACCOUNT');
    let mark = await waitFor(/Which account pays for this job \(0\.30 USD\)\?[\s\S]*2\) projects \(shared\) \[PIN\][\s\S]*answer \[1-2, or n to cancel\]:/);
    child.stdin.write('2\n');
    mark = await waitFor(/PIN for projects:/, mark);
    child.stdin.write('0000\n');
    mark = await waitFor(/refused by the server: The PIN of the account is wrong[\s\S]*answer \[1-2/, mark);
    t.pass('a wrong PIN is refused and the question asked again');
    child.stdin.write('projects\n');
    mark = await waitFor(/PIN for projects:/, mark);
    child.stdin.write('1234\n');
    mark = await waitFor(new RegExp(`job ${held.jobId}: released \\(account projects\\)`), mark);
    const job = await fetch(`${server.url}/api/admin/v1/jobs/${held.jobId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json()) as { status: string; account: string };
    t.equal(job.status, 'authorized');
    t.equal(job.account, 'projects');

    await admin('PUT', '/config/account.selection', { value: 'default' });
    await admin('PATCH', `/printers/${encodeURIComponent('print1/office')}`, { confirmRequired: true });
    const confirm = await authorize(2);
    t.equal(confirm.holdKind, 'CONFIRM');
    mark = await waitFor(/This job costs 0\.20 USD — print\?[\s\S]*answer \[y\/n\]:/, mark);
    child.stdin.write('n\n');
    mark = await waitFor(new RegExp(`job ${confirm.jobId}: cancelled`), mark);
    t.pass('a confirmation answered no cancels the job');

    // Popup authentication: a job to claim is asked about only on the host it came from
    // (the client's --host, matched without the domain), and the server takes the claim
    // only from that host's address: the job comes from localhost, as the client does.
    await admin('PATCH', `/printers/${encodeURIComponent('print1/office')}`, { confirmRequired: false, claimRequired: true });
    const elsewhere = await authorize(1, 'ws9');
    const here = await authorize(1, 'localhost');
    t.equal(here.holdKind, 'CLAIM');
    mark = await waitFor(new RegExp(`job ${here.jobId} \\(doc${n}\\.pdf\\) on print1/office: Is this your job\\?[\\s\\S]*answer \\[y/n\\]:`), mark);
    t.notMatch(out, new RegExp(`job ${elsewhere.jobId} `), 'not asked about a job from another host');
    child.stdin.write('y\n');
    mark = await waitFor(new RegExp(`job ${here.jobId}: released`), mark);
    t.pass('claimed from the originating host');

    await admin('PATCH', `/printers/${encodeURIComponent('print1/office')}`, { claimRequired: false });
    const denied = await authorize(30);
    t.equal(denied.decision, 'DENY');
    await waitFor(new RegExp(`job ${denied.jobId} \\(doc${n}\\.pdf\\) on print1/office was refused: .+`), mark);
    t.pass('a denied job with its reason');

    child.kill('SIGTERM');
    t.equal(await exited, 0, 'stops cleanly');
  });
});
