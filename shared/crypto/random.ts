/**
 * Randomness for shared/crypto, always injected: shared/ may not reach for a platform RNG itself.
 *
 * The server and tests install Node's `crypto.getRandomValues`; the mini program fills a pool from
 * `wx.getRandomValues` at launch (the API is asynchronous, while sealing is not) and installs the
 * pool's source. With no source, or a drained pool, drawing throws `MifengError('RandomNotReady')`:
 * there is no fallback to `Math.random` or to sm-crypto-v2's internal generator.
 */
import { MifengError } from '../errors';
import { anumber } from '../guards';

/** Returns `length` fresh random bytes from a cryptographically secure generator. */
export type RandomSource = (length: number) => Uint8Array;

/** A pool of random bytes filled asynchronously and drawn synchronously. */
export interface RandomPool {
  /**
   * Adds `size` bytes from `getRandomValues` and remembers it for background refills. Resolves once
   * the bytes are in; rejects if `getRandomValues` fails or returns the wrong shape.
   */
  fill(getRandomValues: (length: number) => Promise<Uint8Array>): Promise<void>;
  /** True when at least a quarter of `size` bytes are available to draw. */
  ready(): boolean;
  /** Draws bytes that are then wiped from the pool, never handed out twice. */
  source: RandomSource;
}

let defaultSource: RandomSource | null = null;

/** Installs (or with `null` removes) the source used when a function is not given one. */
export function setRandomSource(source: RandomSource | null): void {
  if (source !== null && typeof source !== 'function') {
    throw new TypeError('source must be a function or null');
  }
  defaultSource = source;
}

/** Largest single draw; our largest is a 32-byte scalar, the protocol's a 16-byte id. */
const MAX_DRAW = 1 << 16;

/** `length` random bytes from `random`, or from the installed source. */
export function randomBytes(length: number, random?: RandomSource): Uint8Array {
  anumber(length, 0, MAX_DRAW, 'length');
  if (random !== undefined && typeof random !== 'function') {
    throw new TypeError('random must be a function');
  }
  const source = random ?? defaultSource;
  if (source === null) throw new MifengError('RandomNotReady', 'no random source installed');
  const bytes = source(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new TypeError(`random source must return a Uint8Array of ${length} bytes`);
  }
  return bytes;
}

/** Default pool size: about fifteen seals to five recipients, one `wx.getRandomValues` call. */
const DEFAULT_POOL_SIZE = 4096;
/** An upper bound on one pool (and one `getRandomValues` request): 64 KiB is hundreds of seals. */
const MAX_POOL_SIZE = 1 << 16;

/**
 * A pool for platforms whose secure RNG is asynchronous (WeChat's `wx.getRandomValues`). Until
 * `fill()` resolves, `source` throws `RandomNotReady`. Each draw copies bytes out and zeroes them
 * in the pool; when less than half is left a background refill starts with the last filler, and a
 * draw larger than what is left throws `RandomNotReady` rather than reuse or invent bytes.
 */
export function createRandomPool(options: { size?: number } = {}): RandomPool {
  const size = anumber(options.size ?? DEFAULT_POOL_SIZE, 64, MAX_POOL_SIZE, 'size');
  let pool = new Uint8Array(0);
  let filler: ((length: number) => Promise<Uint8Array>) | null = null;
  let refilling = false;

  async function add(getRandomValues: (length: number) => Promise<Uint8Array>): Promise<void> {
    const fresh = await getRandomValues(size);
    if (!(fresh instanceof Uint8Array) || fresh.length !== size) {
      throw new TypeError(`getRandomValues must resolve to a Uint8Array of ${size} bytes`);
    }
    // Draws may have happened while we waited: append to whatever is left now.
    const next = new Uint8Array(pool.length + size);
    next.set(pool);
    next.set(fresh, pool.length);
    pool.fill(0);
    fresh.fill(0);
    pool = next;
  }

  function refillInBackground(): void {
    if (refilling || filler === null || pool.length >= size) return;
    refilling = true;
    add(filler)
      .catch(() => {
        // A failed refill leaves the pool short; the next draw that needs more throws RandomNotReady.
      })
      .finally(() => {
        refilling = false;
      });
  }

  return {
    async fill(getRandomValues) {
      if (typeof getRandomValues !== 'function') throw new TypeError('getRandomValues must be a function');
      filler = getRandomValues;
      await add(getRandomValues);
    },
    ready() {
      return pool.length >= size / 4;
    },
    source(length: number) {
      anumber(length, 0, MAX_DRAW, 'length');
      if (pool.length < length) {
        refillInBackground();
        throw new MifengError('RandomNotReady', 'the random pool is not filled or is drained');
      }
      const out = pool.slice(0, length);
      pool.fill(0, 0, length);
      pool = pool.subarray(length);
      if (pool.length < size / 2) refillInBackground();
      return out;
    },
  };
}
