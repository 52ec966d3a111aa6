/**
 * Sizes and limits of the protocol (docs/protocol.md §Limits). The server and the mini program use
 * these names rather than repeating the numbers.
 */

/** The envelope format new letters are sealed in (an envelope's `v`). */
export const ENVELOPE_VERSION = 3;
/**
 * Every envelope format this code opens: letters sealed before version 3 keep opening for as long
 * as they live.
 */
export const ENVELOPE_VERSIONS = [1, 2, 3] as const;
/** A readable envelope version. */
export type EnvelopeVersion = (typeof ENVELOPE_VERSIONS)[number];
/**
 * The only key backup format this code reads and writes (a backup's `v`). Versioned apart from
 * envelopes: either format can change without the other.
 */
export const KEY_BACKUP_VERSION = 1;

/** The only key-change statement format this code reads and writes (a statement's `v`). */
export const KEY_CHANGE_VERSION = 1;
/** A key-change statement's `type`: what makes its signed bytes unlike any other signed object's. */
export const KEY_CHANGE_TYPE = 'mifeng-key-change';

// Byte lengths of the binary fields (all carried as unpadded base64url in JSON).

/** Envelope `id`: random bytes. */
export const ENVELOPE_ID_LENGTH = 16;
/** The per-envelope SM4 data-encryption key (DEK). */
export const DEK_LENGTH = 16;
/** SM4-GCM nonce (`iv` of envelopes and backups); GCM's 96-bit fast path, RFC 8998 §3.2. */
export const IV_LENGTH = 12;
/** SM4-GCM authentication tag, appended to the ciphertext. */
export const TAG_LENGTH = 16;
/** SM2 private key: a big-endian scalar. */
export const PRIVATE_KEY_LENGTH = 32;
/** SM2 public key: the uncompressed point 04‖X‖Y (SEC 1 §2.3.3). */
export const PUBLIC_KEY_LENGTH = 65;
/** The leading byte of an uncompressed point, also the first byte of SM2 ciphertext C1. */
export const UNCOMPRESSED_POINT_PREFIX = 0x04;
/** SM3 digest, which is the fingerprint of a public key. */
export const FINGERPRINT_LENGTH = 32;
/** keyId: the first bytes of the fingerprint. */
export const KEY_ID_LENGTH = 16;
/** SM2 encryption of the DEK: C1 (65, uncompressed point) ‖ C3 (32, SM3) ‖ C2 (16, = DEK length). */
export const WRAP_LENGTH = PUBLIC_KEY_LENGTH + FINGERPRINT_LENGTH + DEK_LENGTH;
/** Signature lengths: the strict DER module's (two INTEGERs of 1 to 33 bytes: 8 to 72 bytes). */
export { MAX_SIGNATURE_LENGTH, MIN_SIGNATURE_LENGTH } from '../crypto';

// Envelope limits.

/**
 * Largest read limit (`maxOpens`, versions 2 and 3) a sender can set per recipient; anything higher is
 * better said as no limit (null).
 */
export const MAX_OPENS_LIMIT = 1000;
/**
 * The domain-separation label of the key commitment (versions 2 and 3):
 * commit = SM3(UTF-8(label) ‖ 00 ‖ id ‖ DEK), over the raw 16-byte id and DEK.
 */
export const KEY_COMMITMENT_LABEL = 'mifeng/envelope-v2/key-commitment';
/** The key commitment: a whole SM3 digest. */
export const KEY_COMMITMENT_LENGTH = 32;
/**
 * The domain-separation label of a version 3 wrap hash:
 * wrapHash = SM3(UTF-8(label) ‖ 00 ‖ wrap), over the raw 113-byte wrap.
 */
