/**
 * Envelopes: sealed letters (docs/protocol.md §Envelope).
 *
 * Sealing draws, in this order, from the random source: id (16 bytes, unless given), the DEK
 * (16), the GCM IV (12), then what SM2 encryption needs for each recipient in list order, then
 * what the SM2 signature needs. The byte strings inside:
 *
 *   plaintext  = UTF-8(JCS({content, remark})) ‖ 00 × p       p minimal with the total ≡ 0 mod 256
 *   ct         = SM4-GCM(DEK, iv, plaintext, AAD) ‖ tag       tag: TAG_LENGTH bytes
 *   wrap       = C1 ‖ C3 ‖ C2 = SM2Enc(recipient key, DEK)    65 + 32 + 16 = WRAP_LENGTH bytes
 *   AAD        = UTF-8(JCS(header))       header: the envelope without ct, sig and every wrap
 *   sig        = DER SM2 signature over UTF-8(JCS(envelope without sig)), ID 1234567812345678;
 *                in version 3 every recipient is written there as {user, key, wrapHash}
 *   commit     = SM3(UTF-8(KEY_COMMITMENT_LABEL) ‖ 00 ‖ id ‖ DEK)        versions 2 and 3
 *   wrapHash   = SM3(UTF-8(WRAP_HASH_LABEL) ‖ 00 ‖ wrap)                  version 3
 *
 * New letters are version 3; version 1 and 2 letters still open. Version 2's header also carries
 * the log head the sender checked its recipients' keys against, the key commitment and the read
 * limit (envelope-schema.ts), so all three are authenticated by GCM and signed. Version 3 signs
 * each wrap through its hash, so the server can purge one recipient's wrap (purgeWrap) once they
 * can no longer fetch the letter, and the signature still holds for everyone else.
 *
 * Opening checks, in this order, and stops at the first failure: schema (Malformed,
 * UnsupportedVersion, TooLarge) → senderKey and signature against the key the reader trusts
 * (BadSignature) → expiry (Expired) → the reader's own entry (NotARecipient; WrapPurged when
 * only its hash is left) → unwrap (Tampered) → key commitment, versions 2 and 3 (Tampered) → GCM
 * tag (Tampered) → padding and plaintext schema (Malformed, TooLarge).
 */
import type { RandomSource } from '../crypto';
import {
  constantTimeEqual,
  randomBytes,
  sm2Decrypt,
  sm2Encrypt,
  sm2EncryptToSelf,
  sm2IsValidPublicKey,
  sm2Sign,
  sm2Verify,
  sm3,
  sm4GcmDecrypt,
  sm4GcmEncrypt,
} from '../crypto';
import {
  base64urlDecode,
  base64urlEncode,
  base64urlLength,
  isWellFormedUnicode,
  utf8Encode,
  utf8Length,
} from '../encoding';
import { MifengError } from '../errors';
import { abytes, adate, anumber, aobject, astring, isPlainRecord } from '../guards';
import { parseJson } from '../json';
import type { SignedTreeHead } from '../transparency/head';
import { padJson, unpadJson } from './_padding';
import { parseWith } from './_parse';
import { canonicalize } from './canonical';
import {
  ENVELOPE_HEADER_MEMBERS,
  type Envelope,
  type EnvelopeHeader,
  EnvelopeSchema,
  type EnvelopeV1,
  type EnvelopeV2,
  type EnvelopeV3,
  MaxOpensSchema,
  RECIPIENT_HEADER_MEMBERS,
} from './envelope-schema';
import { assertUserId, type Identity, keyId, keyPairMatches, type PublicIdentity } from './identity';
import {
  DEK_LENGTH,
  ENVELOPE_ID_LENGTH,
  ENVELOPE_VERSION,
  ENVELOPE_VERSIONS,
  IV_LENGTH,
  KEY_COMMITMENT_LABEL,
  MAX_CIPHERTEXT_BYTES,
  MAX_CONTENT_BYTES,
  MAX_OPENS_LIMIT,
  MAX_PLAINTEXT_BYTES,
  MAX_RECIPIENTS,
  MAX_REMARK_BYTES,
  PRIVATE_KEY_LENGTH,
  WRAP_HASH_LABEL,
  WRAP_LENGTH,
} from './limits';
import { type Plaintext, PlaintextSchema } from './schema';

