/**
 * The contact book (docs/protocol.md §Contact book): every user this phone has sealed to or opened a
 * letter from, with the key pinned for them, kept on the server sealed to its owner.
 *
 *   K         = HKDF-SM3(IKM = private key d (32 bytes), salt = ASCII("mifeng contacts v1"),
 *                        info = UTF-8(owner user id), L = 16)                   (RFC 5869)
 *   plaintext = UTF-8(JCS({contacts})) ‖ 00 × p       p minimal with the total ≡ 0 mod 256
 *   AAD       = UTF-8(JCS({v, owner, key, counter, iv}))   key: keyId of the owner's public key
 *   blob      = v (1 byte) ‖ counter (uint32 BE) ‖ iv (12) ‖ SM4-GCM(K, iv, plaintext, AAD) ‖ tag
 *
 * Owner and key are not in the blob: the reader supplies its own, so a blob of another user or of
 * the owner's previous key fails authentication. Sealing draws iv (12 bytes) from the random
 * source. The counter is authenticated: a reader that remembers the highest counter it opened
 * refuses an older copy (`Rollback`), so an old book cannot be served again silently. Opening
 * checks, in this order: layout (Malformed, UnsupportedVersion) → GCM tag (Tampered) → padding and
 * contact list (Malformed) → counter not below the last one seen (Rollback).
 *
 * Trust in a key the server hands out is its state against the book: `new` (no contact yet),
 * `pinned` (the pinned key), `verified` (pinned and compared in person) or `changed` (another key
 * than the pinned one); a change is `signed` when the key history links the two keys by statements
 * each signed by the key before, else `reset`. Verifying in person compares the fingerprint a contact's "my key" QR code
 * carries, `mifeng-key:1:<user>:<base64url fingerprint>`, with the pinned key's.
 */
import type { RandomSource } from '../crypto';
import { constantTimeEqual, hkdfSm3, randomBytes, sm4GcmDecrypt, sm4GcmEncrypt } from '../crypto';
import { base64urlDecode, base64urlEncode, isBase64url, utf8Encode } from '../encoding';
import { MifengError } from '../errors';
import { abytes, adate, anumber, aobject } from '../guards';
import { padJson, unpadJson } from './_padding';
import { parseWith } from './_parse';
import { canonicalize } from './canonical';
import { fingerprint, type Identity, keyId, keyPairMatches, type PublicIdentity } from './identity';
import { verifyKeyChange } from './key-change';
import {
  CONTACT_BOOK_COUNTER_LENGTH,
  CONTACT_BOOK_HEADER_LENGTH,
  CONTACT_BOOK_KEY_LENGTH,
  CONTACT_BOOK_LABEL,
  CONTACT_BOOK_VERSION,
  FINGERPRINT_LENGTH,
  IV_LENGTH,
  MAX_CONTACT_BOOK_COUNTER,
  MAX_CONTACT_BOOK_PLAINTEXT_BYTES,
  MAX_CONTACTS,
  MAX_SEALED_CONTACT_BOOK_BYTES,
  MIN_CIPHERTEXT_BYTES,
  PADDING_BLOCK,
  PUBLIC_KEY_LENGTH,
  TAG_LENGTH,
} from './limits';
import { type Contact, type ContactList, ContactListSchema, type KeyChange, UserIdSchema } from './schema';

/** An opened (or new) contact book: its contacts and the counter of the copy it came from (0: none yet). */
export interface ContactBook {
  counter: number;
  contacts: Contact[];
}

/** An empty book, before the first copy is stored. */
export function emptyContactBook(): ContactBook {
  return { counter: 0, contacts: [] };
}

/** The book's SM4 key for `owner`: HKDF-SM3 over the private scalar, salted with the label. */
export function contactBookKey(owner: Identity): Uint8Array {
  return hkdfSm3(
    abytes(owner.privateKey, undefined, 'owner.privateKey'),
    utf8Encode(CONTACT_BOOK_LABEL),
    utf8Encode(owner.user),
    CONTACT_BOOK_KEY_LENGTH,
  );
}

/** The AAD: the header as JSON, with the owner and key the reader expects. */
function contactBookAad(owner: Identity, counter: number, iv: Uint8Array): Uint8Array {
  return utf8Encode(
    canonicalize({
      v: CONTACT_BOOK_VERSION,
      owner: owner.user,
      key: keyId(owner.publicKey),
      counter,
      iv: base64urlEncode(iv),
    }),
  );
}

function checkOwner(owner: Identity): void {
  aobject(owner, 'owner');
  parseWith(UserIdSchema, owner.user, 'owner.user');
  abytes(owner.publicKey, PUBLIC_KEY_LENGTH, 'owner.publicKey');
  if (!keyPairMatches(owner.privateKey, owner.publicKey)) {
    throw new MifengError('Malformed', 'owner.publicKey does not match its privateKey');
  }
}

