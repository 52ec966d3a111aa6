import { Worker } from 'node:worker_threads';

/**
 * The slice of the WebAssembly JS API used to load PGlite and the schema engine. Node has it
 * globally, but the server's TypeScript lib (ES2022, no DOM) carries no declarations for it.
 */
export type WasmModule = { readonly __brand: 'WebAssembly.Module' };
export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(
    bytes: Uint8Array,
    imports: WasmImports,
  ): Promise<{ module: WasmModule; instance: { exports: Record<string, unknown> } }>;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * A WebAssembly file, read and compiled on a short-lived worker thread that hands the compiled
 * module back (modules are shared between threads, not copied). `wasm.compile(bytes)` does part
 * of its work on the calling thread before V8 compiles in the background — it copies and hashes
 * the bytes, about 60 ms of PGlite's 9 MB — and a start waits for its main thread.
 */
export function compileWasmFile(path: string): Promise<WasmModule> {
  return new Promise((resolve, reject) => {
    // execArgv: none of the parent's flags (a test's `--import tsx` would load tsx in the worker too).
    const worker = new Worker(COMPILE_IN_WORKER, { eval: true, workerData: path, execArgv: [] });
    worker.once('message', (module: WasmModule) => {
      resolve(module);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`compiling ${path}: worker exited (${code})`)));
  });
}

/** The worker's code: dynamic imports, which work whether Node runs eval'd code as CommonJS or as a module. */
const COMPILE_IN_WORKER = `Promise.all([import('node:worker_threads'), import('node:fs/promises')]).then(([{ parentPort, workerData }, { readFile }]) =>
  readFile(workerData).then((bytes) => WebAssembly.compile(bytes)).then((module) => parentPort.postMessage(module)));`;
