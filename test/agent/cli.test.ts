// `printgate agent` as a command: help, usage errors (exit 2 with the reason), and a
// token file that cannot be read. Running it for real is in cups-e2e.test.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/printgate.js', import.meta.url));
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const { PRINTGATE_AGENT_TOKEN: _drop, ...base } = process.env;
  return spawnSync(process.execPath, [BIN, 'agent', ...args], { encoding: 'utf8', env: { ...base, ...env }, timeout: 20_000 });
};

t.test('--help', async (t) => {
  const r = run(['--help']);
  t.equal(r.status, 0);
  t.match(r.stdout, /--agent-token-file/);
  t.match(r.stdout, /--state-dir/);
});

t.test('usage errors exit 2 with the reason', async (t) => {
  const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?]> = [
    [['--agent-token', 'x'], /no server/],
    [['--server', 'http://127.0.0.1:1'], /no agent token/],
    [['--server', 'http://127.0.0.1:1', '--agent-token', 'x', '--agent-token-file', '/nonexistent'], /not both/],
    [['--server', 'http://127.0.0.1:1', '--agent-token', 'x', '--concurrency', '0'], /--concurrency/],
    [['--server', 'http://127.0.0.1:1', '--agent-token', 'x', '--log-level', 'loud'], /--log-level/],
    [['--server', 'http://127.0.0.1:1', '--agent-token', 'x', '--reconnect-max', 'soon'], /--reconnect-max/],
    [['--server', 'http://127.0.0.1:1', '--agent-token', 'x', 'extra'], /unexpected argument/i],
    [['--server', 'http://127.0.0.1:1', '--bogus'], /bogus/],
  ];
  for (const [args, why] of cases) {
    const r = run(args);
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr, why, args.join(' '));
  }
});

t.test('the token may come from the environment; an unreadable token file is refused', async (t) => {
  const r = run(['--server', 'http://127.0.0.1:1', '--agent-token-file', '/nonexistent/token']);
  t.equal(r.status, 2);
  t.match(r.stderr, /cannot read the agent token file/);
  const withEnv = run(['--server', 'http://127.0.0.1:1', '--concurrency', '99'], { PRINTGATE_AGENT_TOKEN: 'from-env' });
  t.equal(withEnv.status, 2, 'got past the token check');
  t.match(withEnv.stderr, /--concurrency/);
});
