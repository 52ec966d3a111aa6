// Envelope version 3: each wrap is signed through its hash, so the server can purge one
// recipient's wrap and the letter still verifies and opens for everyone else. The hash is
// recomputed with Node's own SM3 (OpenSSL), not ours.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setRandomSource } from '../../../shared/crypto';
import { base64urlDecode } from '../../../shared/encoding';
import {
  type Envelope,
  type EnvelopeV3,
  generateIdentity,
  type Identity,
  openEnvelope,
  parseEnvelope,
  purgeWrap,
  recipientWrapHash,
  signedBytes,
  verifyEnvelopeSignature,
  WRAP_HASH_LABEL,
  wrapHash,
} from '../../../shared/protocol';
import { isError, LATER, nodeRandom, sealFromAlice } from './_letters';

let alice: Identity;
let bob: Identity;
let carol: Identity;

before(() => {
  setRandomSource(nodeRandom);
  alice = generateIdentity('alice');
  bob = generateIdentity('bob');
  carol = generateIdentity('carol');
});
after(() => setRandomSource(null));

function seal(): EnvelopeV3 {
  const envelope = sealFromAlice({ alice, bob, carol }, { maxOpens: 2 });
  assert.equal(envelope.v, 3);
  return envelope as EnvelopeV3;
}

function open(envelope: unknown, reader: Identity) {
  return openEnvelope(JSON.stringify(envelope), { reader, senderPublicKey: alice.publicKey, now: LATER });
}

describe('envelope version 3', () => {
  it('is what new letters are sealed as, and opens for every recipient', () => {
    const envelope = seal();
    for (const entry of envelope.recipients) assert.deepEqual(Object.keys(entry), ['user', 'key', 'wrap']);
    for (const reader of [alice, bob, carol])
      assert.equal(open(envelope, reader).content, 'The safe code is 4711.');
  });

  it('hashes a wrap as SM3(label ‖ 00 ‖ wrap) (OpenSSL SM3)', () => {
    const wrap = base64urlDecode(seal().recipients[1]!.wrap!);
    const expected = createHash('sm3').update(WRAP_HASH_LABEL).update(Buffer.of(0)).update(wrap).digest();
    assert.deepEqual(Buffer.from(wrapHash(wrap)), expected);
    assert.throws(() => wrapHash(wrap.subarray(1)), RangeError);
  });

  it('signs the same bytes with a wrap present or purged', () => {
    const envelope = seal();
    const purged = purgeWrap(envelope, 'bob');
    assert.deepEqual(purged.recipients[1], {
      user: 'bob',
      key: envelope.recipients[1]!.key,
      wrapHash: recipientWrapHash(envelope.recipients[1]!),
    });
    assert.deepEqual(signedBytes(purged), signedBytes(envelope));
    assert.equal(verifyEnvelopeSignature(parseEnvelope(JSON.stringify(purged)), alice.publicKey), true);
    // Purging again changes nothing.
    assert.deepEqual(purgeWrap(purged, 'bob'), purged);
    assert.throws(() => purgeWrap(envelope, 'mallory'), isError('NotARecipient'));
  });

  it('opens a purged letter for everyone who kept a wrap, and tells the purged reader why not', () => {
    const purged = purgeWrap(purgeWrap(seal(), 'bob'), 'alice');
    assert.equal(open(purged, carol).content, 'The safe code is 4711.');
    assert.throws(() => open(purged, bob), isError('WrapPurged'));
    assert.throws(() => open(purged, alice), isError('WrapPurged'));
  });

  it('refuses an entry with both wrap and wrapHash, with neither, or with a hash that lies', () => {
    const envelope = seal();
    const bobEntry = envelope.recipients[1]!;
    const withBob = (entry: object): Envelope =>
      ({
        ...envelope,
        recipients: envelope.recipients.map((r) => (r.user === 'bob' ? entry : r)),
      }) as Envelope;
    assert.throws(
      () => open(withBob({ ...bobEntry, wrapHash: recipientWrapHash(bobEntry) }), carol),
      isError('Malformed'),
    );
    assert.throws(() => open(withBob({ user: 'bob', key: bobEntry.key }), carol), isError('Malformed'));
    const lying = withBob({
      user: 'bob',
      key: bobEntry.key,
      wrapHash: recipientWrapHash(envelope.recipients[2]!),
    });
    assert.throws(() => open(lying, carol), isError('BadSignature'));
  });
});
