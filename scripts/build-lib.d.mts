// Types of scripts/build-lib.mjs, for the TypeScript tests that import it.
export declare const LIB_ENTRIES: string[];
export declare const CORE_ENTRIES: string[];
export declare const LIB_OUTFILE: string;
export declare const LIB_CORE_BUDGET: number;
export declare function buildLib(options?: {
  entries?: string[];
  outfile?: string;
  minify?: boolean;
  quiet?: boolean;
}): Promise<{ outfile: string; bytes: number }>;
export interface MiniProgramChunk {
  entry: string;
  out: string;
  format: 'cjs' | 'iife';
}
export declare const MINIPROGRAM_CHUNKS: MiniProgramChunk[];
export declare function buildChunk(
  chunk: MiniProgramChunk,
  outDir: string,
): Promise<{ outfile: string; bytes: number }>;