/** The envelope without `sig`: what the sender signs. */
export type UnsignedEnvelope = Omit<EnvelopeV1, 'sig'> | Omit<EnvelopeV2, 'sig'> | Omit<EnvelopeV3, 'sig'>;

export interface SealInput {
  /** The author, who signs and is always a recipient (added first when absent). */
  sender: Identity;
  /** Who may open it; user ids must be unique. */
  recipients: PublicIdentity[];
  /** At most MAX_CONTENT_BYTES of UTF-8. */
  content: string;
  /** What it is for; at most MAX_REMARK_BYTES of UTF-8. Defaults to "". */
  remark?: string;
  /** After this instant nobody can open it; null = permanent. Must be later than `now`. */
  expiresAt: Date | null;
  /**
   * The log's signed tree head the recipients' keys were checked against; the reader's phone
   * checks it against its own view of the log. Omitted or null: the sender checked no log.
   */
  head?: SignedTreeHead | null;
  /** Opens allowed per recipient, 1 (burn after reading) to MAX_OPENS_LIMIT; omitted or null: no limit. */
  maxOpens?: number | null;
}

export interface SealOptions {
  /** createdAt; defaults to the current time. */
  now?: Date;
  /** Defaults to the source installed with setRandomSource(). */
  random?: RandomSource;
  /** The 16-byte envelope id; drawn from `random` when absent. */
  id?: Uint8Array;
  /**
   * The format, ENVELOPE_VERSION by default. Versions 1 and 2 exist to reproduce their published
   * vectors and test old letters; version 1 has no head, commitment or read limit, so it refuses them.
   */
  version?: 1 | 2 | 3;
}

export interface OpenOptions {
  /** Whose private key unwraps the DEK; must be listed under `reader.user` with keyId(reader.publicKey). */
  reader: Identity;
  /** The sender's public key as the reader trusts it (from the server, checked by fingerprint). */
  senderPublicKey: Uint8Array;
  /** The time the expiry is checked against; defaults to the current time. */
  now?: Date;
}

export interface OpenedLetter extends Plaintext {
  /** The parsed envelope, for the sender, recipients and times it names. */
  envelope: Envelope;
}

/**
 * Validates an envelope's shape (not its signature): the parsed value, or its JSON text as
 * received, read with parseJson (a member name twice is `Malformed`). Throws `UnsupportedVersion`
 * for a numeric `v` other than 1, 2 or 3, `TooLarge` for too many recipients or too long a `ct`,
 * `Malformed` otherwise.
 */
export function parseEnvelope(input: unknown): Envelope {
  const value = typeof input === 'string' ? parseJson(input, 'envelope') : input;
  if (!isPlainRecord(value)) throw new MifengError('Malformed', 'envelope must be a JSON object');
  if (typeof value.v === 'number' && !(ENVELOPE_VERSIONS as readonly number[]).includes(value.v)) {
    throw new MifengError('UnsupportedVersion', `envelope v=${value.v}`);
  }
  if (Array.isArray(value.recipients) && value.recipients.length > MAX_RECIPIENTS) {
    throw new MifengError('TooLarge', `more than ${MAX_RECIPIENTS} recipients`);
  }
  if (typeof value.ct === 'string' && value.ct.length > base64urlLength(MAX_CIPHERTEXT_BYTES)) {
    throw new MifengError('TooLarge', `ct longer than ${MAX_CIPHERTEXT_BYTES} bytes`);
  }
  return parseWith(EnvelopeSchema, value, 'envelope');
}

/** `source` with exactly the members `names` and nothing else. */
function pick(source: object, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = (source as Record<string, unknown>)[name];
  return out;
}

