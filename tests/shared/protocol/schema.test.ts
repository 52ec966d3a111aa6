import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrictDerSignature } from '../../../shared/crypto';
import { base64urlEncode } from '../../../shared/encoding';
import {
  EnvelopeSchema,
  isTimestamp,
  KeyBackupSchema,
  KeyIdSchema,
  MAX_ENVELOPE_JSON_BYTES,
  MAX_RECIPIENTS,
  MAX_USER_ID_LENGTH,
  PublicKeySchema,
  RecipientSchema,
  TimestampSchema,
  UserIdSchema,
} from '../../../shared/protocol';

const b64 = (length: number, fill = 1, first?: number) => {
  const bytes = new Uint8Array(length).fill(fill);
  if (first !== undefined) bytes[0] = first;
  return base64urlEncode(bytes);
};
/** 30 44 02 20 r 02 20 s: a typical 70-byte SM2 signature. */
const sig70 = base64urlEncode(
  new Uint8Array([0x30, 0x44, 0x02, 0x20, ...Array(32).fill(0x11), 0x02, 0x20, ...Array(32).fill(0x22)]),
);

/** A valid-looking envelope (shape only), with overrides. */
function envelopeFixture(overrides: Record<string, unknown> = {}) {
  return {
    v: 1,
    id: b64(16),
    sender: 'alice',
    senderKey: b64(16, 2),
    createdAt: '2026-11-24T12:00:00.000Z',
    expiresAt: null,
    recipients: [{ user: 'alice', key: b64(16, 2), wrap: b64(113, 3, 4) }],
    iv: b64(12),
    ct: b64(272),
    sig: sig70,
    ...overrides,
  };
}

describe('EnvelopeSchema', () => {
  it('accepts the largest envelope, which stays under MAX_ENVELOPE_JSON_BYTES', () => {
    const recipients = Array.from({ length: MAX_RECIPIENTS }, (_, i) => ({
      user: `${i}`.padStart(MAX_USER_ID_LENGTH, 'u'),
      key: b64(16, 2),
      wrap: b64(113, 3, 4),
    }));
    const sender = recipients[0]!.user;
    const largest = envelopeFixture({
      sender,
      recipients,
      ct: b64(20 * 1024 + 16),
      sig: base64urlEncode(
        new Uint8Array([
          0x30,
          0x46,
          0x02,
          0x21,
          0,
          ...Array(32).fill(0x81),
          0x02,
          0x21,
          0,
          ...Array(32).fill(0x82),
        ]),
      ),
    });
    assert.equal(EnvelopeSchema.safeParse(largest).success, true);
    assert.ok(JSON.stringify(largest).length < MAX_ENVELOPE_JSON_BYTES);
  });

  it('rejects invalid inputs', () => {
    assert.equal(EnvelopeSchema.safeParse(envelopeFixture()).success, true);
    for (const [label, overrides] of Object.entries({
      'ct not 256k + 16': { ct: b64(273) },
      'ct below one block': { ct: b64(16) },
      'ct above the limit': { ct: b64(20 * 1024 + 16 + 256) },
      'wrap not starting with 04': { recipients: [{ user: 'alice', key: b64(16, 2), wrap: b64(113, 3, 2) }] },
      'wrap too short': { recipients: [{ user: 'alice', key: b64(16, 2), wrap: b64(112, 3, 4) }] },
      'sender key mismatch': { senderKey: b64(16, 9) },
      'sig too long': { sig: b64(73, 0x30) },
      'sig BER length': { sig: base64urlEncode(new Uint8Array([0x30, 0x81, 0x06, 2, 1, 1, 2, 1, 1])) },
      'sig trailing byte': { sig: base64urlEncode(new Uint8Array([0x30, 0x06, 2, 1, 1, 2, 1, 1, 0])) },
      'id 15 bytes': { id: b64(15) },
      'user id too long': { sender: 'x'.repeat(65) },
    })) {
      assert.equal(EnvelopeSchema.safeParse(envelopeFixture(overrides)).success, false, label);
    }
  });
});