function sortedContacts(contacts: readonly Contact[]): Contact[] {
  return [...contacts].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/** Contact list rules beyond the schema: each keyId names its key. */
function checkContactList(value: unknown): ContactList {
  const list = parseWith(ContactListSchema, value, 'contact book');
  for (const contact of list.contacts) {
    if (keyId(base64urlDecode(contact.publicKey)) !== contact.keyId) {
      throw new MifengError('Malformed', `contact ${contact.user}: keyId is not the key's`);
    }
  }
  return list;
}

/**
 * Seals `contacts` for `owner` as copy number `counter` (one more than the copy it replaces).
 * `Malformed` for an entry that breaks the contact schema or whose keyId is not its key's.
 */
export function sealContactBook(
  owner: Identity,
  contacts: readonly Contact[],
  counter: number,
  options: { random?: RandomSource } = {},
): Uint8Array {
  checkOwner(owner);
  anumber(counter, 1, MAX_CONTACT_BOOK_COUNTER, 'counter');
  const list = checkContactList({ contacts: sortedContacts(contacts) });
  const plaintext = padJson(utf8Encode(canonicalize(list)), MAX_CONTACT_BOOK_PLAINTEXT_BYTES, 'contact book');
  const iv = randomBytes(IV_LENGTH, options.random);
  const key = contactBookKey(owner);
  try {
    const ct = sm4GcmEncrypt(key, iv, plaintext, contactBookAad(owner, counter, iv));
    const blob = new Uint8Array(CONTACT_BOOK_HEADER_LENGTH + ct.length);
    blob[0] = CONTACT_BOOK_VERSION;
    new DataView(blob.buffer).setUint32(1, counter);
    blob.set(iv, 1 + CONTACT_BOOK_COUNTER_LENGTH);
    blob.set(ct, CONTACT_BOOK_HEADER_LENGTH);
    return blob;
  } finally {
    key.fill(0);
    plaintext.fill(0);
  }
}

/** The counter a blob claims (unauthenticated until opened); `Malformed`/`UnsupportedVersion` as opening. */
export function contactBookCounter(blob: Uint8Array): number {
  abytes(blob, undefined, 'blob');
  if (blob.length > 0 && blob[0] !== CONTACT_BOOK_VERSION) {
    throw new MifengError('UnsupportedVersion', `contact book v=${blob[0]}`);
  }
  const ctLength = blob.length - CONTACT_BOOK_HEADER_LENGTH;
  if (
    blob.length > MAX_SEALED_CONTACT_BOOK_BYTES ||
    ctLength < MIN_CIPHERTEXT_BYTES ||
    (ctLength - TAG_LENGTH) % PADDING_BLOCK !== 0
  ) {
    throw new MifengError('Malformed', `contact book of ${blob.length} bytes is not a sealed book's length`);
  }
  const counter = new DataView(blob.buffer, blob.byteOffset, blob.length).getUint32(1);
  if (counter < 1 || counter > MAX_CONTACT_BOOK_COUNTER) {
    throw new MifengError('Malformed', `contact book counter ${counter} is out of range`);
  }
  return counter;
}

/**
 * Opens a sealed book with its owner's key. `lastCounter` is the highest counter this device has
 * opened before (0 when none): a lower counter is an old copy served again, `Rollback`.
 */
export function openContactBook(blob: Uint8Array, owner: Identity, lastCounter = 0): ContactBook {
  checkOwner(owner);
  anumber(lastCounter, 0, MAX_CONTACT_BOOK_COUNTER, 'lastCounter');
  const counter = contactBookCounter(blob);
  const iv = blob.subarray(1 + CONTACT_BOOK_COUNTER_LENGTH, CONTACT_BOOK_HEADER_LENGTH);
  const key = contactBookKey(owner);
  let padded: Uint8Array;
  try {
    padded = sm4GcmDecrypt(
      key,
      iv,
      blob.subarray(CONTACT_BOOK_HEADER_LENGTH),
      contactBookAad(owner, counter, iv),
    );
  } catch (cause) {
    throw new MifengError(
      'Tampered',
      'the contact book failed authentication (another owner or key, or altered)',
      {
        cause,
      },
    );
  } finally {
    key.fill(0);
  }
  try {
    const { text, value } = unpadJson(padded, MAX_CONTACT_BOOK_PLAINTEXT_BYTES, 'contact book');
    const list = checkContactList(value);
    if (canonicalize(list) !== text) throw new MifengError('Malformed', 'contact book is not canonical JSON');
    if (counter < lastCounter) {
      throw new MifengError('Rollback', `contact book copy ${counter}, already seen ${lastCounter}`);
    }
    return { counter, contacts: list.contacts };
  } finally {
    padded.fill(0);
  }
}

/** How far the phone trusts a key the server handed out for a user. */
export type TrustState = 'new' | 'pinned' | 'verified' | 'changed';

export interface KeyTrust {
  state: TrustState;
  /** The contact as pinned (absent for `new`). */
  contact?: Contact;
}

/** The contact for `user`, if any. */
export function findContact(book: ContactBook, user: string): Contact | undefined {
  return book.contacts.find((c) => c.user === user);
}

/** The trust state of `publicKey` as `user`'s key. */
export function keyTrust(book: ContactBook, user: string, publicKey: Uint8Array): KeyTrust {
  abytes(publicKey, PUBLIC_KEY_LENGTH, 'publicKey');
  const contact = findContact(book, user);
  if (!contact) return { state: 'new' };
  if (contact.keyId !== keyId(publicKey) || contact.publicKey !== base64urlEncode(publicKey)) {
    return { state: 'changed', contact };
  }
  return { state: contact.verified ? 'verified' : 'pinned', contact };
}

/**
 * How a changed key came to be, by the key history the server served with it: `signed` when every
 * step from the pinned key to `publicKey` is a key-change statement by the key before it (each
 * checked here, not taken from the server's word), `reset` otherwise — a reset after a lost key, a
 * step without a valid statement, or a pinned key the history does not show.
 */
export function keyChangeKind(
  user: string,
  pinnedPublicKey: string,
  publicKey: string,
  history: readonly { publicKey: string; statement: KeyChange | null }[],
): 'signed' | 'reset' {
  const from = history.map((e) => e.publicKey).lastIndexOf(pinnedPublicKey);
  if (from < 0 || history.at(-1)?.publicKey !== publicKey || from === history.length - 1) return 'reset';
  for (let i = from + 1; i < history.length; i++) {
    const step = history[i]!;
    const expected = {
      user,
      oldPublicKey: base64urlDecode(history[i - 1]!.publicKey),
      newPublicKey: base64urlDecode(step.publicKey),
    };
    if (!step.statement || !verifyKeyChange(step.statement, expected)) return 'reset';
  }
  return 'signed';
}

function withContact(book: ContactBook, contact: Contact): ContactBook {
  const others = book.contacts.filter((c) => c.user !== contact.user);
  if (others.length >= MAX_CONTACTS) {
    throw new MifengError('TooLarge', `the contact book holds at most ${MAX_CONTACTS} contacts`);
  }
  return { counter: book.counter, contacts: sortedContacts([...others, contact]) };
}

function newContact(identity: PublicIdentity, now: Date): Contact {
  return {
    user: parseWith(UserIdSchema, identity.user, 'user'),
    keyId: keyId(identity.publicKey),
    publicKey: base64urlEncode(identity.publicKey),
    firstSeen: adate(now, 'now').toISOString(),
    verified: false,
  };
}

/**
 * Pins `identity`'s key on first contact (trust on first use). The book is returned unchanged when
 * the user is already pinned, with this key or another: a changed key is only ever replaced by
 * acceptKeyChange, after the person has seen it.
 */
export function pinContact(book: ContactBook, identity: PublicIdentity, now: Date): ContactBook {
  if (findContact(book, identity.user)) return book;
  return withContact(book, newContact(identity, now));
}

/**
 * Replaces the pinned key of a contact by the one the person accepted; a verified mark is dropped,
 * because it vouched for the old key only.
 */
export function acceptKeyChange(book: ContactBook, identity: PublicIdentity, now: Date): ContactBook {
  return withContact(book, newContact(identity, now));
}

/** The scheme of a "my key" QR code. */
const KEY_QR_PREFIX = 'mifeng-key:1:';

/** What a "my key" QR code carries: `mifeng-key:1:<user>:<base64url fingerprint>`. */
export function keyQrPayload(identity: PublicIdentity): string {
  parseWith(UserIdSchema, identity.user, 'user');
  return `${KEY_QR_PREFIX}${identity.user}:${base64urlEncode(fingerprint(identity.publicKey))}`;
}

/** A scanned "my key" code, or null when the text is not one. */
export function parseKeyQr(text: string): { user: string; fingerprint: Uint8Array } | null {
  if (typeof text !== 'string' || !text.startsWith(KEY_QR_PREFIX)) return null;
  const [user, print, ...rest] = text.slice(KEY_QR_PREFIX.length).split(':');
  if (rest.length || !UserIdSchema.safeParse(user).success || !isBase64url(print, FINGERPRINT_LENGTH)) {
    return null;
  }
  return { user: user!, fingerprint: base64urlDecode(print!) };
}

/** The outcome of verifying a scanned code against the book. */
export type VerifyOutcome =
  /** The code's fingerprint is the pinned key's: the contact is now verified. */
  | { result: 'verified'; book: ContactBook; contact: Contact }
  /** The code names a contact whose pinned key has another fingerprint. */
  | { result: 'mismatch'; contact: Contact }
  /** No contact for that user yet (write to them or open a letter from them first). */
  | { result: 'unknown'; user: string };

/** Verifies a scanned "my key" code against the pinned key of the user it names. */
export function verifyContact(
  book: ContactBook,
  scanned: { user: string; fingerprint: Uint8Array },
  now: Date,
): VerifyOutcome {
  const contact = findContact(book, scanned.user);
  if (!contact) return { result: 'unknown', user: scanned.user };
  if (!constantTimeEqual(fingerprint(base64urlDecode(contact.publicKey)), scanned.fingerprint)) {
    return { result: 'mismatch', contact };
  }
  const at = adate(now, 'now').toISOString();
  const verified: Contact = { ...contact, verified: true, verifiedAt: at };
  return { result: 'verified', book: withContact(book, verified), contact: verified };
}
