/**
 * The contact book on this phone (docs/trust.md): every user we sealed to or opened a letter from,
 * with the key pinned for them. It lives on the server sealed to our own key (`GET/PUT
 * /me/contacts`), is opened only while the private key is unlocked, and is checked against the
 * highest copy this phone has opened (kept in local storage), so an older copy served again is
 * reported (`Rollback`) instead of silently forgetting a pinned key or a verification.
 */
import {
  acceptKeyChange,
  base64urlDecode,
  base64urlEncode,
  type ContactBook,
  emptyContactBook,
  type Identity,
  isApiError,
  isMifengError,
  type KeyTrust,
  keyTrust,
  openContactBook,
  type PublicIdentity,
  parseKeyQr,
  pinContact,
  sealContactBook,
  type VerifyOutcome,
  verifyContact,
} from '../../lib';
import * as api from '../api';
import { earlierIdentities, requireIdentity } from '../keyring';
import { readStorage, writeStorage } from '../wxp';

/** Local storage: the highest counter opened, per user. */
function counterKey(user: string): string {
  return `mifeng.contactsCounter.${user}`;
}

/**
 * The server's copy of the book cannot be trusted: older than one this phone opened
 * (`contacts_rollback`), or not sealed by us for this key (`contacts_damaged`). Nothing is pinned or
 * sealed until it is resolved, so no check runs against a book the server chose.
 */
export class ContactBookError extends Error {
  constructor(
    readonly code: 'contacts_rollback' | 'contacts_damaged',
    cause: unknown,
  ) {
    super(`the contact book from the server was refused (${code})`, { cause });
    this.name = 'ContactBookError';
  }
}

/**
 * The opened book, for as long as this very unlock lasts: each unlock makes a new identity object,
 * so the book is fetched and checked again after locking, and never outlives the key in memory.
 */
let cached: { owner: Identity; book: ContactBook } | null = null;

function cacheFor(owner: Identity): ContactBook | null {
  return cached?.owner === owner ? cached.book : null;
}

function remember(owner: Identity, book: ContactBook): void {
  cached = { owner, book };
  const seen = readStorage<number>(counterKey(owner.user)) ?? 0;
  if (book.counter > seen) writeStorage(counterKey(owner.user), book.counter);
}

/** Fetches and opens the book; `Rollback` when the server's copy is older than one seen here. */
async function fetchBook(owner: Identity): Promise<ContactBook> {
  const stored = await api.getContacts();
  const seen = readStorage<number>(counterKey(owner.user)) ?? 0;
  if (stored.blob === null) {
    if (seen > 0)
      throw new ContactBookError('contacts_rollback', `no book on the server; copy ${seen} seen here`);
    return emptyContactBook();
  }
  const blob = base64urlDecode(stored.blob);
  let book: ContactBook;
  try {
    book = openContactBook(blob, owner, seen);
  } catch (err) {
    const moved = isMifengError(err, 'Tampered')
      ? await resealFromEarlierKey(blob, owner, seen, stored.counter)
      : null;
    if (!moved) {
      throw new ContactBookError(
        isMifengError(err, 'Rollback') ? 'contacts_rollback' : 'contacts_damaged',
        err,
      );
    }
    return moved;
  }
  // The stored counter is what the next write must follow; the sealed one is the authenticated one.
  if (book.counter !== stored.counter) {
    throw new ContactBookError('contacts_damaged', `copy ${book.counter} served as ${stored.counter}`);
  }
  return book;
}

/**
 * After a key rotation the stored book is still sealed to the key it replaced: opened with that
 * earlier key (unlocked beside the current one), it is sealed to the current key as the next copy.
 * Null when no earlier key opens it.
 */
async function resealFromEarlierKey(
  blob: Uint8Array,
  owner: Identity,
  seen: number,
  storedCounter: number,
): Promise<ContactBook | null> {
  for (const earlier of earlierIdentities()) {
    let book: ContactBook;
    try {
      book = openContactBook(blob, earlier, seen);
    } catch (err) {
      if (isMifengError(err, 'Rollback')) throw new ContactBookError('contacts_rollback', err);
      continue;
    }
    if (book.counter !== storedCounter) {
      throw new ContactBookError('contacts_damaged', `copy ${book.counter} served as ${storedCounter}`);
    }
    const counter = book.counter + 1;
    await api.putContacts(base64urlEncode(sealContactBook(owner, book.contacts, counter)), counter);
    return { counter, contacts: book.contacts };
  }
  return null;
}