describe('RecipientSchema', () => {
  it('rejects invalid inputs', () => {
    assert.equal(
      RecipientSchema.safeParse({ user: 'bob', key: b64(16), wrap: b64(113, 1, 4) }).success,
      true,
    );
    assert.equal(RecipientSchema.safeParse({ user: 'bob', key: b64(16) }).success, false);
    assert.equal(
      RecipientSchema.safeParse({ user: 'bob', key: b64(16), wrap: b64(113, 1, 4), x: 1 }).success,
      false,
    );
  });
});

describe('KeyBackupSchema', () => {
  it('rejects invalid inputs', () => {
    const backup = { v: 1, kdf: 'pbkdf2-hmac-sm3', iter: 100_000, salt: b64(16), iv: b64(12), ct: b64(48) };
    assert.equal(KeyBackupSchema.safeParse(backup).success, true);
    assert.equal(KeyBackupSchema.safeParse({ ...backup, ct: b64(47) }).success, false);
    assert.equal(KeyBackupSchema.safeParse({ ...backup, iter: 9_999 }).success, false);
    assert.equal(KeyBackupSchema.safeParse({ ...backup, iter: Number.POSITIVE_INFINITY }).success, false);
  });
});

describe('field schemas', () => {
  it('rejects invalid inputs', () => {
    assert.equal(UserIdSchema.safeParse('Ab_-9').success, true);
    assert.equal(UserIdSchema.safeParse('a\n').success, false);
    assert.equal(KeyIdSchema.safeParse(b64(16)).success, true);
    assert.equal(KeyIdSchema.safeParse(b64(17)).success, false);
    assert.equal(PublicKeySchema.safeParse(b64(65, 1, 4)).success, true);
    assert.equal(PublicKeySchema.safeParse(b64(65, 1, 3)).success, false);
    assert.equal(TimestampSchema.safeParse('2026-11-24T12:00:00.000Z').success, true);
  });
});

describe('isTimestamp()', () => {
  it('accepts exactly what toISOString() prints', () => {
    for (const time of [
      0,
      1_764_000_000_123,
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29),
      -62_167_219_200_000,
    ]) {
      assert.equal(isTimestamp(new Date(time).toISOString()), true);
    }
  });

  it('rejects invalid inputs', () => {
    for (const bad of [
      '2026-11-24T12:00:00Z',
      '2026-11-24T12:00:00.000+00:00',
      '2026-11-24 12:00:00.000Z',
      '2026-11-24T12:00:00.000z',
      '2026-13-01T00:00:00.000Z',
      '2026-02-29T00:00:00.000Z',
      '2026-11-24T24:00:00.000Z',
      '+012026-11-24T12:00:00.000Z',
      ' 2026-11-24T12:00:00.000Z',
      1_764_000_000_000,
      null,
    ]) {
      assert.equal(isTimestamp(bad), false, String(bad));
    }
  });
});

describe('isStrictDerSignature()', () => {
  it('accepts minimal positive integers only', () => {
    const der = (r: number[], s: number[]) =>
      new Uint8Array([0x30, 4 + r.length + s.length, 2, r.length, ...r, 2, s.length, ...s]);
    assert.equal(isStrictDerSignature(der([1], [1])), true);
    assert.equal(isStrictDerSignature(der([0, 0x80], [0x7f])), true);
  });

  it('rejects invalid inputs', () => {
    const der = (r: number[], s: number[]) =>
      new Uint8Array([0x30, 4 + r.length + s.length, 2, r.length, ...r, 2, s.length, ...s]);
    assert.equal(isStrictDerSignature(der([0, 0x7f], [1])), false); // non-minimal
    assert.equal(isStrictDerSignature(der([0x80], [1])), false); // negative
    assert.equal(isStrictDerSignature(der([0], [1])), false); // zero
    assert.equal(isStrictDerSignature(der([1], [])), false); // empty
    assert.equal(isStrictDerSignature(new Uint8Array([0x31, 6, 2, 1, 1, 2, 1, 1])), false);
    assert.equal(isStrictDerSignature(new Uint8Array([0x30, 6, 3, 1, 1, 2, 1, 1])), false);
    assert.equal(isStrictDerSignature(new Uint8Array([0x30, 7, 2, 1, 1, 2, 1, 1])), false);
    assert.equal(isStrictDerSignature(new Uint8Array([0x30, 6, 2, 2, 1, 2, 1, 1])), false);
  });
});
