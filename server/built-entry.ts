/**
 * Entry of the built server (dist/server/server.mjs, what `NODE_ENV=production npm start` runs).
 * It runs the application bundle beside it (server.cjs: server/server.ts and everything it
 * imports, as one CommonJS-shaped script) with V8's code cache (server.cjs.cache,
 * server/code-cache.ts), which Node 20 offers for scripts but not for ES modules: a restart then
 * skips parsing and compiling the bundle's top level and the functions a start runs.
 *
 * Without a usable cache the bundle is compiled from its text, as any script is. At build time
 * (scripts/build-server.mjs) a start with MIFENG_CODE_CACHE_OUT=<file> writes the cache there
 * when it exits.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';
import { readCodeCache, setCodeCacheState, writeCodeCache } from './code-cache';
import { precompilePglite } from './db/pglite-wasm';
import { readEnvironment } from './environment';

// V8 compiles a WebAssembly function again with its optimizing compiler, on background threads,
// once the function has run for a budget of instructions. PostgreSQL's start in PGlite runs much
// code once that exhausts the default budget (1.8 million): V8 then spent about 1 s of CPU at every
// start optimizing functions that hardly run again, on the same two cores as the start itself.
// With ten times the budget what a running server runs often is still optimized, a little later.
// V8 also compiles a module on as many background threads as it has (four): on two cores they
// took the CPU from this thread while it loads the application, and one compiles PGlite's in
// about the time this thread takes to get to the open.
// Set before the bundle is compiled: V8 accepts a code cache only under the flags it was made with.
setFlagsFromString('--wasm-tiering-budget=18000000 --wasm-num-compilation-tasks=1');

// On the embedded database PGlite's WebAssembly compiles on a worker thread while this one reads
// and compiles the bundle (a fifth of a restart), not after: the database then opens as soon as
// the application asks, instead of waiting for the compilation.
if (embeddedDatabase()) precompilePglite();

const bundlePath = fileURLToPath(new URL('./server.cjs', import.meta.url));
const bundle = readFileSync(bundlePath);
const cache = readCodeCache(`${bundlePath}.cache`, bundle);

// The bundle is ASCII (the build checks it), so Latin-1 decodes it exactly, and faster than UTF-8.
// The wrapper is CommonJS's own; on a line of its own, so lines in stack traces match the file.
const script = new vm.Script(
  `(function (exports, require, module, __filename, __dirname) {\n${bundle.toString('latin1')}\n})`,
  {
    filename: bundlePath,
    lineOffset: -1,
    ...('data' in cache ? { cachedData: cache.data } : {}),
    // import() of Node's built-ins, as from any module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  },
);
setCodeCacheState('data' in cache ? (script.cachedDataRejected ? 'rejected' : 'used') : cache.state);

const cacheOut = process.env.MIFENG_CODE_CACHE_OUT;
if (cacheOut) process.once('exit', () => writeCodeCache(cacheOut, bundle, script.createCachedData()));

const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundlePath), module, bundlePath, dirname(bundlePath));

/** Whether the configuration selects PGlite (no DATABASE_URL), as server/config.ts will read it. */
function embeddedDatabase(): boolean {
  try {
    return !readEnvironment().DATABASE_URL;
  } catch {
    // An unreadable ENV_FILE: the application reports it.
    return false;
  }
}
