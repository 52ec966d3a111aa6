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
