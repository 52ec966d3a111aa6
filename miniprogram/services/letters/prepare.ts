/**
 * Recipient keys made ready while the letter is being written: each key the compose page looks up
 * gets the precomputed rows (sm2PrepareKey) that make the SM2 wrap to it about half as costly, so
 * the wait after pressing send is that of sealing to keys already seen. One key per timer tick (a
 * few ms each in JavaScriptCore without JIT), so the page stays responsive between them.
 */
import { base64urlDecode, sm2PrepareKey } from '../../lib';

const queue: string[] = [];
let scheduled = false;

/** Queues the base64url public key of a looked-up recipient for preparation in idle time. */
export function prepareRecipient(publicKey: string): void {
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
