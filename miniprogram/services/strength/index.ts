/**
 * Master key strength. The key backup sits on the server, so anyone holding a login token can
 * download it and guess offline; PBKDF2 only makes each guess cost more. A key is accepted when the
 * estimator (./estimator.ts: zxcvbn-ts plus the patterns Chinese users choose) needs at least
 * 10^MIN_GUESSES_LOG10 guesses for it, and refused with a hint naming what made it guessable.
 *
 * The estimator is a separate chunk (lib/strength.js), loaded on first use by `loadStrength()`, so
 * only the pages that set a master key pay for its download and start-up.
 */

import type { MessageKey } from '../../i18n/zh';
import { randomBytes } from '../../lib';
import { whenRandomReady } from '../random';
import type * as Estimator from './estimator';

/** Shortest master key accepted, in characters. */
export const MIN_MASTER_KEY_LENGTH = 8;
/**
 * Guesses (log10) below which a key is refused. The estimate is what an attacker who knows the
 * patterns needs; 10^12 PBKDF2 guesses at BACKUP_ITERATIONS are months of a high-end GPU
 * (docs/miniprogram.md, "What a guess costs"). zxcvbn undercounts truly random strings (ten
 * guesses per brute-forced character), so this does not refuse random 12-character keys.
 */
export const MIN_GUESSES_LOG10 = 12;
/** Guesses (log10) from which the meter says "strong". */
export const STRONG_GUESSES_LOG10 = 16;
/** Words in a generated passphrase: 6 × log2(7776) ≈ 77.5 bits. */
export const PASSPHRASE_WORD_COUNT = 6;

export type StrengthVerdict = 'empty' | 'short' | 'common' | 'weak' | 'ok' | 'strong';
export type WeakPattern = Estimator.WeakPattern;

export interface Strength {
  /** 0 (empty) … 4 (strong), for the meter. */
  score: 0 | 1 | 2 | 3 | 4;
  /** Estimated guesses, as bits (log2). */
  bits: number;
  verdict: StrengthVerdict;
  /** What made it guessable, for the hint; null when nothing was found or it is accepted. */
  pattern: WeakPattern;
  /** Whether registration / a key change accepts it. */
  acceptable: boolean;
}

let estimator: typeof Estimator | null = null;
let loading: Promise<void> | null = null;

/**
 * Loads the estimator chunk (idempotent). A plain `require` inside a callback, not `import()`:
 * WeChat's module system is CommonJS only; the build turns the path into lib/strength.js.
 */
export function loadStrength(): Promise<void> {
  loading ??= new Promise<void>((resolve, reject) => {
    // A timer first, so the page paints its loading state before the chunk's start-up work.
    setTimeout(() => {
      try {
        const mod = require('./estimator') as typeof Estimator;
        // The first estimate ranks the dictionaries (≈ 70 ms in iOS's JIT-less engine): done here,
        // while the page loads, rather than on the first key typed.
        mod.estimate('');
        estimator = mod;
        resolve();
      } catch (err) {
        loading = null;
        reject(err);
      }
    }, 0);
  });
  return loading;
}

export function strengthLoaded(): boolean {
  return estimator !== null;
}

/**
 * Rates `key`; `personal` are things an attacker knows about the person (name, phone number).
 * Needs `loadStrength()` to have finished.
 */
export function masterKeyStrength(key: string, personal: string[] = []): Strength {
  if (!estimator) throw new Error('masterKeyStrength() before loadStrength() finished');
  const length = Array.from(key).length;
  if (length === 0) return { score: 0, bits: 0, verdict: 'empty', pattern: null, acceptable: false };
  const { guessesLog10, pattern } = estimator.estimate(
    key,
    personal.filter((word) => word !== ''),
  );
  const bits = Math.round(guessesLog10 * Math.log2(10));
  let verdict: StrengthVerdict;
  if (length < MIN_MASTER_KEY_LENGTH) verdict = 'short';
  else if (guessesLog10 < MIN_GUESSES_LOG10) verdict = pattern ? 'common' : 'weak';
  else if (guessesLog10 < STRONG_GUESSES_LOG10) verdict = 'ok';
  else verdict = 'strong';
  const acceptable = verdict === 'ok' || verdict === 'strong';
  const score = acceptable ? (verdict === 'ok' ? 3 : 4) : guessesLog10 >= MIN_GUESSES_LOG10 / 2 ? 2 : 1;
  return { score, bits, verdict, pattern: acceptable ? null : pattern, acceptable };
}

/**
 * A passphrase of PASSPHRASE_WORD_COUNT words drawn uniformly from the bundled word list with the
 * secure random source (never Math.random), joined by '-'.
 */
export async function generatePassphrase(): Promise<string> {
  await Promise.all([loadStrength(), whenRandomReady()]);
  const words = estimator!.PASSPHRASE_WORDS;
  const picked: string[] = [];
  // Rejection sampling over 16-bit draws keeps every word equally likely.
  const limit = 65536 - (65536 % words.length);
  while (picked.length < PASSPHRASE_WORD_COUNT) {
    const bytes = randomBytes(2);
    const value = (bytes[0]! << 8) | bytes[1]!;
    bytes.fill(0);
    if (value < limit) picked.push(words[value % words.length]!);
  }
  return picked.join('-');
}

/** What the meter shows for `strength`: the verdict and, for a refused key, a hint. */
export function strengthMessages(strength: Strength): { text: MessageKey; hint: MessageKey | null } {
  return {
    text: `strength_${strength.verdict}`,
    hint: strength.pattern ? `strength_hint_${strength.pattern}` : null,
  };
}
