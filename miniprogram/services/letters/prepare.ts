/**
 * Public keys made ready while the phone waits for something else: each gets the precomputed rows
 * (sm2PrepareKey) that make the SM2 multiplication by it about a third as costly. The compose page
 * prepares each recipient it looks up while the letter is written, so the wait after pressing send
 * is that of sealing to keys already seen; opening a letter prepares its checked sender's key while
 * the envelope is fetched, so its signature is verified as fast as a known sender's. One key per
 * timer tick (a few ms each in JavaScriptCore without JIT), so the page stays responsive between.
 */
import { base64urlDecode, sm2PrepareKey } from '../../lib';

const queue: string[] = [];
let scheduled = false;

/** Queues a base64url public key for preparation in idle time. */
export function prepareKey(publicKey: string): void {
  queue.push(publicKey);
  if (scheduled) return;
  scheduled = true;
  setTimeout(step, 0);
}

function step(): void {
  const publicKey = queue.shift();
  try {
    if (publicKey !== undefined) sm2PrepareKey(base64urlDecode(publicKey));
  } catch {
    // A key that is no SM2 key is refused by name when sealing; preparing it is merely skipped.
  }
  if (queue.length > 0) setTimeout(step, 0);
  else scheduled = false;
}
