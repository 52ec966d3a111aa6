/**
 * Reusable field schemas of the Mifeng HTTP API (`/api/v1`), shared by the server (validation,
 * OpenAPI) and the mini program (typing and checking responses). Binary values travel as
 * base64url without padding (DESIGN §3); sizes below are in bytes of the decoded value.
 *
 * Contracts know nothing of either side: this folder imports only zod/mini and other `shared/` code.
 */
import * as z from 'zod/mini';

/** Prefix of every API route. */
export const API_PREFIX = '/api/v1';

/** The base64url text length of `bytes` bytes without padding. */
export function base64urlTextLength(bytes: number): number {
  return Math.floor(bytes / 3) * 4 + ([0, 2, 3][bytes % 3] ?? 0);
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A base64url (no padding) string encoding exactly `bytes` bytes. */
export function base64urlBytes(bytes: number, label: string) {
  return z
    .string()
    .check(
      z.length(base64urlTextLength(bytes), `${label} must be ${bytes} bytes of base64url`),
      z.regex(BASE64URL, `${label} must be base64url without padding`),
    );
}

/** A base64url (no padding) string encoding at most `maxBytes` bytes. */
export function base64urlMax(maxBytes: number, label: string) {
  return z
    .string()
    .check(
      z.maxLength(base64urlTextLength(maxBytes), `${label} must be at most ${maxBytes} bytes`),
      z.regex(BASE64URL, `${label} must be base64url without padding`),
    );
}

/** A user id: opaque, URL-safe, assigned by the server (base64url of 16 random bytes). */
export const UserIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(BASE64URL, 'user id must be URL-safe'));
export type UserId = z.infer<typeof UserIdSchema>;

/** An envelope id: 16 random bytes chosen by the sender (DESIGN §3). */
export const EnvelopeIdSchema = base64urlBytes(16, 'envelope id');
export type EnvelopeId = z.infer<typeof EnvelopeIdSchema>;

/** A key id: the first 16 bytes of SM3(public key) (DESIGN §3). */
export const KeyIdSchema = base64urlBytes(16, 'key id');
export type KeyId = z.infer<typeof KeyIdSchema>;

/** An SM2 public key: the uncompressed point 04‖X‖Y, 65 bytes. */
export const PublicKeySchema = base64urlBytes(65, 'public key');
export type PublicKey = z.infer<typeof PublicKeySchema>;

/** A timestamp in exactly the 24-character form of JavaScript's `toISOString()` (UTC, ms, `Z`). */
export const TimestampSchema = z
  .string()
  .check(
    z.regex(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
      'timestamp must be an ISO 8601 UTC string with ms',
    ),
  );
export type Timestamp = z.infer<typeof TimestampSchema>;

/** Longest display name, in UTF-16 code units after trimming. */
export const MAX_NAME_LENGTH = 32;

/** A display name others address the user by: trimmed, 1–32 characters, no control characters. */
export const NameSchema = z.string().check(
  z.trim(),
  z.minLength(1, 'name must not be empty'),
  z.maxLength(MAX_NAME_LENGTH, `name must be at most ${MAX_NAME_LENGTH} characters`),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  z.regex(/^[^\u0000-\u001f\u007f]*$/, 'name must not contain control characters'),
);
export type Name = z.infer<typeof NameSchema>;

/**
 * A phone number as typed: digits with optional `+`, spaces, dashes, dots and parentheses.
 * The server normalizes it to E.164 before use.
 */
export const PhoneSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(3, 'phone is too short'),
    z.maxLength(32, 'phone is too long'),
    z.regex(/^\+?[0-9 ().-]+$/, 'phone must contain only digits, spaces, +, -, ., ( and )'),
  );
export type Phone = z.infer<typeof PhoneSchema>;

/** A one-time code from `wx.login` or the `getPhoneNumber` button. */
export const WeChatCodeSchema = z.string().check(z.minLength(1), z.maxLength(256));

/** An opaque pagination cursor returned by list routes as `nextCursor`. */
export const CursorSchema = z.string().check(z.minLength(1), z.maxLength(200));

/** Milliseconds per day. */
export const DAY_MS = 86_400_000;

/**
 * Expiry choices offered when composing (DESIGN §1). Values are lifetimes in milliseconds;
 * `PERMANENT` is `null` (the envelope's `expiresAt` is `null`). A custom date is any instant in the
 * future up to `MAX_EXPIRY_DAYS` days ahead.
 */
export const EXPIRY = {
  THREE_DAYS: 3 * DAY_MS,
  ONE_WEEK: 7 * DAY_MS,
  ONE_MONTH: 30 * DAY_MS,
  PERMANENT: null,
} as const;
export type ExpiryChoice = keyof typeof EXPIRY;

/** The farthest a custom expiry date may lie ahead of the server's clock (the server's default). */
export const MAX_EXPIRY_DAYS = 365;

/** How far an envelope's `createdAt` may differ from the server's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The `expiresAt` for an expiry choice, given the current time (time is passed in, never read). */
export function expiresAtFor(choice: ExpiryChoice, now: Date): string | null {
  const lifetime = EXPIRY[choice];
  return lifetime === null ? null : new Date(now.getTime() + lifetime).toISOString();
}

/** Every error the API answers: a stable snake_case `code` (see shared/errors.ts) and a message. */
export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
  }),
});
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

/** A user as the API shows it. `registered` = has a name, a phone and a key. */
export const UserSchema = z.object({
  id: UserIdSchema,
  name: z.nullable(z.string()),
  phoneMasked: z.nullable(z.string()),
  keyId: z.nullable(KeyIdSchema),
  registered: z.boolean(),
});
export type User = z.infer<typeof UserSchema>;

/** A short reference to another user: id and display name. */
export const UserRefSchema = z.object({
  user: UserIdSchema,
  name: z.string(),
});
export type UserRef = z.infer<typeof UserRefSchema>;

/** A response with no body (204). */
export const NoContentSchema = z.undefined();
