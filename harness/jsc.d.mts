// Types of scripts/jsc.mjs, for the TypeScript tests that import it.
export declare function findJsc(): string | null;
export declare const KEY_WORKER_PROBE: string;
