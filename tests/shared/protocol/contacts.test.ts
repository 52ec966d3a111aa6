import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setRandomSource, sm4GcmEncrypt } from '../../../shared/crypto';
import { base64urlEncode, utf8Decode, utf8Encode } from '../../../shared/encoding';
import { type ErrorName, isMifengError } from '../../../shared/errors';
import {
  acceptKeyChange,
  type Contact,
  type ContactBook,
  canonicalize,
  contactBookCounter,
  contactBookKey,
  emptyContactBook,
  fingerprint,
  generateIdentity,
  type Identity,
  keyChangeKind,
  keyId,
  keyQrPayload,
  keyTrust,
  MAX_CONTACTS,
  openContactBook,
  parseKeyQr,
  pinContact,
  sealContactBook,
  signKeyChange,
  verifyContact,
} from '../../../shared/protocol';

const nodeRandom = (n: number) => webcrypto.getRandomValues(new Uint8Array(n));
const isError = (name: ErrorName) => (err: unknown) => isMifengError(err, name);
const NOW = new Date('2026-12-01T08:00:00.000Z');
const LATER = new Date('2026-12-02T09:30:00.000Z');

let alice: Identity;
let bob: Identity;
let carol: Identity;
let mallory: Identity;

before(() => {
  setRandomSource(nodeRandom);
  alice = generateIdentity('alice');
  bob = generateIdentity('bob');
  carol = generateIdentity('carol');
  mallory = generateIdentity('bob'); // the server's own key under bob's user id
});
after(() => setRandomSource(null));

function bookWith(...people: Identity[]): ContactBook {
  return people.reduce((book, p) => pinContact(book, p, NOW), emptyContactBook());
}

/** SM4-GCM's keystream is SM4-CTR from J0 + 1 = iv ‖ 00000002 (NIST SP 800-38D §7.1). */
function gcmKeystreamDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const counter = Buffer.concat([iv, Buffer.from([0, 0, 0, 2])]);
  const decipher = createDecipheriv('sm4-ctr', key, counter);
  return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}

