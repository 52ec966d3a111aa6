/**
 * Reusable field schemas of the Mifeng HTTP API (`/api/v1`), shared by the server (validation,
 * OpenAPI) and the mini program (typing and checking responses). Binary values travel as
 * base64url without padding (docs/protocol.md); sizes below are in bytes of the decoded value.
 *
 * Contracts know nothing of either side: this folder imports only zod/mini and other `shared/` code.
 */
import * as z from 'zod/mini';
import { ERROR_CODES } from '../errors';
import { KeyIdSchema, UserIdSchema } from '../protocol';

/** Prefix of every API route. */
export const API_PREFIX = '/api/v1';

/**
 * The field schemas of protocol v1, one per fact (shared/protocol/schema.ts): exact base64url
 * lengths, a public key's `04` prefix, timestamps that are real dates.
 */
export {
  type EnvelopeId,
  EnvelopeIdSchema,
  type KeyId,
  KeyIdSchema,
  type PublicKey,
  PublicKeySchema,
  type Timestamp,
  TimestampSchema,
  type UserId,
  UserIdSchema,
} from '../protocol';

/** Longest display name, in UTF-16 code units after trimming. */
export const MAX_NAME_LENGTH = 32;

/**
 * Characters a name may not contain: Unicode categories Cc (controls) and Cf (invisible format
 * characters such as U+202E RIGHT-TO-LEFT OVERRIDE and U+200B ZERO WIDTH SPACE), which let one
 * name pass for another on screen.
 */
const HIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}]/u;

/**
 * A display name others address the user by: trimmed, NFC-normalised, 1–32 characters, no control
 * or invisible format characters. The one rule of the phone and the server.
 */
export const NameSchema = z.string().check(
  z.trim(),
  z.normalize('NFC'),
  z.minLength(1, 'name must not be empty'),
  z.maxLength(MAX_NAME_LENGTH, `name must be at most ${MAX_NAME_LENGTH} characters`),
  z.refine(
    (name) => !HIDDEN_CHARACTERS.test(name),
    'name must not contain control or invisible format characters (such as U+202E or U+200B)',
  ),
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
 * The server's default for how far a custom expiry may lie ahead, in days (`MAX_EXPIRY_DAYS`);
 * clients take the server's actual value from `GET /me` (`maxExpiryDays`).
 */
export const MAX_EXPIRY_DAYS = 365;

/** How far an envelope's `createdAt` may differ from the server's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Every error the API answers: a stable snake_case `code` (see shared/errors.ts) and a message. */
export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
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

/**
 * A letter's sender as lists show them: the name they had when they sent it, and their phone in
 * its masked form (null only for an account that never verified one), so two senders of the same
 * name can be told apart.
 */
export const SenderRefSchema = z.object({
  user: UserIdSchema,
  name: z.string(),
  phoneMasked: z.nullable(z.string()),
});
export type SenderRef = z.infer<typeof SenderRefSchema>;

/** A response with no body (204). */
export const NoContentSchema = z.undefined();
