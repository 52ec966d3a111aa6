// Signed tree heads and log key rotation: signatures by the log key (ours, checked by @noble/curves
// elsewhere for SM2 itself), exact signed bytes, and refusal of every alteration.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vectorIdentity, vectorRandom } from '../../../scripts/make-vectors';
import { sm3 } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import { keyId } from '../../../shared/protocol';
import {
  followLogKeyRotations,
  signLogKeyRotation,
  signTreeHead,
  treeHeadBytes,
  verifyTreeHead,
} from '../../../shared/transparency';

const log = vectorIdentity('log');
const next = vectorIdentity('log/1');
const third = vectorIdentity('log/2');
const root = sm3(Uint8Array.of(1, 2, 3));
const time = new Date('2026-12-01T01:00:00.000Z');
let draws = 0;
/** A fresh deterministic stream per signature (never one nonce for two messages). */
const random = () => vectorRandom(`head-test/${draws++}`);

const badSignature = (fn: () => unknown) => assert.throws(fn, (err) => isMifengError(err, 'BadSignature'));
const malformed = (fn: () => unknown) => assert.throws(fn, (err) => isMifengError(err, 'Malformed'));

describe('signTreeHead() and verifyTreeHead()', () => {
  const head = signTreeHead(log, { size: 8, root, time }, random());

  it('sign the JCS text of {key, root, size, time}', () => {
    const { sig: _sig, ...unsigned } = head;
    assert.equal(
      new TextDecoder().decode(treeHeadBytes(unsigned)),
      `{"key":"${keyId(log.publicKey)}","root":"${base64urlEncode(root)}","size":8,"time":"2026-12-01T01:00:00.000Z"}`,
    );
    assert.deepEqual(verifyTreeHead(log.publicKey, head), head);
  });

  it('refuse a head altered in any member or signed by another key', () => {
    badSignature(() => verifyTreeHead(log.publicKey, { ...head, size: 9 }));
    badSignature(() => verifyTreeHead(log.publicKey, { ...head, time: '2026-12-01T01:00:00.001Z' }));
    badSignature(() => verifyTreeHead(log.publicKey, { ...head, root: base64urlEncode(sm3(root)) }));
    badSignature(() => verifyTreeHead(next.publicKey, head));
    const forged = signTreeHead(next, { size: 8, root, time }, random());
    badSignature(() => verifyTreeHead(log.publicKey, { ...forged, key: keyId(log.publicKey) }));
  });

  it('rejects invalid inputs', () => {
    malformed(() => verifyTreeHead(log.publicKey, { ...head, size: -1 }));
    malformed(() => verifyTreeHead(log.publicKey, { ...head, size: 1.5 }));
    malformed(() => verifyTreeHead(log.publicKey, { ...head, extra: 1 }));
    malformed(() => verifyTreeHead(log.publicKey, { ...head, sig: 'AAAA' }));
    malformed(() => verifyTreeHead(log.publicKey, null));
    assert.throws(() => signTreeHead(log, { size: -1, root, time }, random()), RangeError);
  });
});

describe('signLogKeyRotation() and followLogKeyRotations()', () => {
  const first = signLogKeyRotation(log, next.publicKey, time, random());
  const second = signLogKeyRotation(next, third.publicKey, time, random());

  it('follow a chain from the built-in key to the newest', () => {
    assert.deepEqual(followLogKeyRotations(log.publicKey, []), log.publicKey);
    assert.deepEqual(followLogKeyRotations(log.publicKey, [first]), next.publicKey);
    assert.deepEqual(followLogKeyRotations(log.publicKey, [first, second]), third.publicKey);
    assert.deepEqual(base64urlDecode(first.next), next.publicKey);
  });

  it('refuse a rotation not signed by the key it retires, or out of order', () => {
    badSignature(() => followLogKeyRotations(log.publicKey, [second]));
    badSignature(() => followLogKeyRotations(log.publicKey, [second, first]));
    const selfSigned = signLogKeyRotation(third, third.publicKey, time, random());
    badSignature(() =>
      followLogKeyRotations(log.publicKey, [{ ...selfSigned, previous: keyId(log.publicKey) }]),
    );
    badSignature(() =>
      followLogKeyRotations(log.publicKey, [{ ...first, next: base64urlEncode(third.publicKey) }]),
    );
  });

  it('a head signature is never a valid rotation signature', () => {
    const head = signTreeHead(log, { size: 1, root, time }, random());
    badSignature(() =>
      followLogKeyRotations(log.publicKey, [
        {
          previous: keyId(log.publicKey),
          next: base64urlEncode(next.publicKey),
          time: head.time,
          sig: head.sig,
        },
      ]),
    );
  });

  it('rejects invalid inputs', () => {
    malformed(() => followLogKeyRotations(log.publicKey, [{ ...first, extra: true }]));
    malformed(() => followLogKeyRotations(log.publicKey, [{ ...first, next: 'AAAA' }]));
  });
});