/** A book sealed by hand (valid tag) around any plaintext JSON text, padded to 256 bytes. */
function sealRaw(owner: Identity, counter: number, json: string): Uint8Array {
  const text = utf8Encode(json);
  const plaintext = new Uint8Array(Math.ceil(text.length / 256) * 256);
  plaintext.set(text);
  const iv = nodeRandom(12);
  const aad = canonicalize({
    v: 1,
    owner: owner.user,
    key: keyId(owner.publicKey),
    counter,
    iv: base64urlEncode(iv),
  });
  const ct = sm4GcmEncrypt(contactBookKey(owner), iv, plaintext, utf8Encode(aad));
  return new Uint8Array([1, ...u32(counter), ...iv, ...ct]);
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** A copy of the blob with one byte changed. */
function withByte(blob: Uint8Array, index: number, value: number): Uint8Array {
  const copy = Uint8Array.from(blob);
  copy[index] = value;
  return copy;
}

describe('contactBookKey()', () => {
  it('is HKDF-SM3 over the private key, salted with the label, for the owner (Node OpenSSL agrees)', () => {
    const expected = hkdfSync('sm3', alice.privateKey, 'mifeng contacts v1', 'alice', 16);
    assert.deepEqual(contactBookKey(alice), new Uint8Array(expected));
    assert.notDeepEqual(contactBookKey(alice), contactBookKey({ ...alice, user: 'alice2' }));
  });
});

describe('sealContactBook() / openContactBook()', () => {
  it('round-trips the contacts, sorted by user, with the counter', () => {
    const book = bookWith(carol, bob);
    const blob = sealContactBook(alice, book.contacts, 3);
    assert.equal(blob[0], 1);
    assert.deepEqual(blob.subarray(1, 5), u32(3));
    assert.equal(contactBookCounter(blob), 3);
    const opened = openContactBook(blob, alice, 3);
    assert.equal(opened.counter, 3);
    assert.deepEqual(
      opened.contacts.map((c) => c.user),
      ['bob', 'carol'],
    );
    assert.equal(opened.contacts[0]!.publicKey, base64urlEncode(bob.publicKey));
  });

  it('decrypts independently: Node HKDF-SM3 key, SM4-CTR keystream, padded JCS inside', () => {
    const book = bookWith(bob);
    const blob = sealContactBook(alice, book.contacts, 1);
    const key = new Uint8Array(hkdfSync('sm3', alice.privateKey, 'mifeng contacts v1', 'alice', 16));
    const padded = gcmKeystreamDecrypt(key, blob.subarray(5, 17), blob.subarray(17, -16));
    assert.equal(padded.length % 256, 0);
    const end = padded.indexOf(0);
    assert.equal(utf8Decode(padded.subarray(0, end)), canonicalize({ contacts: book.contacts }));
  });

  it('hides the number of contacts up to 256-byte blocks', () => {
    assert.equal(
      sealContactBook(alice, bookWith(bob).contacts, 1).length,
      sealContactBook(alice, [], 1).length,
    );
  });

  it('rejects a wrong owner, another key of the same user, and tampering (Tampered)', () => {
    const blob = sealContactBook(alice, bookWith(bob).contacts, 2);
    assert.throws(() => openContactBook(blob, bob), isError('Tampered'));
    assert.throws(() => openContactBook(blob, generateIdentity('alice')), isError('Tampered'));
    // A server that relabels the counter, or alters any byte: the AAD or the tag no longer matches.
    assert.throws(() => openContactBook(withByte(blob, 4, 9), alice), isError('Tampered'));
    assert.throws(() => openContactBook(withByte(blob, 40, blob[40]! ^ 1), alice), isError('Tampered'));
    assert.throws(
      () => openContactBook(withByte(blob, blob.length - 1, blob.at(-1)! ^ 1), alice),
      isError('Tampered'),
    );
  });

  it('refuses a copy older than the last one seen (Rollback), after authenticating it', () => {
    const old = sealContactBook(alice, bookWith(bob).contacts, 4);
    assert.equal(openContactBook(old, alice, 4).counter, 4);
    assert.throws(() => openContactBook(old, alice, 5), isError('Rollback'));
    // A copy relabelled with a high counter is not a rollback but a forgery.
    assert.throws(() => openContactBook(withByte(old, 4, 99), alice, 5), isError('Tampered'));
  });

  it('checks the inside even under a valid tag', () => {
    const contact = bookWith(bob).contacts[0]!;
    assert.equal(
      openContactBook(sealRaw(alice, 1, canonicalize({ contacts: [contact] })), alice).contacts.length,
      1,
    );
    const wrongKeyId = { ...contact, keyId: keyId(carol.publicKey) };
    for (const json of [
      canonicalize({ contacts: [wrongKeyId] }),
      JSON.stringify({ contacts: [contact] }, null, 1),
      canonicalize({ contacts: [contact], extra: true }),
      canonicalize({ contacts: [{ ...contact, verified: true }] }),
      '[]',
    ]) {
      assert.throws(() => openContactBook(sealRaw(alice, 1, json), alice), isError('Malformed'), json);
    }
    assert.throws(() => sealContactBook(alice, [wrongKeyId], 1), isError('Malformed'));
  });

  it('rejects invalid inputs', () => {
    const blob = sealContactBook(alice, [], 1);
    assert.throws(() => sealContactBook(alice, [], 0), RangeError);
    assert.throws(() => sealContactBook(alice, [], 2 ** 31), RangeError);
    assert.throws(() => sealContactBook(alice, [], 1.5), TypeError);
    assert.throws(() => sealContactBook({ ...alice, publicKey: bob.publicKey }, [], 1), isError('Malformed'));
    assert.throws(() => openContactBook(withByte(blob, 0, 2), alice), isError('UnsupportedVersion'));
    assert.throws(() => openContactBook(blob.subarray(0, -1), alice), isError('Malformed'));
    assert.throws(
      () => openContactBook(new Uint8Array([...blob, ...new Uint8Array(256)]).subarray(0, 17 + 16), alice),
      isError('Malformed'),
    );
    assert.throws(
      () => openContactBook(sealRaw(alice, 0, canonicalize({ contacts: [] })), alice),
      isError('Malformed'),
    );
    assert.throws(() => openContactBook('blob' as never, alice), TypeError);
    const bad = { ...bookWith(bob).contacts[0]!, verified: true };
    assert.throws(() => sealContactBook(alice, [bad], 1), isError('Malformed'));
    const twice = [...bookWith(bob).contacts, ...bookWith(bob).contacts];
    assert.throws(() => sealContactBook(alice, twice, 1), isError('Malformed'));
  });

  it('fits a full book of the longest entries in 160 KiB (its base64url in a 256 KiB body)', () => {
    const contacts: Contact[] = Array.from({ length: MAX_CONTACTS }, (_, i) => ({
      user: `${String(i).padStart(4, '0')}${'u'.repeat(60)}`,
      keyId: keyId(bob.publicKey),
      publicKey: base64urlEncode(bob.publicKey),
      firstSeen: NOW.toISOString(),
      verified: true,
      verifiedAt: LATER.toISOString(),
    }));
    const blob = sealContactBook(alice, contacts, 1);
    assert.ok(blob.length <= 160 * 1024, `${blob.length} bytes`);
    assert.equal(openContactBook(blob, alice).contacts.length, MAX_CONTACTS);
    const full: ContactBook = { counter: 1, contacts };
    assert.throws(() => pinContact(full, carol, NOW), isError('TooLarge'));
  });
});

describe('keyTrust() / pinContact() / acceptKeyChange()', () => {
  it('classifies new, pinned, verified and changed keys', () => {
    let book = emptyContactBook();
    assert.equal(keyTrust(book, 'bob', bob.publicKey).state, 'new');
    book = pinContact(book, bob, NOW);
    assert.equal(keyTrust(book, 'bob', bob.publicKey).state, 'pinned');
    assert.equal(keyTrust(book, 'bob', bob.publicKey).contact?.firstSeen, NOW.toISOString());
    const swapped = keyTrust(book, 'bob', mallory.publicKey);
    assert.equal(swapped.state, 'changed');
    assert.equal(swapped.contact?.publicKey, base64urlEncode(bob.publicKey));
    const outcome = verifyContact(book, parseKeyQr(keyQrPayload(bob))!, LATER);
    assert.equal(outcome.result, 'verified');
    if (outcome.result !== 'verified') return;
    assert.equal(keyTrust(outcome.book, 'bob', bob.publicKey).state, 'verified');
    assert.equal(keyTrust(outcome.book, 'bob', mallory.publicKey).state, 'changed');
  });

  it('never pins over a pinned key; accepting a change replaces it and drops the verified mark', () => {
    const book = bookWith(bob);
    assert.equal(pinContact(book, mallory, LATER), book);
    const verified = verifyContact(book, parseKeyQr(keyQrPayload(bob))!, LATER);
    assert.equal(verified.result, 'verified');
    if (verified.result !== 'verified') return;
    const accepted = acceptKeyChange(verified.book, mallory, LATER);
    const trust = keyTrust(accepted, 'bob', mallory.publicKey);
    assert.equal(trust.state, 'pinned');
    assert.equal(trust.contact?.verified, false);
    assert.equal(trust.contact?.verifiedAt, undefined);
    assert.equal(trust.contact?.firstSeen, LATER.toISOString());
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => keyTrust(emptyContactBook(), 'bob', new Uint8Array(3)), RangeError);
    assert.throws(
      () => pinContact(emptyContactBook(), { user: 'b c', publicKey: bob.publicKey }, NOW),
      isError('Malformed'),
    );
    assert.throws(() => pinContact(emptyContactBook(), bob, new Date('x')), TypeError);
  });
});

