// End to end, part 1: the real `printgate server` (temporary data directory, SQLite)
// driven by `printgate cmd` as a child process. Balances print exactly, refusals exit 1
// with a one-line reason and code, usage mistakes exit 2. Part 2 (replay-server.test.ts)
// replays spool files.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, cmdRunner, printgate, startServer, type RunningServer } from './server-process.ts';

t.test('printgate cmd against a running server', { timeout: 120_000 }, async (t) => {
  const server: RunningServer = await startServer(t);
  const { cmd, ok } = cmdRunner(t, server);
  let agentToken = '';

  await t.test('agents: add-agent prints the token last; list-agents shows it', async (t) => {
    const out = await ok('add-agent', 'print1');
    agentToken = out.trim().split('\n').at(-1)!;
    t.ok(agentToken.length >= 16, 'a token on the last line');
    t.match(await ok('list-agents'), /^print1\tnever\t/m);
    const dup = await cmd('add-agent', 'print1');
    t.equal(dup.code, 1);
    t.match(dup.stderr, /^printgate cmd: .*\[ALREADY_EXISTS\]\n$/);
  });

  await t.test('users and balances', async (t) => {
    t.equal(await ok('add-new-user', 'alice', '--full-name', 'Alice Liddell'), '');
    t.equal(await ok('get-user-account-balance', 'alice'), '0.00\n', 'new users start at zero');
    t.equal(await ok('set-user-account-balance', 'alice', '4.70', 'start of term'), '4.70\n');
    t.equal(await ok('get-user-account-balance', 'alice'), '4.70\n');
    t.equal(await ok('adjust-user-account-balance', 'alice', '-1.25', 'correction'), '3.45\n');
    t.equal(await ok('adjust-user-account-balance', 'alice', '1.25'), '4.70\n');
    t.equal(await ok('user-exists', 'alice'), 'true\n');
    t.equal(await ok('user-exists', 'nobody'), 'false\n');
    t.match(await ok('list-user-accounts'), /^alice\t4\.70\tprepaid\trestricted\tAlice Liddell$/m);
    const json = JSON.parse(await ok('--json', 'get-user-account-balance', 'alice')) as { balance: string; balanceMinor: number };
    t.same([json.balance, json.balanceMinor], ['4.70', 470]);
    t.equal(await ok('set-user-property', 'alice', 'email', 'alice@example.org'), '');
    t.equal(await ok('get-user-property', 'alice', 'email'), 'alice@example.org\n');
    t.match(await ok('list-user-transactions', 'alice'), /\tadjust\t1\.25\t4\.70\t/);

    await ok('add-new-user', 'carol');
    t.equal(await ok('delete-existing-user', 'carol'), '');
    t.equal(await ok('user-exists', 'carol'), 'false\n');
  });

  await t.test('refusals exit 1 with one line; usage mistakes exit 2', async (t) => {
    const bob = await cmd('get-user-account-balance', 'bob');
    t.same([bob.code, bob.stdout], [1, '']);
    t.match(bob.stderr, /^printgate cmd: .*bob.* \[UNKNOWN_USER\]\n$/);
    const again = await cmd('add-new-user', 'alice');
    t.equal(again.code, 1);
    t.match(again.stderr, /\[ALREADY_EXISTS\]\n$/);
    const badAmount = await cmd('adjust-user-account-balance', 'alice', '1.234');
    t.equal(badAmount.code, 1);
    t.match(badAmount.stderr, /\[(INVALID_AMOUNT|VALIDATION_FAILED)\]\n$/);
    for (const args of [['set-group-quota', 'staff', '5.00', 'hourly', '20.00'], ['adjust-user-account-balance', 'alice'], ['frobnicate']]) {
      const r = await cmd(...args);
      t.equal(r.code, 2, args.join(' '));
    }
    const anonymous = await printgate(['cmd', 'list-user-accounts', '--data', server.dataDir], { PRINTGATE_SERVER: server.url, PRINTGATE_ADMIN_TOKEN: 'not-the-admin-token-0000' });
    t.equal(anonymous.code, 1);
    t.match(anonymous.stderr, /\[(INVALID_TOKEN|UNAUTHENTICATED)\]\n$/);
    const asAgent = await printgate(['cmd', 'list-user-accounts'], { PRINTGATE_SERVER: server.url, PRINTGATE_ADMIN_TOKEN: agentToken });
    t.equal(asAgent.code, 1, 'an agent token does not open the admin API');
    t.match(asAgent.stderr, /\[(FORBIDDEN|INVALID_TOKEN|UNAUTHENTICATED)\]\n$/);
  });

  await t.test('groups, quotas, shared accounts, settings', async (t) => {
    await ok('add-new-group', 'staff');
    await ok('add-user-to-group', 'alice', 'staff');
    await ok('set-group-quota', 'staff', '5.00', 'weekly', '20.00');
    t.match(await ok('list-groups'), /^staff\t1\t[a-z]*\t5\.00 weekly max 20\.00$/m);
    t.match(await ok('get-user-property', 'alice', 'groups'), /staff/);
    const missing = await cmd('add-user-to-group', 'alice', 'nogroup');
    t.equal(missing.code, 1);
    t.match(missing.stderr, /\[UNKNOWN_GROUP\]\n$/);
    await ok('remove-user-from-group', 'alice', 'staff');

    await ok('add-new-shared-account', 'research', '--balance', '10.00');
    t.equal(await ok('adjust-shared-account-account-balance', 'research', '-2.50', 'toner'), '7.50\n');
    await ok('add-shared-account-access', 'research', '--user', 'alice');
    t.match(await ok('list-shared-accounts'), /^research\t7\.50\talice\t$/m);

    t.equal(await ok('get-config-value', 'currency'), 'USD\n');
    await ok('set-config-value', 'low-balance.threshold', '2.00');
    t.equal(await ok('get-config-value', 'low-balance.threshold'), '2.00\n');
    t.match(await ok('list-config-values'), /^currency\tUSD\tUSD$/m);
    const unknown = await cmd('get-config-value', 'no.such.key');
    t.equal(unknown.code, 1);
    t.match(unknown.stderr, /\[UNKNOWN_CONFIG_KEY\]\n$/);
  });

  await t.test('the admin token file in the data directory works without the environment', async (t) => {
    // The server was given PRINTGATE_ADMIN_TOKEN, so it wrote no file: make one as an
    // operator would, and call without the environment variable.
    writeFileSync(join(server.dataDir, 'admin.token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    const r = await printgate(['cmd', '--server', server.url, '--data', server.dataDir, 'get-user-account-balance', 'alice'], { PRINTGATE_ADMIN_TOKEN: undefined });
    t.same([r.code, r.stdout], [0, '4.70\n'], r.stderr);
  });
});
