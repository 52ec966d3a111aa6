// Envelope version 2: the log head, the key commitment and the read limit are sealed into the
// signed header; version 1 letters keep opening. The commitment is recomputed with Node's own SM3
// (OpenSSL), not ours.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { vectorIdentity, vectorRandom } from '../../../scripts/make-vectors';
import { setRandomSource, sm2Decrypt, sm2Encrypt, sm2Sign, sm3 } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import {
  type Envelope,
  type EnvelopeV2,
  envelopeLogHead,
  envelopeMaxOpens,
  generateIdentity,
  type Identity,
  KEY_COMMITMENT_LABEL,
  keyCommitment,
  MAX_OPENS_LIMIT,
  openEnvelope,
  parseEnvelope,
  type SealInput,
  type SealOptions,
  signedBytes,
  type UnsignedEnvelope,
} from '../../../shared/protocol';
import { signTreeHead, verifyTreeHead } from '../../../shared/transparency';
import { isError, LATER, nodeRandom, sealFromAlice } from './_letters';

const log = vectorIdentity('log');
const head = signTreeHead(
  log,
  { size: 42, root: sm3(Uint8Array.of(42)), time: new Date('2026-11-24T11:59:00.000Z') },
  vectorRandom('envelope-v2-test/head'),
);

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

/** The version 1 suite's letter as version 2, with the head alice checked and a read limit of one. */
function seal(input: Partial<SealInput> = {}, options: SealOptions = {}): Envelope {
  return sealFromAlice({ alice, bob, carol }, { head, maxOpens: 1, ...input }, { version: 2, ...options });
}

function v2(envelope: Envelope): EnvelopeV2 {
  assert.equal(envelope.v, 2);
  return envelope as EnvelopeV2;
}

function open(envelope: unknown, reader: Identity = bob) {
  return openEnvelope(envelope, { reader, senderPublicKey: alice.publicKey, now: LATER });
}

function resign(envelope: UnsignedEnvelope): Envelope {
  return { ...envelope, sig: base64urlEncode(sm2Sign(alice.privateKey, signedBytes(envelope))) } as Envelope;
}

function unsigned(envelope: Envelope): UnsignedEnvelope {
  const { sig: _sig, ...rest } = envelope;
  return rest;
}

/** The commitment as the spec words it, with OpenSSL's SM3. */
function opensslCommitment(id: Uint8Array, dek: Uint8Array): string {
  return createHash('sm3')
    .update(Buffer.from(KEY_COMMITMENT_LABEL, 'utf8'))
    .update(Buffer.of(0))
    .update(id)
    .update(dek)
    .digest('base64url');
}

