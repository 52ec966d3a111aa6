/**
 * The built server's V8 code cache (dist/server/server.cjs.cache): the bytecode of the bundle's
 * top level and of every function a start ran, as V8 serialized it after a start at build time.
 * Loading the bundle with it skips parsing and compiling those functions at every start.
 *
 * File layout: `MFCC1\n\0\0` (8 bytes), SHA-256 of the bundle's bytes (32), SHA-256 of the V8
 * data (32), the V8 data. V8 itself checks only that the data was made by the same V8 with the
 * same flags for a source of the same length, and does not checksum it: the bundle's digest
 * rejects a cache made for another build, the data's digest a damaged file. A rejected or
 * missing cache costs the time it would have saved, nothing else.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const MAGIC = Buffer.from('MFCC1\n\0\0', 'latin1');
const DIGEST = 32;
const HEADER = MAGIC.length + 2 * DIGEST;

/**
 * What the start did with the cache, logged with the start figures (`codeCache`): `used`;
 * `rejected` by V8 (another Node version or flags); `invalid` (made for another build, or
 * damaged); `missing`.
 */
export type CodeCacheState = 'used' | 'rejected' | 'invalid' | 'missing';

/** Where the built entry leaves the state for the server's start log (the two are separate bundles). */
const STATE_KEY = Symbol.for('mifeng.codeCache');

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** The V8 data in `cachePath` if it was made for exactly `bundle` and is intact, else why not. */
export function readCodeCache(
  cachePath: string,
  bundle: Uint8Array,
): { data: Buffer } | { state: 'invalid' | 'missing' } {
  let file: Buffer;
  try {
    file = readFileSync(cachePath);
  } catch {
    return { state: 'missing' };
  }
  const data = file.subarray(HEADER);
  const intact =
    file.length > HEADER &&
    file.subarray(0, MAGIC.length).equals(MAGIC) &&
    file.subarray(MAGIC.length, MAGIC.length + DIGEST).equals(sha256(bundle)) &&
    file.subarray(MAGIC.length + DIGEST, HEADER).equals(sha256(data));
  return intact ? { data } : { state: 'invalid' };
}

/** Writes the cache for `bundle` (through a temporary file renamed into place). */
export function writeCodeCache(cachePath: string, bundle: Uint8Array, data: Uint8Array): void {
  const partial = `${cachePath}.partial`;
  writeFileSync(partial, Buffer.concat([MAGIC, sha256(bundle), sha256(data), data]));
  renameSync(partial, cachePath);
}

export function setCodeCacheState(state: CodeCacheState): void {
  (globalThis as Record<symbol, unknown>)[STATE_KEY] = state;
}

/** The state the built entry recorded; undefined when the server runs from source. */
export function codeCacheState(): CodeCacheState | undefined {
  return (globalThis as Record<symbol, unknown>)[STATE_KEY] as CodeCacheState | undefined;
}
