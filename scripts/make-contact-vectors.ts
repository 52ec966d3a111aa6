/**
 * Generates tests/vectors/contacts-v1.json, the published test vectors of the contact book and the
 * key QR code (docs/protocol.md §14 and §3), from the fixed keys and randomness stream of
 * scripts/make-vectors.ts.
 *
 *   npx tsx scripts/make-contact-vectors.ts           writes the file
 *   npx tsx scripts/make-contact-vectors.ts --check   exits 1 if the file differs from what it would write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { base64urlEncode, utf8Encode } from '../shared/encoding';
import {
  CONTACT_BOOK_LABEL,
  type Contact,
  canonicalize,
  contactBookKey,
  emptyContactBook,
  fingerprint,
  type Identity,
  keyId,
  keyQrPayload,
  pinContact,
  sealContactBook,
  verifyContact,
} from '../shared/protocol';
import { vectorIdentity, vectorRandom } from './make-vectors';

export const CONTACT_VECTORS_PATH = fileURLToPath(
  new URL('../tests/vectors/contacts-v1.json', import.meta.url),
);

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const FIRST_SEEN = new Date('2026-11-24T12:00:00.000Z');
const VERIFIED_AT = new Date('2026-11-25T09:30:00.000Z');

/** alice's book: bob pinned, carol pinned and verified in person. */
function aliceContacts(bob: Identity, carol: Identity): Contact[] {
  let book = pinContact(pinContact(emptyContactBook(), bob, FIRST_SEEN), carol, FIRST_SEEN);
  const verified = verifyContact(
    book,
    { user: 'carol', fingerprint: fingerprint(carol.publicKey) },
    VERIFIED_AT,
  );
  if (verified.result !== 'verified') throw new Error('carol must verify');
  book = verified.book;
  return book.contacts;
}

function bookCase(name: string, description: string, owner: Identity, contacts: Contact[], counter: number) {
  const label = `mifeng/contacts-v1/${name}`;
  const blob = sealContactBook(owner, contacts, counter, { random: vectorRandom(label) });
  const iv = blob.subarray(5, 17);
  const json = canonicalize({ contacts });
  return {
    name,
    description,
    owner: owner.user,
    ownerKeyId: keyId(owner.publicKey),
    counter,
    randomLabel: label,
    contacts,
    key: hex(contactBookKey(owner)),
    aad: canonicalize({
      v: 1,
      owner: owner.user,
      key: keyId(owner.publicKey),
      counter,
      iv: base64urlEncode(iv),
    }),
    plaintextJson: json,
    plaintextLength: utf8Encode(json).length,
    paddedLength: Math.ceil(utf8Encode(json).length / 256) * 256,
    blob: base64urlEncode(blob),
  };
}

/** The blob with byte `index` XORed with `mask`. */
function flipped(blob: string, index: number, mask = 0x01): string {
  const bytes = Buffer.from(blob, 'base64url');
  bytes[index]! ^= mask;
  return base64urlEncode(bytes);
}

function buildVectors() {
  const [alice, bob, carol] = (['alice', 'bob', 'carol'] as const).map(vectorIdentity) as [
    Identity,
    Identity,
    Identity,
  ];
  const books = [
    bookCase('empty', "alice's first copy, no contacts yet", alice, [], 1),
    bookCase(
      'two-contacts',
      'alice: bob pinned, carol verified in person',
      alice,
      aliceContacts(bob, carol),
      7,
    ),
  ];
  const stored = books[1]!.blob;
  const negative = [
    {
      name: 'another-owner',
      description: "alice's book opened by bob",
      reader: 'bob',
      lastCounter: 0,
      blob: stored,
      error: 'Tampered',
    },
    {
      name: 'flipped-ciphertext',
      description: 'one ciphertext bit flipped',
      reader: 'alice',
      lastCounter: 0,
      blob: flipped(stored, 40),
      error: 'Tampered',
    },
    {
      name: 'relabelled-counter',
      description: 'the counter changed from 7 to 6',
      reader: 'alice',
      lastCounter: 0,
      blob: flipped(stored, 4),
      error: 'Tampered',
    },
    {
      name: 'rollback',
      description: 'copy 7 opened by a phone that has seen copy 8',
      reader: 'alice',
      lastCounter: 8,
      blob: stored,
      error: 'Rollback',
    },
    {
      name: 'version-2',
      description: 'first byte 02',
      reader: 'alice',
      lastCounter: 0,
      blob: flipped(stored, 0, 0x03),
      error: 'UnsupportedVersion',
    },
    {
      name: 'truncated',
      description: 'the last byte of the tag cut off',
      reader: 'alice',
      lastCounter: 0,
      blob: base64urlEncode(Buffer.from(stored, 'base64url').subarray(0, -1)),
      error: 'Malformed',
    },
  ];
  return {
    description:
      'Mifeng contact book and key QR code test vectors (docs/protocol.md §14, §3). Identities and the randomness stream as in protocol-v1.json.',
    label: CONTACT_BOOK_LABEL,
    books,
    negative,
    keyQr: [alice, bob].map((identity) => ({
      user: identity.user,
      publicKey: base64urlEncode(identity.publicKey),
      payload: keyQrPayload(identity),
    })),
  };
}

/** The file's exact text. */
export function contactVectorsText(): string {
  return `${JSON.stringify(buildVectors(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = contactVectorsText();
  if (process.argv.includes('--check')) {
    if (readFileSync(CONTACT_VECTORS_PATH, 'utf8') !== text) {
      console.error(`${CONTACT_VECTORS_PATH} is out of date: run npx tsx scripts/make-contact-vectors.ts`);
      process.exit(1);
    }
    console.log(`${CONTACT_VECTORS_PATH} is up to date`);
  } else {
    writeFileSync(CONTACT_VECTORS_PATH, text);
    console.log(`wrote ${CONTACT_VECTORS_PATH} (${text.length} bytes)`);
  }
}