/** The book of the unlocked user (LockedError when locked). */
export async function loadContacts(): Promise<ContactBook> {
  const owner = requireIdentity();
  const hit = cacheFor(owner);
  if (hit) return hit;
  const book = await fetchBook(owner);
  remember(owner, book);
  return book;
}

/**
 * Applies `change` to the book and stores the result as the next copy (compare-and-set on the
 * counter). When another phone of ours wrote in between, the newer copy is fetched and the change
 * applied to it again, once.
 */
export async function updateContacts(change: (book: ContactBook) => ContactBook): Promise<ContactBook> {
  const owner = requireIdentity();
  for (let attempt = 0; ; attempt++) {
    const book = await loadContacts();
    const next = change(book);
    if (next === book) return book;
    const counter = book.counter + 1;
    try {
      await api.putContacts(base64urlEncode(sealContactBook(owner, next.contacts, counter)), counter);
    } catch (err) {
      if (attempt === 0 && isApiError(err, 409)) {
        cached = null;
        continue;
      }
      throw err;
    }
    const written = { counter, contacts: next.contacts };
    remember(owner, written);
    return written;
  }
}

/**
 * Starts a new, empty book in place of one that cannot be opened (`contacts_damaged`): the way out
 * after the key it was sealed to is gone (a key reset), at the price of every pin and verification
 * in it, which the person is told before. Not for an older copy (`contacts_rollback`): writing over
 * it would not make this phone trust the server's copy any more than before.
 */
export async function startContactsOver(): Promise<void> {
  const owner = requireIdentity();
  const stored = await api.getContacts();
  const counter = stored.counter + 1;
  const seen = readStorage<number>(counterKey(owner.user)) ?? 0;
  if (counter <= seen)
    throw new ContactBookError('contacts_rollback', `server at ${stored.counter}, seen ${seen}`);
  await api.putContacts(base64urlEncode(sealContactBook(owner, [], counter)), counter);
  remember(owner, { counter, contacts: [] });
}

/** How far we trust `publicKey` as `user`'s key. */
export async function trustOf(user: string, publicKey: string): Promise<KeyTrust> {
  return keyTrust(await loadContacts(), user, base64urlDecode(publicKey));
}

/** Pins every user of `people` not in the book yet (first contact); pinned keys stay as they are. */
export function pinAll(people: { user: string; publicKey: string }[]): Promise<ContactBook> {
  const now = new Date();
  const identities: PublicIdentity[] = people.map((p) => ({
    user: p.user,
    publicKey: base64urlDecode(p.publicKey),
  }));
  return updateContacts((book) => identities.reduce((b, identity) => pinContact(b, identity, now), book));
}

/** Replaces `user`'s pinned key by the one the person accepted after seeing both fingerprints. */
export function acceptKey(user: string, publicKey: string): Promise<ContactBook> {
  const now = new Date();
  return updateContacts((book) =>
    acceptKeyChange(book, { user, publicKey: base64urlDecode(publicKey) }, now),
  );
}

/** What scanning a code gave: a verification outcome, or not a Mifeng key code at all. */
export type ScanOutcome = VerifyOutcome | { result: 'not_a_key' } | { result: 'self' };

/** Checks a scanned "my key" code against the pinned key and, when it matches, marks it verified. */
export async function verifyScan(text: string): Promise<ScanOutcome> {
  const scanned = parseKeyQr(text);
  if (!scanned) return { result: 'not_a_key' };
  if (scanned.user === requireIdentity().user) return { result: 'self' };
  let outcome: VerifyOutcome = { result: 'unknown', user: scanned.user };
  await updateContacts((book) => {
    outcome = verifyContact(book, scanned, new Date());
    return outcome.result === 'verified' ? outcome.book : book;
  });
  return outcome;
}

/** The verified users of the book, for the verified marks of lists (empty when locked). */
export async function verifiedUsers(): Promise<Set<string>> {
  try {
    return new Set((await loadContacts()).contacts.filter((c) => c.verified).map((c) => c.user));
  } catch {
    return new Set();
  }
}