/**
 * The header (the GCM AAD's JSON value), with exactly its members (the schema's header member
 * list) and nothing else.
 */
export function envelopeHeader(envelope: UnsignedEnvelope | EnvelopeHeader): EnvelopeHeader {
  const header = pick(envelope, ENVELOPE_HEADER_MEMBERS[envelope.v]);
  header.recipients = envelope.recipients.map((recipient) => pick(recipient, RECIPIENT_HEADER_MEMBERS));
  return header as EnvelopeHeader;
}

/** AAD = UTF-8(JCS(header)). */
export function envelopeAad(envelope: UnsignedEnvelope | EnvelopeHeader): Uint8Array {
  return utf8Encode(canonicalize(envelopeHeader(envelope)));
}

/**
 * The bytes the sender signs: UTF-8(JCS(envelope without sig)), where version 3 writes every
 * recipient as {user, key, wrapHash} — the same bytes whether its wrap is there or purged.
 */
export function signedBytes(envelope: UnsignedEnvelope): Uint8Array {
  const recipients =
    envelope.v === 3
      ? envelope.recipients.map((entry) => ({
          user: entry.user,
          key: entry.key,
          wrapHash: recipientWrapHash(entry),
        }))
      : envelope.recipients.map(({ user, key, wrap }) => ({ user, key, wrap }));
  return utf8Encode(canonicalize({ ...envelopeHeader(envelope), recipients, ct: envelope.ct }));
}

/**
 * The version 3 hash of a raw wrap: SM3 over the label, a 00 byte and the fixed-length wrap, so
 * it is unlike every other SM3 input of the protocol.
 */
export function wrapHash(wrap: Uint8Array): Uint8Array {
  abytes(wrap, WRAP_LENGTH, 'wrap');
  const label = utf8Encode(WRAP_HASH_LABEL);
  const input = new Uint8Array(label.length + 1 + WRAP_LENGTH);
  input.set(label);
  input.set(wrap, label.length + 1);
  return sm3(input);
}

/**
 * The base64url wrapHash a version 3 entry is signed with: the one it carries once purged, else
 * the hash of its wrap. Entries come from parseEnvelope or sealing, so exactly one is present.
 */
export function recipientWrapHash(entry: { wrap?: string; wrapHash?: string }): string {
  if (entry.wrapHash !== undefined) return entry.wrapHash;
  if (entry.wrap === undefined) throw new TypeError('a recipient needs wrap or wrapHash');
  return base64urlEncode(wrapHash(base64urlDecode(entry.wrap)));
}

/**
 * `envelope` with `user`'s entry purged: {user, key, wrapHash} in place of its wrap, everything
 * else as it was, so the signature still verifies. The only change a server may make to a stored
 * version 3 letter (docs/protocol.md §Envelope version 3).
 */
export function purgeWrap(envelope: EnvelopeV3, user: string): EnvelopeV3 {
  if (!envelope.recipients.some((entry) => entry.user === user)) {
    throw new MifengError('NotARecipient', `${user} is not listed`);
  }
  const recipients = envelope.recipients.map((entry) =>
    entry.user === user ? { user: entry.user, key: entry.key, wrapHash: recipientWrapHash(entry) } : entry,
  );
  return { ...envelope, recipients };
}

/**
 * The version 2 key commitment to `dek` for the envelope `id` (both raw bytes): SM3 over the label,
 * a 00 byte and the two fixed-length values, so no other (id, DEK) pair hashes the same input.
 */
export function keyCommitment(id: Uint8Array, dek: Uint8Array): Uint8Array {
  abytes(id, ENVELOPE_ID_LENGTH, 'id');
  abytes(dek, DEK_LENGTH, 'dek');
  const label = utf8Encode(KEY_COMMITMENT_LABEL);
  const input = new Uint8Array(label.length + 1 + ENVELOPE_ID_LENGTH + DEK_LENGTH);
  input.set(label);
  input.set(id, label.length + 1);
  input.set(dek, label.length + 1 + ENVELOPE_ID_LENGTH);
  try {
    return sm3(input);
  } finally {
    input.fill(0);
  }
}

