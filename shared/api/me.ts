/** Contracts of `/api/v1/me*`: the signed-in user's profile, phone and key pair. */
import * as z from 'zod/mini';
import { base64urlLength, isBase64url } from '../encoding';
import {
  KeyBackupSchema,
  KeyChangeSchema,
  MAX_CONTACT_BOOK_COUNTER,
  MAX_SEALED_CONTACT_BOOK_BYTES,
} from '../protocol';
import {
  API_PREFIX,
  ErrorResponseSchema,
  KeyIdSchema,
  NameSchema,
  NoContentSchema,
  PhoneSchema,
  PublicKeySchema,
  TimestampSchema,
  UserSchema,
  WeChatCodeSchema,
} from './common';
import type { Contract } from './contract';
import { KeyHistorySchema } from './keys';

/**
 * A key backup (docs/protocol.md): the private key sealed under the master key, in protocol v1's strict
 * form (shared/protocol). The server stores it as given and hands it back on `GET /me`; only the
 * device can open it.
 */
export const KeyBackupJsonSchema = KeyBackupSchema;
export type KeyBackupJson = z.infer<typeof KeyBackupJsonSchema>;

/** `POST /me/phone` body: the code from the `getPhoneNumber` button, or (dev login) the number. */
export const SetPhoneBodySchema = z.union([
  z.object({ code: WeChatCodeSchema }),
  z.object({ phone: PhoneSchema }),
]);
export type SetPhoneBody = z.infer<typeof SetPhoneBodySchema>;

/** What every key upload carries: the name, the public key and its backup. */
const KEY_UPLOAD_SHAPE = { name: NameSchema, publicKey: PublicKeySchema, backup: KeyBackupJsonSchema };

/**
 * `PUT /me/keys` body: registers the first key, or — once the user has one — changes the key, the
 * backup or the name, which needs `statement`: a key-change statement (docs/protocol.md §10) by the
 * current key for `publicKey` (the same key again for a new backup or a new name), made within
 * MAX_CLOCK_SKEW_MS of the server's clock and later than the last one recorded.
 */
export const SetKeysBodySchema = z.object({
  ...KEY_UPLOAD_SHAPE,
  statement: z.optional(KeyChangeSchema),
});
export type SetKeysBody = z.infer<typeof SetKeysBodySchema>;

/**
 * How long after a WeChat sign-in (`wx.login` code exchanged, or the dev login) `POST
 * /me/keys/reset` and `DELETE /me` are allowed: a stolen token alone is not enough to replace a
 * key or delete an account.
 */
export const FRESH_LOGIN_WINDOW_MS = 5 * 60_000;

/**
 * `POST /me/keys/reset` body: a new key when the old one is lost (forgotten master key). Recorded
 * as an unsigned reset in the key history, which others' phones show as a strong warning.
 */
export const ResetKeysBodySchema = z.object(KEY_UPLOAD_SHAPE);
export type ResetKeysBody = z.infer<typeof ResetKeysBodySchema>;

/**
 * What every `/me` route answers: the profile, the current public key and its backup, and the
 * server's limits a client must respect (the farthest custom expiry, in days).
 */
export const MeResponseSchema = z.object({
  user: UserSchema,
  publicKey: z.nullable(PublicKeySchema),
  backup: z.nullable(KeyBackupJsonSchema),
  maxExpiryDays: z.int().check(z.positive()),
});
export type MeResponse = z.infer<typeof MeResponseSchema>;

/**
 * `PUT /me/keys` and `POST /me/keys/reset` 200: the profile and a new token. A changed key revokes
 * every token issued before (the caller's too); this one replaces the caller's.
 */
export const KeysSetResponseSchema = z.extend(MeResponseSchema, {
  token: z.string(),
  expiresAt: TimestampSchema,
});
export type KeysSetResponse = z.infer<typeof KeysSetResponseSchema>;

/** One backup the user ever stored, with the key it seals. */
export const BackupRecordSchema = z.object({
  keyId: KeyIdSchema,
  publicKey: PublicKeySchema,
  backup: KeyBackupJsonSchema,
  at: TimestampSchema,
});
export type BackupRecord = z.infer<typeof BackupRecordSchema>;

/**
 * `GET /me/keys` 200: the user's own key history and every backup they stored, newest first, so
 * letters sealed to a key before a rotation still open.
 */
