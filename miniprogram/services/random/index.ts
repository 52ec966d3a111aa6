/**
 * The secure random pool: filled from `wx.getRandomValues` when the app launches (App.onLaunch), then
 * installed as shared/crypto's source. Sealing and key generation wait for `whenRandomReady()`;
 * before the pool is filled shared/crypto refuses to draw (`RandomNotReady`), never falling back to
 * anything weaker.
 */
import { createRandomPool, type RandomPool, setRandomSource } from '../../lib';
import { wxCall } from '../wxp';

let pool: RandomPool | null = null;
let filling: Promise<void> | null = null;

function getRandomValues(length: number): Promise<Uint8Array> {
  return wxCall<WechatMiniprogram.GetRandomValuesSuccessCallbackResult>(wx.getRandomValues, { length }).then(
    (res) => new Uint8Array(res.randomValues),
  );
}

/** Starts filling the pool (idempotent); resolves when it is filled. */
export function startRandom(): Promise<void> {
  if (filling) return filling;
  pool = createRandomPool();
  setRandomSource(pool.source);
  const current = pool;
  filling = current.fill(getRandomValues).catch((err: unknown) => {
    // A failed fill can be retried by the next caller.
    filling = null;
    throw err;
  });
  return filling;
}

/** Resolves once the pool can be drawn from (starting the fill if the app did not). */
export async function whenRandomReady(): Promise<void> {
  if (pool?.ready()) return;
  await startRandom();
  // Drained by earlier draws and not refilled yet: top it up now.
  if (pool && !pool.ready()) await pool.fill(getRandomValues);
}

/** For tests: forget the pool, as a fresh launch would. */
export function resetRandom(): void {
  pool = null;
  filling = null;
  setRandomSource(null);
}