describe('keyQrPayload() / parseKeyQr() / verifyContact()', () => {
  it('encodes the user id and the full fingerprint', () => {
    const text = keyQrPayload(bob);
    assert.equal(text, `mifeng-key:1:bob:${base64urlEncode(fingerprint(bob.publicKey))}`);
    assert.deepEqual(parseKeyQr(text), { user: 'bob', fingerprint: fingerprint(bob.publicKey) });
  });

  it('answers null for anything that is not a key code', () => {
    const print = base64urlEncode(fingerprint(bob.publicKey));
    for (const text of [
      'https://mifeng.example/s/AAAAAAAAAAAAAAAAAAAAAA',
      `mifeng-key:2:bob:${print}`,
      `mifeng-key:1:b b:${print}`,
      `mifeng-key:1:bob:${print}:x`,
      `mifeng-key:1:bob:${print.slice(1)}`,
      'mifeng-key:1:bob',
      '',
    ]) {
      assert.equal(parseKeyQr(text), null, text);
    }
  });

  it('says mismatch for a code of another key, and unknown for a user not in the book', () => {
    const book = bookWith(bob);
    const swapped = verifyContact(book, parseKeyQr(keyQrPayload(mallory))!, LATER);
    assert.equal(swapped.result, 'mismatch');
    assert.equal(verifyContact(book, parseKeyQr(keyQrPayload(carol))!, LATER).result, 'unknown');
  });
});

describe('keyChangeKind()', () => {
  const b64 = (identity: Identity) => base64urlEncode(identity.publicKey);

  it('is signed only when every step from the pinned key is a statement by the key before', () => {
    const bob2 = generateIdentity('bob');
    const bob3 = generateIdentity('bob');
    const history = [
      { publicKey: b64(bob), statement: null },
      { publicKey: b64(bob2), statement: signKeyChange({ old: bob, newPublicKey: bob2.publicKey }) },
      { publicKey: b64(bob3), statement: signKeyChange({ old: bob2, newPublicKey: bob3.publicKey }) },
    ];
    assert.equal(keyChangeKind('bob', b64(bob), b64(bob3), history), 'signed');
    assert.equal(keyChangeKind('bob', b64(bob2), b64(bob3), history), 'signed');
    // A reset in between, a statement for another key, another user's statement: reset.
    assert.equal(
      keyChangeKind('bob', b64(bob), b64(bob3), [
        history[0]!,
        { ...history[1]!, statement: null },
        history[2]!,
      ]),
      'reset',
    );
    const forged = {
      publicKey: b64(bob3),
      statement: signKeyChange({ old: mallory, newPublicKey: bob3.publicKey }),
    };
    assert.equal(keyChangeKind('bob', b64(bob2), b64(bob3), [history[0]!, history[1]!, forged]), 'reset');
    const carols = {
      publicKey: b64(bob2),
      statement: signKeyChange({ old: carol, newPublicKey: bob2.publicKey }),
    };
    assert.equal(
      keyChangeKind('bob', b64(carol), b64(bob2), [{ publicKey: b64(carol), statement: null }, carols]),
      'reset',
    );
    // The pinned key missing from the history, or a history that does not end at the key served.
    assert.equal(keyChangeKind('bob', b64(mallory), b64(bob3), history), 'reset');
    assert.equal(keyChangeKind('bob', b64(bob), b64(mallory), history), 'reset');
    assert.equal(keyChangeKind('bob', b64(bob), b64(bob3), []), 'reset');
  });
});