export const WRAP_HASH_LABEL = 'mifeng/envelope-v3/wrap';
/** A wrap hash: a whole SM3 digest. */
export const WRAP_HASH_LENGTH = 32;
/** Largest `recipients` list, the sender's own entry included. */
export const MAX_RECIPIENTS = 50;
/** User ids match `^[A-Za-z0-9_-]{1,MAX_USER_ID_LENGTH}$`. */
export const MAX_USER_ID_LENGTH = 64;
/** Largest `content`, counted in UTF-8 bytes. */
export const MAX_CONTENT_BYTES = 16 * 1024;
/** Largest `remark`, counted in UTF-8 bytes. */
export const MAX_REMARK_BYTES = 1024;
/** The plaintext JSON is zero-padded to a multiple of this many bytes. */
export const PADDING_BLOCK = 256;
/** Largest padded plaintext (a multiple of PADDING_BLOCK); also caps content full of escapes. */
export const MAX_PLAINTEXT_BYTES = 20 * 1024;
/** Largest `ct`: the padded plaintext and the GCM tag. */
export const MAX_CIPHERTEXT_BYTES = MAX_PLAINTEXT_BYTES + TAG_LENGTH;
/** Smallest `ct`: one padding block and the tag. */
export const MIN_CIPHERTEXT_BYTES = PADDING_BLOCK + TAG_LENGTH;
/**
 * An upper bound on the UTF-8 size of any valid envelope's JSON (a maximal one is about 41 KB), for
 * request body limits.
 */
export const MAX_ENVELOPE_JSON_BYTES = 64 * 1024;

// Key backup limits.

/** The key-derivation function named in `kdf`. */
export const BACKUP_KDF = 'pbkdf2-hmac-sm3';
/** PBKDF2 salt. */
export const SALT_LENGTH = 16;
/** The SM4 key derived from the master key. */
export const BACKUP_KEY_LENGTH = 16;
/** Backup `ct`: the 32-byte private key and the GCM tag. */
export const BACKUP_CIPHERTEXT_LENGTH = PRIVATE_KEY_LENGTH + TAG_LENGTH;
/** PBKDF2 iterations for new backups. */
export const DEFAULT_BACKUP_ITERATIONS = 100_000;
/** Fewer iterations than this are refused: the backup is stored on the server. */
export const MIN_BACKUP_ITERATIONS = 10_000;
/**
 * More iterations than this are refused, so a hostile or corrupted backup cannot keep a phone busy
 * for minutes: 10× the default, about 30 s under an interpreter without JIT.
 */
export const MAX_BACKUP_ITERATIONS = 1_000_000;

// Contact book limits.

/** The only sealed contact book format this code reads and writes (its first byte). */
export const CONTACT_BOOK_VERSION = 1;
/** HKDF-SM3 salt of the contact book key: the domain separation from every other use of the key. */
export const CONTACT_BOOK_LABEL = 'mifeng contacts v1';
/** The SM4 key derived for the contact book. */
export const CONTACT_BOOK_KEY_LENGTH = 16;
/** The sealed book's counter: a big-endian uint32, 1 to 2^31 − 1. */
export const CONTACT_BOOK_COUNTER_LENGTH = 4;
/** Largest counter: what a signed 32-bit database column holds. */
export const MAX_CONTACT_BOOK_COUNTER = 2 ** 31 - 1;
/** Sealed book header: version byte, counter, IV. */
export const CONTACT_BOOK_HEADER_LENGTH = 1 + CONTACT_BOOK_COUNTER_LENGTH + IV_LENGTH;
/** Largest padded contact book plaintext (639 blocks of 256 bytes). */
export const MAX_CONTACT_BOOK_PLAINTEXT_BYTES = 639 * PADDING_BLOCK;
/**
 * Largest sealed contact book: header, padded plaintext, tag (163 617 bytes, under 160 KiB, so its
 * base64url fits a 256 KiB request body).
 */
export const MAX_SEALED_CONTACT_BOOK_BYTES =
  CONTACT_BOOK_HEADER_LENGTH + MAX_CONTACT_BOOK_PLAINTEXT_BYTES + TAG_LENGTH;
/** Most contacts in a book: a full book of the longest entries (≈ 307 bytes each) fits the plaintext. */
export const MAX_CONTACTS = 500;
