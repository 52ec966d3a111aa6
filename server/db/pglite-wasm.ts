/**
 * PGlite's WebAssembly, compiled at most once per process, on a worker thread (compileWasmFile).
 * PGlite compiles ~9 MB of wasm on every open unless handed the compiled module; tests open many
 * databases per process. initdb's module is compiled only when a database is made (in memory, or
 * a directory with no template): a restart never runs initdb.
 *
 * The built server's entry (server/built-entry.ts) starts the compilation before it loads the
 * application, a bundle of its own with its own copy of this module: the compiled modules are
 * kept on globalThis, so that both copies find the same ones.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compileWasmFile, type WasmModule } from './wasm';

type PgliteWasm = 'pglite' | 'initdb';

const COMPILED_KEY = Symbol.for('mifeng.pgliteWasm');
const shared = globalThis as Record<symbol, unknown>;
shared[COMPILED_KEY] ??= new Map<PgliteWasm, Promise<WasmModule>>();
const compiled = shared[COMPILED_KEY] as Map<PgliteWasm, Promise<WasmModule>>;

/** The installed PGlite's dist/ folder, which holds its wasm and file-system bundle. */
export function pgliteDist(): string {
  return dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
}

export function compilePgliteWasm(name: PgliteWasm): Promise<WasmModule> {
  let module = compiled.get(name);
  if (!module) {
    module = compileWasmFile(join(pgliteDist(), `${name}.wasm`));
    compiled.set(name, module);
  }
  return module;
}

/**
 * Starts compiling PGlite's wasm in the background, so a start that calls this first overlaps
 * the compilation with loading the rest of the server. An error reaches the open, which awaits
 * the same compilation.
 */
export function precompilePglite(): void {
  void compilePgliteWasm('pglite').catch(() => {});
}
