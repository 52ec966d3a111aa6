/**
 * zod schemas of the protocol's JSON forms (docs/protocol.md §Formats); the envelope's, which
 * embeds a transparency log head, are in envelope-schema.ts. They check shape and
 * encodings only — exact base64url lengths, timestamps, DER form, recipient rules — never
 * signatures or keys, so the server can validate uploads cheaply before verifying them.
 * Objects are strict: an unknown member is an error, because signed bytes cover every member.
 * Binary fields stay base64url strings in the parsed value, so a parsed envelope re-serializes to
 * the exact bytes that were signed.
 */
import * as z from 'zod/mini';
import { isStrictDerSignature } from '../crypto';
import { base64urlDecode, base64urlLength, isBase64url } from '../encoding';
import {
  BACKUP_CIPHERTEXT_LENGTH,
  BACKUP_KDF,
  ENVELOPE_ID_LENGTH,
  IV_LENGTH,
  KEY_BACKUP_VERSION,
  KEY_CHANGE_TYPE,
  KEY_CHANGE_VERSION,
  KEY_ID_LENGTH,
  MAX_BACKUP_ITERATIONS,
  MAX_CONTACTS,
  MAX_SIGNATURE_LENGTH,
  MAX_USER_ID_LENGTH,
  MIN_BACKUP_ITERATIONS,
  MIN_SIGNATURE_LENGTH,
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  SALT_LENGTH,
  UNCOMPRESSED_POINT_PREFIX,
} from './limits';