export const MyKeysResponseSchema = z.object({
  history: KeyHistorySchema,
  backups: z.array(BackupRecordSchema),
});
export type MyKeysResponse = z.infer<typeof MyKeysResponseSchema>;

/**
 * Largest sealed contact book, in bytes (the protocol's limit; the server stores bytes). As
 * base64url in a JSON body it stays under the server's default body limit (256 KiB).
 */
export const MAX_CONTACT_BOOK_BYTES = MAX_SEALED_CONTACT_BOOK_BYTES;

/** A sealed contact book: base64url of 1 to MAX_CONTACT_BOOK_BYTES bytes the server cannot read. */
export const ContactBookBlobSchema = z
  .string()
  .check(
    z.refine(
      (s) => isBase64url(s) && s.length > 0 && s.length <= base64urlLength(MAX_CONTACT_BOOK_BYTES),
      `blob must be base64url of 1 to ${MAX_CONTACT_BOOK_BYTES} bytes`,
    ),
  );

/** The contact book's version: 0 before the first write, then +1 per write. */
export const ContactBookCounterSchema = z.int().check(z.gte(0), z.lte(MAX_CONTACT_BOOK_COUNTER));

/** `GET /me/contacts` 200: the stored blob (null before the first write) and its counter. */
export const ContactBookSchema = z.object({
  blob: z.nullable(ContactBookBlobSchema),
  counter: ContactBookCounterSchema,
});
export type ContactBook = z.infer<typeof ContactBookSchema>;

/**
 * `PUT /me/contacts` body: the new blob and the stored counter plus 1 (compare-and-set); any other
 * counter answers 409 `contacts_stale`, so an old copy cannot be written back over a newer one.
 */
export const PutContactBookBodySchema = z.object({
  blob: ContactBookBlobSchema,
  counter: z.int().check(z.gte(1), z.lte(MAX_CONTACT_BOOK_COUNTER)),
});
export type PutContactBookBody = z.infer<typeof PutContactBookBodySchema>;

/** `PUT /me/contacts` 200: the counter now stored. */
export const ContactBookWrittenSchema = z.object({ counter: ContactBookCounterSchema });
export type ContactBookWritten = z.infer<typeof ContactBookWrittenSchema>;

const authErrors = { 401: ErrorResponseSchema } as const;

const keysSetResponses = {
  200: KeysSetResponseSchema,
  400: ErrorResponseSchema,
  ...authErrors,
  403: ErrorResponseSchema,
  409: ErrorResponseSchema,
} as const;

export const meContract = {
  get: {
    method: 'GET',
    path: `${API_PREFIX}/me`,
    responses: { 200: MeResponseSchema, ...authErrors },
  },
  setPhone: {
    method: 'POST',
    path: `${API_PREFIX}/me/phone`,
    body: SetPhoneBodySchema,
    responses: {
      200: MeResponseSchema,
      400: ErrorResponseSchema,
      ...authErrors,
      409: ErrorResponseSchema,
      429: ErrorResponseSchema,
      502: ErrorResponseSchema,
      503: ErrorResponseSchema,
    },
  },
  setKeys: {
    method: 'PUT',
    path: `${API_PREFIX}/me/keys`,
    body: SetKeysBodySchema,
    responses: keysSetResponses,
  },
  resetKeys: {
    method: 'POST',
    path: `${API_PREFIX}/me/keys/reset`,
    body: ResetKeysBodySchema,
    responses: keysSetResponses,
  },
  delete: {
    method: 'DELETE',
    path: `${API_PREFIX}/me`,
    responses: { 204: NoContentSchema, ...authErrors, 403: ErrorResponseSchema },
  },
  keys: {
    method: 'GET',
    path: `${API_PREFIX}/me/keys`,
    responses: { 200: MyKeysResponseSchema, ...authErrors },
  },
  contacts: {
    method: 'GET',
    path: `${API_PREFIX}/me/contacts`,
    responses: { 200: ContactBookSchema, ...authErrors, 403: ErrorResponseSchema },
  },
  putContacts: {
    method: 'PUT',
    path: `${API_PREFIX}/me/contacts`,
    body: PutContactBookBodySchema,
    responses: {
      200: ContactBookWrittenSchema,
      400: ErrorResponseSchema,
      ...authErrors,
      403: ErrorResponseSchema,
      409: ErrorResponseSchema,
      413: ErrorResponseSchema,
    },
  },
} as const satisfies Record<string, Contract>;
