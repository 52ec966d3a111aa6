/**
 * Master key strength: a conservative entropy estimate that refuses weak keys. The master key is
 * the only thing between a stolen key backup (stored on the server) and the private key, and
 * PBKDF2 only slows guessing down; so short, common or repetitive keys are refused outright.
 */

/** Shortest master key accepted, in characters. */
export const MIN_MASTER_KEY_LENGTH = 8;
/** Estimated bits below which a key is refused. */
export const MIN_MASTER_KEY_BITS = 50;

/** Keys (and key stems) attackers try first. Matched case-insensitively as substrings. */
const COMMON = [
  'password',
  'passw0rd',
  '123456',
  '654321',
  'qwerty',
  'asdfgh',
  'iloveyou',
  'woaini',
  'admin',
  'mifeng',
  'wechat',
  'weixin',
  'abc123',
  '111111',
  '888888',
  '520520',
  '1314',
];

export type StrengthVerdict = 'empty' | 'short' | 'common' | 'weak' | 'ok' | 'strong';

export interface Strength {
  /** 0 (empty or refused) … 4 (strong), for the meter. */
  score: 0 | 1 | 2 | 3 | 4;
  /** Estimated entropy in bits. */
  bits: number;
  verdict: StrengthVerdict;
  /** Whether registration / a key change accepts it. */
  acceptable: boolean;
}

function poolSize(chars: string[]): number {
  let pool = 0;
  if (chars.some((c) => c >= 'a' && c <= 'z')) pool += 26;
  if (chars.some((c) => c >= 'A' && c <= 'Z')) pool += 26;
  if (chars.some((c) => c >= '0' && c <= '9')) pool += 10;
  if (chars.some((c) => c.charCodeAt(0) < 128 && !/[A-Za-z0-9]/.test(c))) pool += 33;
  // Han characters and other non-ASCII: counted as a 2 000-symbol alphabet (common characters only).
  if (chars.some((c) => c.charCodeAt(0) >= 128)) pool += 2000;
  return pool;
}

/** Counts characters that continue a run (aaa) or a sequence (abc, 321) from the two before. */
function predictable(chars: string[]): number {
  let count = 0;
  for (let i = 2; i < chars.length; i++) {
    const a = chars[i - 2]!.codePointAt(0)!;
    const b = chars[i - 1]!.codePointAt(0)!;
    const c = chars[i]!.codePointAt(0)!;
    if (b - a === c - b && Math.abs(c - b) <= 1) count++;
  }
  return count;
}

export function masterKeyStrength(key: string): Strength {
  const chars = Array.from(key);
  if (chars.length === 0) return { score: 0, bits: 0, verdict: 'empty', acceptable: false };
  const perChar = Math.log2(poolSize(chars));
  const unique = new Set(chars).size;
  const repeats = chars.length - unique;
  const runs = predictable(chars);
  // Repeated and sequential characters add about one bit each, the rest their alphabet's worth.
  const fresh = Math.max(0, chars.length - repeats - runs);
  let bits = fresh * perChar + (repeats + runs);
  const lower = key.toLowerCase();
  const common = COMMON.some((word) => lower.includes(word));
  if (common) bits -= 20;
  bits = Math.max(0, Math.round(bits));
  let verdict: StrengthVerdict;
  if (chars.length < MIN_MASTER_KEY_LENGTH) verdict = 'short';
  else if (common && bits < 70) verdict = 'common';
  else if (bits < MIN_MASTER_KEY_BITS) verdict = 'weak';
  else if (bits < 80) verdict = 'ok';
  else verdict = 'strong';
  const acceptable = verdict === 'ok' || verdict === 'strong';
  const score = !acceptable ? (bits >= 35 ? 2 : 1) : verdict === 'ok' ? 3 : 4;
  return { score: score as Strength['score'], bits, verdict, acceptable };
}