const USER_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_USER_ID_LENGTH}}$`);
/** The shape of `Date.prototype.toISOString()` for years 0000–9999. */
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** True when `text` is exactly what `toISOString()` prints for some date (so `2026-02-30…` fails). */
export function isTimestamp(text: unknown): text is string {
  if (typeof text !== 'string' || !TIMESTAMP_PATTERN.test(text)) return false;
  const time = Date.parse(text);
  return !Number.isNaN(time) && new Date(time).toISOString() === text;
}

/** Base64url of exactly `length` bytes. */
export function bytesField(length: number, label: string) {
  return z
    .string()
    .check(z.refine((s) => isBase64url(s, length), `${label} must be base64url of ${length} bytes`));
}

/** Base64url of `length` bytes whose first byte is 04 (an uncompressed point, or SM2 C1 first). */
export function pointField(length: number, label: string) {
  return z
    .string()
    .check(
      z.refine(
        (s) => isBase64url(s, length) && base64urlDecode(s)[0] === UNCOMPRESSED_POINT_PREFIX,
        `${label} must be base64url of ${length} bytes starting with 04`,
      ),
    );
}

/** The number of bytes a canonical base64url text decodes to. */
export function decodedLength(text: string): number {
  return Math.floor((text.length * 3) / 4);
}

/** A user id: 1–64 characters of `A–Z a–z 0–9 _ -`. */
export const UserIdSchema = z
  .string()
  .check(z.regex(USER_ID_PATTERN, 'user id must match [A-Za-z0-9_-]{1,64}'));
export type UserId = z.infer<typeof UserIdSchema>;

/** A UTC time exactly as `Date.prototype.toISOString()` prints it (24 characters). */
export const TimestampSchema = z
  .string()
  .check(z.refine(isTimestamp, 'timestamp must be the 24-character toISOString() form'));
export type Timestamp = z.infer<typeof TimestampSchema>;

/** An envelope id: base64url of 16 random bytes chosen by the sender. */
export const EnvelopeIdSchema = bytesField(ENVELOPE_ID_LENGTH, 'id');
export type EnvelopeId = z.infer<typeof EnvelopeIdSchema>;

/** keyId: base64url of the first 16 bytes of SM3(public key). */
export const KeyIdSchema = bytesField(KEY_ID_LENGTH, 'keyId');
export type KeyId = z.infer<typeof KeyIdSchema>;

/** An SM2 public key, base64url of the 65-byte uncompressed point 04‖X‖Y (on-curve not checked). */
export const PublicKeySchema = pointField(PUBLIC_KEY_LENGTH, 'publicKey');
export type PublicKey = z.infer<typeof PublicKeySchema>;

/** An SM2 private key, base64url of the 32-byte scalar. */
export const PrivateKeySchema = bytesField(PRIVATE_KEY_LENGTH, 'privateKey');
export type PrivateKey = z.infer<typeof PrivateKeySchema>;

/** A DER-encoded SM2 signature in its one minimal form. */
export const SignatureSchema = z
  .string()
  .check(
    z.refine(
      (s) =>
        isBase64url(s) &&
        s.length >= base64urlLength(MIN_SIGNATURE_LENGTH) &&
        s.length <= base64urlLength(MAX_SIGNATURE_LENGTH) &&
        isStrictDerSignature(base64urlDecode(s)),
      'sig must be base64url of a strict DER SM2 signature',
    ),
  );

/** The decrypted letter, before padding (docs/protocol.md §Plaintext). */
export const PlaintextSchema = z.strictObject({ content: z.string(), remark: z.string() });
export type Plaintext = z.infer<typeof PlaintextSchema>;

/** A private key sealed under the owner's master key (docs/protocol.md §Key backup). */
export const KeyBackupSchema = z.strictObject({
  v: z.literal(KEY_BACKUP_VERSION),
  kdf: z.literal(BACKUP_KDF),
  iter: z.int().check(z.gte(MIN_BACKUP_ITERATIONS), z.lte(MAX_BACKUP_ITERATIONS)),
  salt: bytesField(SALT_LENGTH, 'salt'),
  iv: bytesField(IV_LENGTH, 'iv'),
  ct: bytesField(BACKUP_CIPHERTEXT_LENGTH, 'ct'),
});
export type KeyBackup = z.infer<typeof KeyBackupSchema>;

/** An identity file as the CLI reads and writes it: a user id and an SM2 key pair. */
export const IdentityJsonSchema = z.strictObject({
  user: UserIdSchema,
  privateKey: PrivateKeySchema,
  publicKey: PublicKeySchema,
});
export type IdentityJson = z.infer<typeof IdentityJsonSchema>;

/** The public half of an identity: enough to address a letter to someone. */
export const PublicIdentityJsonSchema = z.strictObject({ user: UserIdSchema, publicKey: PublicKeySchema });
export type PublicIdentityJson = z.infer<typeof PublicIdentityJsonSchema>;

/**
 * The members of a key-change statement that its signature covers: everything but `sig`
 * (docs/protocol.md §10). `type` separates the signed bytes from an envelope's, which has no such
 * member.
 */
const KEY_CHANGE_SHAPE = {
  v: z.literal(KEY_CHANGE_VERSION),
  type: z.literal(KEY_CHANGE_TYPE),
  user: UserIdSchema,
  oldKey: KeyIdSchema,
  newKey: KeyIdSchema,
  newPublicKey: PublicKeySchema,
  at: TimestampSchema,
};

/** A key-change statement without its signature: what the old key signs. */
export const UnsignedKeyChangeSchema = z.strictObject(KEY_CHANGE_SHAPE);
export type UnsignedKeyChange = z.infer<typeof UnsignedKeyChangeSchema>;

/** A key-change statement: the user's old key vouches for their new one (docs/protocol.md §10). */
export const KeyChangeSchema = z.strictObject({ ...KEY_CHANGE_SHAPE, sig: SignatureSchema });
export type KeyChange = z.infer<typeof KeyChangeSchema>;

/**
 * One contact: a user and the key pinned for them (docs/protocol.md §Contact book). `verifiedAt`
 * is present exactly when `verified` is true.
 */
export const ContactSchema = z
  .strictObject({
    user: UserIdSchema,
    keyId: KeyIdSchema,
    publicKey: PublicKeySchema,
    firstSeen: TimestampSchema,
    verified: z.boolean(),
    verifiedAt: z.optional(TimestampSchema),
  })
  .check(
    z.refine((c) => c.verified === (c.verifiedAt !== undefined), 'verifiedAt is set exactly when verified'),
  );
export type Contact = z.infer<typeof ContactSchema>;

/** The contact book's plaintext: contacts sorted by user id, each user once. */
export const ContactListSchema = z.strictObject({
  contacts: z.array(ContactSchema).check(
    z.maxLength(MAX_CONTACTS),
    z.refine(
      (list) => list.every((c, i) => i === 0 || list[i - 1]!.user < c.user),
      'contacts must be sorted by user id, each user once',
    ),
  ),
});
export type ContactList = z.infer<typeof ContactListSchema>;
