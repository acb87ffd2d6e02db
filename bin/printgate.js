#!/usr/bin/env node
// Entry point of the `printgate` command. In a checkout Node runs the TypeScript sources
// directly (type stripping); in an installed package, where Node will not strip types
// under node_modules, it runs the built copy in dist/ that `npm pack` ships.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`printgate: needs Node.js 24 or later (this is ${process.version}); run it through npm/npx in the project, which uses the pinned Node 24\n`);
  process.exit(1);
}
// Built-ins through getBuiltinModule, not `import`: for an imported built-in Node builds a
// module namespace by reading every export, and `node:fs`'s lazy `promises` export alone
// loads fs/promises, readline, a REPL history module and more (the command loaded 131
// built-in modules where `node -e 0` loads 78).
const { existsSync } = process.getBuiltinModule('node:fs');
const { enableCompileCache } = process.getBuiltinModule('node:module');
const { setFlagsFromString } = process.getBuiltinModule('node:v8');
// Node's on-disk compile cache (keyed by file content and Node version; in the OS temp
// directory unless NODE_COMPILE_CACHE names one, off with NODE_DISABLE_COMPILE_CACHE=1):
// later runs skip type stripping and parsing, which otherwise cost about 0.2 s of CPU and
// 40 MB of memory (the stripper's WebAssembly heap) every time the command starts.
enableCompileCache();
// `analyze` allocates short-lived objects at a high rate, and V8 would grow the young
// generation to 64 MB for it: most of the peak memory. Keeping it at its initial size
// (semi-spaces are never grown) bounds the peak (a 50,000-page PDF: 211 MB -> 137 MB) at
// no cost in CPU time. V8 reads the flag whenever it considers growing, so setting it
// here, before the work, takes effect. (`agent` sets its own flags: agent/launch.ts.)
// `--no-turbofan`: a one-shot analysis spends more CPU compiling hot parser code with V8's
// top tier (on background threads, deoptimising and recompiling as new paths show up)
// than the faster code gives back; Maglev, the tier below, compiles in a fraction of the
// time. Measured on the 17 benchmark manuals: 590 -> 480 ms of CPU for the whole process;
// the 515 MB image PDF 2.65 -> 2.57 s; the 560 MB, 100,000-page text PDF 9.25 -> 10.0 s
// (docs/analysis-pdf.md).
//
// Changing a V8 flag changes V8's flag hash, and V8 then rejects the code cache that Node
// ships for its own built-in modules: a built-in first loaded after this point is compiled
// from source (zlib 0.8 -> 1.6 ms). So the built-ins `analyze` needs are loaded first: zlib
// (Flate), util's parseArgs, and stdout's stream (a file, pipe or terminal).
//
// `--no-lazy`: V8 compiles a function the first time it is called, and Node's compile cache
// holds the code cache V8 made when the module was compiled, so it lacks every function
// compiled later: each run parsed and compiled the same ~280 engine functions again
// (`--log-function-events`). Compiled eagerly, they are all in the cache (544 -> 788 KB)
// and a later run deserialises them. The 17 benchmark manuals: 434 -> 424 ms of CPU.
if (process.argv[2] === 'analyze') {
  process.getBuiltinModule('node:zlib');
  void process.getBuiltinModule('node:util').parseArgs;
  void process.stdout;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--no-turbofan');
  setFlagsFromString('--no-lazy');
}
const source = new URL('../cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(source) ? source : built;
// Our TypeScript sources import each other by relative paths with the `.ts` extension
// (tsconfig: allowImportingTsExtensions), and Node's default resolver spends about 0.1 ms
// on each such import: a realpath walk (an lstat per path component), a stat, the nearest
// package.json for the module format. The ~45 modules of `printgate analyze` cost about
// 5 ms of its start-up that way (a 2 KB PDF: 43.9 -> 38.4 ms of CPU). For these imports
// the answer is known: the URL relative to the importer, an ES module in TypeScript (the
// package is `"type": "module"`). Anything else (packages, built-ins, node_modules, the
// built copy in dist/) goes to Node's resolver. A missing file then fails when it is read
// (ENOENT) instead of when it is resolved (ERR_MODULE_NOT_FOUND).
if (entry === source) {
  const root = new URL('../', import.meta.url).href;
  process.getBuiltinModule('node:module').registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (specifier.startsWith('.') && specifier.endsWith('.ts') && parent !== undefined && parent.startsWith(root)) {
        const url = new URL(specifier, parent).href;
        if (url.startsWith(root) && !url.includes('/node_modules/')) return { url, format: 'module-typescript', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
  });
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