describe('envelope version 2', () => {
  it('carries the head, the commitment and the read limit, and opens for every recipient', () => {
    const envelope = v2(seal());
    assert.deepEqual(envelope.head, head);
    assert.equal(envelope.maxOpens, 1);
    assert.deepEqual(verifyTreeHead(log.publicKey, envelopeLogHead(envelope)), head);
    assert.equal(envelopeMaxOpens(envelope), 1);
    for (const reader of [alice, bob, carol]) {
      const opened = open(JSON.parse(JSON.stringify(envelope)), reader);
      assert.equal(opened.content, 'The safe code is 4711.');
      assert.deepEqual(opened.envelope, envelope);
    }
  });

  it('commits to the DEK exactly as specified (checked with OpenSSL SM3)', () => {
    const envelope = v2(seal());
    const dek = sm2Decrypt(bob.privateKey, base64urlDecode(envelope.recipients[1]!.wrap));
    const id = base64urlDecode(envelope.id);
    assert.equal(envelope.commit, opensslCommitment(id, dek));
    assert.equal(base64urlEncode(keyCommitment(id, dek)), envelope.commit);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (i, d) => {
          assert.equal(base64urlEncode(keyCommitment(i, d)), opensslCommitment(i, d));
        },
      ),
      { numRuns: 50 },
    );
    assert.throws(() => keyCommitment(id.subarray(1), dek), RangeError);
  });

  it('defaults to no head and no limit', () => {
    const envelope = v2(seal({ head: undefined, maxOpens: undefined }));
    assert.equal(envelope.head, null);
    assert.equal(envelope.maxOpens, null);
    assert.equal(envelopeMaxOpens(envelope), null);
    assert.equal(envelopeLogHead(envelope), null);
    assert.equal(open(envelope).content, 'The safe code is 4711.');
  });

  it('accepts every read limit from 1 to MAX_OPENS_LIMIT and null, and nothing else', () => {
    for (const maxOpens of [1, 2, 10, MAX_OPENS_LIMIT, null]) {
      assert.equal(envelopeMaxOpens(parseEnvelope(seal({ maxOpens }))), maxOpens);
    }
    for (const maxOpens of [0, -1, 1.5, MAX_OPENS_LIMIT + 1, Number.NaN, '1' as never]) {
      assert.throws(() => seal({ maxOpens }), isError('Malformed'), String(maxOpens));
      assert.throws(() => parseEnvelope({ ...seal(), maxOpens }), isError('Malformed'), String(maxOpens));
    }
  });

  it('refuses a head of the wrong shape when sealing and parsing', () => {
    const { sig: _sig, ...unsignedHead } = head;
    assert.throws(() => seal({ head: unsignedHead as never }), isError('Malformed'));
    assert.throws(() => seal({ head: { ...head, size: -1 } }), isError('Malformed'));
    assert.throws(() => parseEnvelope({ ...seal(), head: { ...head, extra: 1 } }), isError('Malformed'));
    const { head: _head, ...withoutHead } = v2(seal());
    assert.throws(() => parseEnvelope(withoutHead), isError('Malformed'));
  });

  it('is BadSignature when the server alters the head, the read limit or the commitment', () => {
    const envelope = v2(seal({ maxOpens: 1 }));
    const other = signTreeHead(
      log,
      { size: 43, root: sm3(Uint8Array.of(43)), time: LATER },
      vectorRandom('x'),
    );
    assert.throws(() => open({ ...envelope, head: other }), isError('BadSignature'));
    assert.throws(() => open({ ...envelope, head: null }), isError('BadSignature'));
    assert.throws(() => open({ ...envelope, maxOpens: null }), isError('BadSignature'));
    assert.throws(() => open({ ...envelope, maxOpens: 5 }), isError('BadSignature'));
    const commit = base64urlEncode(sm3(base64urlDecode(envelope.commit)));
    assert.throws(() => open({ ...envelope, commit }), isError('BadSignature'));
  });

  it('is Tampered when the signed commitment does not match the unwrapped key', () => {
    const envelope = v2(seal());
    const commit = base64urlEncode(sm3(base64urlDecode(envelope.commit)));
    assert.throws(
      () => open(resign({ ...unsigned(envelope), commit } as UnsignedEnvelope)),
      isError('Tampered'),
    );
  });

  it('stops a sender who wraps another key to one reader before that reader decrypts', () => {
    // The setting of the non-committing attack: bob and carol get different DEKs under one signed
    // header. Whatever the ciphertext, at most one DEK matches the commitment.
    const envelope = v2(seal());
    const otherDek = nodeRandom(16);
    const recipients = envelope.recipients.map((r) =>
      r.user === 'carol' ? { ...r, wrap: base64urlEncode(sm2Encrypt(carol.publicKey, otherDek)) } : r,
    );
    const forged = resign({ ...unsigned(envelope), recipients } as UnsignedEnvelope);
    assert.equal(open(forged, bob).content, 'The safe code is 4711.');
    assert.throws(
      () => open(forged, carol),
      (err) => isMifengError(err, 'Tampered') && /commits/.test(String((err as Error).message)),
    );
  });

  it('round-trips any read limit and head through JSON', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 1, max: MAX_OPENS_LIMIT }), { nil: null }),
        fc.boolean(),
        (maxOpens, withHead) => {
          const envelope = v2(seal({ maxOpens, head: withHead ? head : null }));
          const opened = open(JSON.parse(JSON.stringify(envelope)));
          assert.equal(envelopeMaxOpens(opened.envelope), maxOpens);
          assert.deepEqual(envelopeLogHead(opened.envelope), withHead ? head : null);
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('envelope version 1 next to version 2', () => {
  it('still seals on request and opens, with no head and no limit', () => {
    const envelope = seal({ head: undefined, maxOpens: undefined }, { version: 1 });
    assert.equal(envelope.v, 1);
    assert.ok(!('commit' in envelope) && !('head' in envelope) && !('maxOpens' in envelope));
    assert.equal(envelopeMaxOpens(envelope), null);
    assert.equal(envelopeLogHead(envelope), null);
    assert.equal(open(envelope, carol).content, 'The safe code is 4711.');
  });

  it('has no room for version 2 members', () => {
    assert.throws(() => seal({}, { version: 1 }), TypeError);
    assert.throws(() => seal({ head: undefined, maxOpens: 3 }, { version: 1 }), TypeError);
    const envelope = seal({ head: undefined, maxOpens: undefined }, { version: 1 });
    assert.throws(() => parseEnvelope({ ...envelope, maxOpens: null }), isError('Malformed'));
    const upgraded = v2(seal());
    assert.throws(() => parseEnvelope({ ...upgraded, v: 1 }), isError('Malformed'));
    assert.throws(() => seal({}, { version: 4 as never }), TypeError);
  });
});
