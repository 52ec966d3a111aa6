/**
 * Constant-time comparison of byte strings, for MACs, tags and hashes: the time taken depends only
 * on the lengths, never on where the first difference lies.
 */
import { abytes } from '../guards';

/** True when `a` and `b` have the same length and bytes. Lengths are not secret. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  abytes(a, undefined, 'a');
  abytes(b, undefined, 'b');
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
