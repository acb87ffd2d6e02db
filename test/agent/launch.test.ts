// The agent's one-time relaunch with its start-up memory settings (agent/launch.ts): which
// command it builds, when it refuses, and, for real, that the relaunched process keeps its
// PID, its arguments and its environment and gets the flags and MALLOC_ARENA_MAX.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS, relaunchCommand } from '../../agent/launch.ts';

const base = {
  execPath: '/usr/bin/node', execArgv: ['--input-type=module', '-e', 'code'], argv: ['/usr/bin/node', 'agent', '--server', 'x'],
  env: { PATH: '/bin' } as NodeJS.ProcessEnv, platform: 'linux' as NodeJS.Platform, execve: () => undefined,
};

t.test('the command: our flags first, then the original node options, script and arguments', async (t) => {
  const cmd = relaunchCommand(base)!;
  t.equal(cmd.file, '/usr/bin/node');
  t.same(cmd.args, ['/usr/bin/node', ...AGENT_NODE_FLAGS, '--input-type=module', '-e', 'code', 'agent', '--server', 'x']);
  t.equal(cmd.env.MALLOC_ARENA_MAX, '2');
  t.equal(cmd.env.PATH, '/bin');
  t.equal(cmd.env.PRINTGATE_AGENT_RELAUNCH, '1');
});

t.test('what the user set wins', async (t) => {
  const cmd = relaunchCommand({ ...base, execArgv: ['--max-semi-space-size=8'], env: { MALLOC_ARENA_MAX: '8', NODE_OPTIONS: '--v8-pool-size=4' } })!;
  t.notOk(cmd.args.some((a) => a === '--max-semi-space-size=1' || a === '--v8-pool-size=1'), 'no duplicate of a flag given');
  t.equal(cmd.env.MALLOC_ARENA_MAX, '8');
});

t.test('no relaunch: already relaunched, turned off, not Linux, no execve', async (t) => {
  t.equal(relaunchCommand({ ...base, env: { PRINTGATE_AGENT_RELAUNCH: '1' } }), null);
  t.equal(relaunchCommand({ ...base, env: { PRINTGATE_AGENT_RELAUNCH: '0' } }), null);
  t.equal(relaunchCommand({ ...base, platform: 'darwin' }), null);
  t.equal(relaunchCommand({ ...base, execve: undefined }), null);
});

t.test('for real: same PID, flags and environment applied, arguments kept', { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  const launch = fileURLToPath(new URL('../../agent/launch.ts', import.meta.url));
  const code = `import { relaunchForIdleMemory } from ${JSON.stringify(launch)};
    if (process.env.FIRST_PID === undefined) process.env.FIRST_PID = String(process.pid);
    relaunchForIdleMemory();
    console.log(JSON.stringify({ pid: process.pid, first: Number(process.env.FIRST_PID), execArgv: process.execArgv.filter((a) => a.startsWith('--') && a !== '--input-type=module'), args: process.argv.slice(1), arena: process.env.MALLOC_ARENA_MAX }));`;
  const { PRINTGATE_AGENT_RELAUNCH: _drop, MALLOC_ARENA_MAX: _drop2, NODE_OPTIONS: _drop3, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, 'one', 'two'], { encoding: 'utf8', env, timeout: 20_000 });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { pid: number; first: number; execArgv: string[]; args: string[]; arena: string };
  t.equal(out.pid, out.first, 'the same process');
  t.equal(r.stdout.trim().split('\n').length, 1, 'the first image printed nothing');
  t.same(out.execArgv, AGENT_NODE_FLAGS);
  t.same(out.args, ['one', 'two']);
  t.equal(out.arena, '2');
});