/**
 * The read limit a letter carries: opens allowed per recipient, or null for none (every version 1
 * letter). For the server, on an envelope that parseEnvelope accepted; its signature makes the
 * sender's choice tamper-evident, the server enforces it.
 */
export function envelopeMaxOpens(envelope: Envelope): number | null {
  return envelope.v === 1 ? null : envelope.maxOpens;
}

/** The log head a version 2 or 3 letter's sender checked its recipients' keys against; null otherwise. */
export function envelopeLogHead(envelope: Envelope): SignedTreeHead | null {
  return envelope.v === 1 ? null : envelope.head;
}

/**
 * True when `senderKey` names `senderPublicKey` and `sig` verifies over signedBytes with it.
 * Never throws for a bad envelope; wrong argument types throw TypeError/RangeError.
 */
export function verifyEnvelopeSignature(envelope: Envelope, senderPublicKey: Uint8Array): boolean {
  const expectedKeyId = keyId(senderPublicKey);
  try {
    if (envelope.senderKey !== expectedKeyId) return false;
    return sm2Verify(senderPublicKey, signedBytes(envelope), base64urlDecode(envelope.sig));
  } catch {
    return false;
  }
}

function checkText(value: unknown, name: string, maxBytes: number): string {
  const text = astring(value, name);
  if (!isWellFormedUnicode(text)) throw new MifengError('Malformed', `${name} contains a lone surrogate`);
  if (utf8Length(text) > maxBytes)
    throw new MifengError('TooLarge', `${name} is over ${maxBytes} UTF-8 bytes`);
  return text;
}

/** Plaintext bytes: UTF-8 of the JCS form, zero-padded to the next multiple of PADDING_BLOCK. */
export function encodePlaintext(plaintext: Plaintext): Uint8Array {
  const content = checkText(plaintext.content, 'content', MAX_CONTENT_BYTES);
  const remark = checkText(plaintext.remark, 'remark', MAX_REMARK_BYTES);
  return padJson(utf8Encode(canonicalize({ content, remark })), MAX_PLAINTEXT_BYTES, 'plaintext');
}

/**
 * Inverse of encodePlaintext. `Malformed` unless the input is exactly what encodePlaintext
 * produces: minimal zero padding, strict UTF-8, canonical JSON with only content and remark.
 */
export function decodePlaintext(bytes: Uint8Array): Plaintext {
  const { text, value: json } = unpadJson(bytes, MAX_PLAINTEXT_BYTES, 'plaintext');
  const plaintext = parseWith(PlaintextSchema, json, 'plaintext');
  checkText(plaintext.content, 'content', MAX_CONTENT_BYTES);
  checkText(plaintext.remark, 'remark', MAX_REMARK_BYTES);
  if (canonicalize(plaintext) !== text) throw new MifengError('Malformed', 'plaintext is not canonical JSON');
  return plaintext;
}

/** The recipient list of a new envelope: the sender first, then the others in the given order. */
function recipientList(sender: Identity, recipients: readonly PublicIdentity[]): PublicIdentity[] {
  if (!Array.isArray(recipients)) throw new TypeError('recipients must be an array');
  const list: PublicIdentity[] = [{ user: sender.user, publicKey: sender.publicKey }];
  const seen = new Set([sender.user]);
  const senderKey = base64urlEncode(sender.publicKey);
  for (const recipient of recipients) {
    assertUserId(recipient.user);
    abytes(recipient.publicKey, undefined, `the publicKey of recipient ${recipient.user}`);
    if (recipient.user === sender.user) {
      if (base64urlEncode(recipient.publicKey) !== senderKey) {
        throw new MifengError('Malformed', "the sender is listed with a key other than the sender's");
      }
      continue;
    }
    if (seen.has(recipient.user))
      throw new MifengError('Malformed', `recipient ${recipient.user} is listed twice`);
    if (!sm2IsValidPublicKey(recipient.publicKey)) {
      throw new MifengError('Malformed', `the key of recipient ${recipient.user} is not an SM2 public key`);
    }
    seen.add(recipient.user);
    list.push({ user: recipient.user, publicKey: recipient.publicKey });
  }
  if (list.length > MAX_RECIPIENTS)
    throw new MifengError('TooLarge', `more than ${MAX_RECIPIENTS} recipients`);
  return list;
}

