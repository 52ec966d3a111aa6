// Types of scripts/build-server.mjs, for the TypeScript tests that import it.
export declare const SERVER_OUTDIR: string;
export declare function buildServer(options?: { quiet?: boolean }): Promise<{ bytes: number }>;
export declare function bundleServer(options?: { outdir?: string }): Promise<{ bytes: number }>;
export declare function writeCodeCache(options?: { outdir?: string }): Promise<void>;
