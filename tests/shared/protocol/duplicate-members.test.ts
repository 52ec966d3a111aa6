// Every parser of untrusted JSON in shared/protocol and shared/transparency refuses a member name
// given twice as Malformed, even where the last value (what JSON.parse keeps) is the valid one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vectorIdentity, vectorRandom } from '../../../scripts/make-vectors';
import { sm3, sm4GcmEncrypt } from '../../../shared/crypto';
import { base64urlEncode, utf8Encode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import {
  canonicalize,
  contactBookKey,
  keyId,
  openContactBook,
  openEnvelope,
  parseKeyBackup,
  parseKeyChange,
  sealContactBook,
  sealEnvelope,
  sealKeyBackup,
  signKeyChange,
  unlockKeyBackup,
} from '../../../shared/protocol';
import {
  decodeLeaf,
  encodeLeaf,
  followLogKeyRotations,
  signLogKeyRotation,
  signTreeHead,
  verifyTreeHead,
} from '../../../shared/transparency';

const alice = vectorIdentity('alice');
const bob = vectorIdentity('bob');
const log = vectorIdentity('log');
const NOW = new Date('2026-11-24T12:00:00.000Z');
const LATER = new Date('2026-11-24T13:00:00.000Z');

const malformed = (fn: () => unknown, label: string) =>
  assert.throws(
    fn,
    (err) => isMifengError(err, 'Malformed') && /more than once/.test((err as Error).message),
    label,
  );

/** `text` with `"name":value` inserted as the first member of its first object. */
const prepend = (text: string, name: string, value: unknown) =>
  text.replace('{', `{${JSON.stringify(name)}:${JSON.stringify(value)},`);

const head = signTreeHead(log, { size: 3, root: sm3(Uint8Array.of(3)), time: NOW }, vectorRandom('dup/head'));

function letter(version: 1 | 2) {
  return sealEnvelope(
    {
      sender: alice,
      recipients: [{ user: 'bob', publicKey: bob.publicKey }],
      content: 'The safe code is 4711.',
      expiresAt: null,
      ...(version === 2 ? { head, maxOpens: 1 } : {}),
    },
    { now: NOW, random: vectorRandom(`dup/letter-v${version}`), version },
  );
}

describe('duplicate member names', () => {
  for (const version of [1, 2] as const) {
    it(`refuse envelope v${version} text with a member twice, at any depth`, () => {
      const envelope = letter(version);
      const text = JSON.stringify(envelope);
      const open = (t: string) =>
        openEnvelope(t, { reader: bob, senderPublicKey: alice.publicKey, now: LATER });
      assert.equal(open(text).content, 'The safe code is 4711.');
      malformed(() => open(prepend(text, 'sig', 'MEUCIQ')), 'junk sig first');
      malformed(() => open(`${text.slice(0, -1)},"sig":${JSON.stringify(envelope.sig)}}`), 'sig last');
      malformed(() => open(text.replace('"user":"bob"', '"user":"erin","user":"bob"')), 'recipient user');
      malformed(() => open(text.replace('"v":', '"\\u0076":1,"v":')), 'escaped name');
      if (version === 2) {
        malformed(() => open(text.replace('"maxOpens":1', '"maxOpens":null,"maxOpens":1')), 'maxOpens');
        malformed(() => open(text.replace('"size":3', '"size":4,"size":3')), 'head size');
      }
    });
  }

  it('refuse a key backup with iter given twice', () => {
    const backup = sealKeyBackup(alice, 'master key 密封', {
      iterations: 10_000,
      random: vectorRandom('dup/backup'),
    });
    const text = JSON.stringify(backup);
    assert.deepEqual(parseKeyBackup(text), backup);
    malformed(() => parseKeyBackup(prepend(text, 'iter', 1_000_000)), 'iter');
    malformed(
      () => unlockKeyBackup(prepend(text, 'iter', 1_000_000), alice.publicKey, 'master key 密封'),
      'unlock',
    );
  });

  it('refuse a key-change statement with a member twice', () => {
    const next = vectorIdentity('alice/next');
    const statement = signKeyChange(
      { old: alice, newPublicKey: next.publicKey },
      { now: NOW, random: vectorRandom('dup/kc') },
    );
    const text = JSON.stringify(statement);
    assert.deepEqual(parseKeyChange(text), statement);
    malformed(() => parseKeyChange(prepend(text, 'newKey', keyId(bob.publicKey))), 'newKey');
  });

  it('refuse a contact book whose plaintext names a member twice', () => {
    const book = sealContactBook(alice, [], 1, { random: vectorRandom('dup/book') });
    assert.equal(openContactBook(book, alice).counter, 1);
    // Sealed by hand the way sealContactBook does, so only the plaintext differs.
    const json = utf8Encode('{"contacts":[],"contacts":[]}');
    const padded = new Uint8Array(256);
    padded.set(json);
    const iv = book.subarray(5, 17);
    const aad = utf8Encode(
      canonicalize({
        v: 1,
        owner: 'alice',
        key: keyId(alice.publicKey),
        counter: 1,
        iv: base64urlEncode(iv),
      }),
    );
    const ct = sm4GcmEncrypt(contactBookKey(alice), iv, padded, aad);
    const forged = new Uint8Array(17 + ct.length);
    forged.set(book.subarray(0, 17));
    forged.set(ct, 17);
    malformed(() => openContactBook(forged, alice), 'contact book');
  });

  it('refuse log leaves, heads and key rotations with a member twice', () => {
    const leaf = {
      userId: 'alice',
      publicKey: base64urlEncode(alice.publicKey),
      keyId: keyId(alice.publicKey),
      kind: 'register' as const,
      time: '2026-12-01T00:00:00.000Z',
    };
    const bytes = encodeLeaf(leaf);
    assert.deepEqual(decodeLeaf(bytes), leaf);
    malformed(
      () => decodeLeaf(utf8Encode(prepend(new TextDecoder().decode(bytes), 'kind', 'reset'))),
      'leaf',
    );

    const text = JSON.stringify(head);
    assert.deepEqual(verifyTreeHead(log.publicKey, text), head);
    malformed(() => verifyTreeHead(log.publicKey, prepend(text, 'size', 4)), 'head');

    const next = vectorIdentity('log/next');
    const rotation = JSON.stringify(
      signLogKeyRotation(log, next.publicKey, NOW, vectorRandom('dup/rotation')),
    );
    assert.deepEqual(followLogKeyRotations(log.publicKey, [rotation]), next.publicKey);
    malformed(() => followLogKeyRotations(log.publicKey, [prepend(rotation, 'next', 'x')]), 'rotation');
  });
});