/** Checks that the identity's keys belong together, so nobody seals a letter that cannot open. */
function checkIdentity(identity: Identity, name: string): void {
  if (typeof identity !== 'object' || identity === null) throw new TypeError(`${name} must be an identity`);
  assertUserId(identity.user);
  if (!(identity.privateKey instanceof Uint8Array) || !(identity.publicKey instanceof Uint8Array)) {
    throw new TypeError(`${name} keys must be Uint8Arrays`);
  }
  if (!keyPairMatches(identity.privateKey, identity.publicKey)) {
    throw new MifengError(
      'Malformed',
      `${name}.publicKey does not match its privateKey (or that is no SM2 key)`,
    );
  }
}

/** One SM2 nonce draw: a 32-byte scalar, drawn again when it falls outside [1, n−2]. */
const NONCE_DRAW_LENGTH = PRIVATE_KEY_LENGTH;

/**
 * The random bytes sealEnvelope draws for a letter to `recipients` people besides the sender when
 * no SM2 nonce is rejected: id, DEK, IV, a nonce for each wrap (the sender's own included) and one
 * for the signature. A rejected nonce (about 2^-32 per draw) draws another NONCE_DRAW_LENGTH; what
 * a caller adds for that is up to the caller.
 */
export function sealRandomLength(recipients: number, surplusNonces = 0): number {
  anumber(recipients, 0, MAX_RECIPIENTS, 'recipients');
  anumber(surplusNonces, 0, MAX_RECIPIENTS, 'surplusNonces');
  return ENVELOPE_ID_LENGTH + DEK_LENGTH + IV_LENGTH + (recipients + 2 + surplusNonces) * NONCE_DRAW_LENGTH;
}

/** Seals a letter for its recipients and signs it as the sender. */
export function sealEnvelope(input: SealInput, options: SealOptions = {}): Envelope {
  aobject(input, 'input');
  checkIdentity(input.sender, 'sender');
  const recipients = recipientList(input.sender, input.recipients);
  const now = adate(options.now ?? new Date(), 'now');
  const version = options.version ?? ENVELOPE_VERSION;
  if (version !== 1 && version !== 2 && version !== 3) throw new TypeError('version must be 1, 2 or 3');
  const head = input.head ?? null;
  const maxOpens = input.maxOpens ?? null;
  if (version === 1 && (head !== null || maxOpens !== null)) {
    throw new TypeError('a version 1 envelope has no head and no read limit');
  }
  if (!MaxOpensSchema.safeParse(maxOpens).success) {
    throw new MifengError(
      'Malformed',
      `maxOpens must be a whole number from 1 to ${MAX_OPENS_LIMIT}, or null`,
    );
  }
  const expiresAt = input.expiresAt === null ? null : adate(input.expiresAt, 'expiresAt');
  if (expiresAt !== null && expiresAt.getTime() <= now.getTime()) {
    throw new MifengError('Malformed', 'expiresAt must be later than now');
  }
  const plaintext = encodePlaintext({ content: input.content, remark: input.remark ?? '' });

  const random = options.random;
  const id =
    options.id === undefined
      ? randomBytes(ENVELOPE_ID_LENGTH, random)
      : abytes(options.id, ENVELOPE_ID_LENGTH, 'id');
  const dek = randomBytes(DEK_LENGTH, random);
  try {
    const iv = randomBytes(IV_LENGTH, random);
    // The sender's own wrap needs no variable-base multiplication: checkIdentity has tied the
    // private key to this public key, and the list starts with the sender.
    const entries = recipients.map(({ user, publicKey }, i) => ({
      user,
      key: keyId(publicKey),
      wrap: base64urlEncode(
        i === 0 ? sm2EncryptToSelf(input.sender.privateKey, dek, random) : sm2Encrypt(publicKey, dek, random),
      ),
    }));
    const common = {
      id: base64urlEncode(id),
      sender: input.sender.user,
      senderKey: keyId(input.sender.publicKey),
      createdAt: now.toISOString(),
      expiresAt: expiresAt === null ? null : expiresAt.toISOString(),
      recipients: entries.map(({ user, key }) => ({ user, key })),
      iv: base64urlEncode(iv),
    };
    const header: EnvelopeHeader =
      version === 1
        ? { v: 1, ...common }
        : { v: version, ...common, head, commit: base64urlEncode(keyCommitment(id, dek)), maxOpens };
    const ct = base64urlEncode(sm4GcmEncrypt(dek, iv, plaintext, envelopeAad(header)));
    const unsigned = { ...header, recipients: entries, ct } as UnsignedEnvelope;
    const sig = base64urlEncode(sm2Sign(input.sender.privateKey, signedBytes(unsigned), random));
    // The schema check also refuses a head of the wrong shape, before the letter leaves the phone.
    return parseEnvelope({ ...unsigned, sig });
  } finally {
    dek.fill(0);
    plaintext.fill(0);
  }
}

