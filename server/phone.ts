/**
 * Phone numbers: one normal form so the same person typed two ways hashes to the same value.
 *
 * Normal form is E.164 (`+` country code and number, digits only). Spaces, dashes, dots and
 * parentheses are dropped; a leading `00` means `+`; a number without a country code is taken as
 * mainland China (+86), whose mobile numbers are 11 digits starting with 1 — so `138 0013 8000`,
 * `+86 138-0013-8000` and `0086 13800138000` are all `+8613800138000`. Anything else that is not
 * 8–15 digits after the `+` is rejected (`null`).
 *
 * The server keeps only HMAC-SM3(pepper, normal form) and `maskPhone(normal form)`, which shows
 * the last four digits and nothing else (plugins/app/phones.ts). The mini program sends numbers as
 * typed (PhoneSchema in shared/api/common.ts); only the server normalizes them.
 */

/** The default country calling code for numbers typed without one (mainland China). */
export const DEFAULT_COUNTRY_CODE = '86';

/** E.164 allows at most 15 digits after the `+`; below 8 nothing real is left. */
const E164_MIN_DIGITS = 8;
const E164_MAX_DIGITS = 15;

/** The E.164 form of a typed phone number, or `null` when it cannot be one. */
export function normalizePhone(input: string): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  let text = input.trim().replace(/[\s().-]/g, '');
  if (text.startsWith('00')) text = `+${text.slice(2)}`;
  let digits: string;
  if (text.startsWith('+')) {
    digits = text.slice(1);
  } else if (/^1\d{10}$/.test(text)) {
    digits = DEFAULT_COUNTRY_CODE + text;
  } else if (/^861\d{10}$/.test(text)) {
    digits = text;
  } else {
    return null;
  }
  if (!/^[1-9]\d*$/.test(digits)) return null;
  if (digits.length < E164_MIN_DIGITS || digits.length > E164_MAX_DIGITS) return null;
  if (digits.startsWith(DEFAULT_COUNTRY_CODE) && !/^861\d{10}$/.test(digits)) return null;
  return `+${digits}`;
}

/** The E.164 form of what WeChat's getPhoneNumber returns (`countryCode` + `purePhoneNumber`). */
export function phoneFromWeChat(countryCode: string, purePhoneNumber: string): string | null {
  return normalizePhone(`+${countryCode}${purePhoneNumber}`);
}

/** Digits a masked number keeps, at its end. */
export const MASK_KEEP_DIGITS = 4;

/**
 * The display form of a normalized number: every digit but the last four hidden, mainland numbers
 * without their +86 (`*******5678`), others with their `+` (`+********0123`). With the pepper, a
 * mask that kept more (the prefix, the country code) narrows the numbers to try down to a few
 * thousand; four digits leave every number of that length but those four.
 */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/^\+/, '');
  const cn = digits.startsWith(DEFAULT_COUNTRY_CODE) && digits.length === 13;
  const shown = cn ? digits.slice(DEFAULT_COUNTRY_CODE.length) : digits;
  const masked = '*'.repeat(shown.length - MASK_KEEP_DIGITS) + shown.slice(-MASK_KEEP_DIGITS);
  return cn ? masked : `+${masked}`;
}
