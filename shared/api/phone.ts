/**
 * Phone numbers: one normal form so the same person typed two ways hashes to the same value.
 *
 * Normal form is E.164 (`+` country code and number, digits only). Spaces, dashes, dots and
 * parentheses are dropped; a leading `00` means `+`; a number without a country code is taken as
 * mainland China (+86), whose mobile numbers are 11 digits starting with 1 — so `138 0013 8000`,
 * `+86 138-0013-8000` and `0086 13800138000` are all `+8613800138000`. Anything else that is not
 * 8–15 digits after the `+` is rejected (`null`).
 *
 * The server keeps only HMAC-SM3(pepper, normal form) and `maskPhone(normal form)`.
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

/**
 * The display form of a normalized number: mainland numbers as `138****5678`, others as
 * `+44 770****0123` (country code kept, all but the first 3 and last 4 digits hidden).
 */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/^\+/, '');
  const cn = digits.startsWith(DEFAULT_COUNTRY_CODE) && digits.length === 13;
  const national = cn ? digits.slice(2) : digits;
  const hidden = Math.max(national.length - 7, 1);
  const masked = `${national.slice(0, 3)}${'*'.repeat(hidden)}${national.slice(3 + hidden)}`;
  return cn ? masked : `+${masked}`;
}