/**
 * `Tampered` unless the unwrapped DEK is the one the signed header commits to. GCM alone does not
 * commit to its key: a sender could wrap two DEKs to two readers and craft one ciphertext that
 * decrypts under both, so that each reads another signed letter.
 */
function checkKeyCommitment(envelope: EnvelopeV2 | EnvelopeV3, dek: Uint8Array): void {
  const expected = keyCommitment(base64urlDecode(envelope.id), dek);
  if (!constantTimeEqual(expected, base64urlDecode(envelope.commit))) {
    throw new MifengError('Tampered', 'the wrapped key is not the one the letter commits to');
  }
}

/**
 * Verifies and decrypts a letter (checks in the order of the module comment): the parsed envelope,
 * or better its JSON text as received, so that a member given twice is refused.
 */
export function openEnvelope(envelope: unknown, options: OpenOptions): OpenedLetter {
  const { reader, senderPublicKey } = aobject(options, 'options');
  abytes(aobject(reader, 'reader').privateKey, undefined, 'reader.privateKey');
  const now = adate(options.now ?? new Date(), 'now');
  const parsed = parseEnvelope(envelope);

  if (!verifyEnvelopeSignature(parsed, senderPublicKey)) {
    throw new MifengError(
      'BadSignature',
      parsed.senderKey === keyId(senderPublicKey) ? undefined : 'senderKey differs',
    );
  }
  if (parsed.expiresAt !== null && now.getTime() >= Date.parse(parsed.expiresAt)) {
    throw new MifengError('Expired', `expired at ${parsed.expiresAt}`);
  }
  const entry = parsed.recipients.find((r) => r.user === reader.user);
  if (!entry) throw new MifengError('NotARecipient');
  if (entry.key !== keyId(reader.publicKey))
    throw new MifengError('NotARecipient', 'sealed to another key of yours');
  if (entry.wrap === undefined) throw new MifengError('WrapPurged');

  // Throws Tampered itself when C3 does not match.
  const dek = sm2Decrypt(reader.privateKey, base64urlDecode(entry.wrap));
  let padded: Uint8Array | undefined;
  try {
    if (dek.length !== DEK_LENGTH) throw new MifengError('Tampered', 'the wrapped key has the wrong length');
    if (parsed.v !== 1) checkKeyCommitment(parsed, dek);
    padded = sm4GcmDecrypt(dek, base64urlDecode(parsed.iv), base64urlDecode(parsed.ct), envelopeAad(parsed));
    const { content, remark } = decodePlaintext(padded);
    return { content, remark, envelope: parsed };
  } finally {
    dek.fill(0);
    padded?.fill(0);
  }
}
