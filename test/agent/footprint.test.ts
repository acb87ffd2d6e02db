// What the agent loads, as a guard for its idle memory (docs/agent.md "Idle cost"): the
// module graph `printgate agent` imports (command, CUPS spooler, analysis engine) must not
// bring in node:http's ES-module facade (undici, TLS: ~13 MB), node:https for a plain-HTTP
// server, or anything of the application server (fastify, pg, server/).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

t.test('the agent module graph loads no undici, TLS or server code', async (t) => {
  const code = `import { registerHooks } from 'node:module';
    const urls = [];
    registerHooks({ load(url, ctx, next) { urls.push(url); return next(url, ctx); } });
    await import(${JSON.stringify(root + 'agent/cli.ts')});
    await import(${JSON.stringify(root + 'platform/cups/spooler.ts')});
    await import(${JSON.stringify(root + 'agent/analysis/engine.ts')});
    const { createServerClient } = await import(${JSON.stringify(root + 'agent/client/index.ts')});
    createServerClient({ server: new URL('http://127.0.0.1:1'), token: 'x', userAgent: 't' }).close();
    console.log(JSON.stringify({ urls, builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', cwd: root, timeout: 30_000 });
  t.equal(r.status, 0, r.stderr);
  const { urls, builtins } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { urls: string[]; builtins: string[] };
  t.ok(urls.some((u) => u.endsWith('/agent/pipeline.ts')), 'the hook saw the agent modules');
  for (const b of ['internal/deps/undici/undici', 'tls', 'https']) t.notOk(builtins.includes(b), `built-in ${b} not loaded`);
  const server = urls.filter((u) => /\/node_modules\/(fastify|pg|pg-[^/]+|@fastify)\/|\/server\//.test(u));
  t.same(server, [], 'nothing of the server');
});
