/**
 * A letter's lifetime: the preset choices every client offers, and the custom date. The server
 * checks only the result (`expiresAt` null, or in the future and at most its `MAX_EXPIRY_DAYS`
 * ahead, which `GET /me` tells clients as `maxExpiryDays`).
 */
import { DAY_MS } from './common';

/**
 * The preset choices, in the order clients offer them: a lifetime in milliseconds (`null` =
 * permanent, the envelope's `expiresAt` is `null`) and the short name the CLI takes (`--expires 1w`).
 * The mini program names each in its i18n tables (`expiry_<CHOICE>`).
 */
export const EXPIRY = {
  THREE_DAYS: { lifetime: 3 * DAY_MS, short: '3d' },
  ONE_WEEK: { lifetime: 7 * DAY_MS, short: '1w' },
  ONE_MONTH: { lifetime: 30 * DAY_MS, short: '1m' },
  PERMANENT: { lifetime: null, short: 'never' },
} as const;
export type ExpiryChoice = keyof typeof EXPIRY;

/** The choices in order. */
export const EXPIRY_CHOICES = Object.keys(EXPIRY) as ExpiryChoice[];

/**
 * The `expiresAt` for a preset choice, or for a custom local day `YYYY-MM-DD` the end of that day
 * (23:59:59 local time); `undefined` when the day is malformed, already over or more than
 * `maxDays` ahead of `now`. Time is passed in, never read.
 */
export function expiresAtFor(
  choice: ExpiryChoice | { day: string },
  now: Date,
  maxDays: number,
): Date | null | undefined {
  if (typeof choice === 'string') {
    const { lifetime } = EXPIRY[choice];
    return lifetime === null ? null : new Date(now.getTime() + lifetime);
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(choice.day);
  if (!match) return undefined;
  const end = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59, 0);
  if (end.getTime() <= now.getTime()) return undefined;
  if (end.getTime() > now.getTime() + maxDays * DAY_MS) return undefined;
  return end;
}
