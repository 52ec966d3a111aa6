import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { setRandomSource, sm2Sign } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode, utf8Decode, utf8Encode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import {
  decodePlaintext,
  type Envelope,
  encodePlaintext,
  envelopeAad,
  envelopeHeader,
  generateIdentity,
  type Identity,
  keyId,
  MAX_CONTENT_BYTES,
  MAX_RECIPIENTS,
  MAX_REMARK_BYTES,
  openEnvelope,
  parseEnvelope,
  type SealInput,
  type SealOptions,
  sealEnvelope,
  sealRandomLength,
  signedBytes,
  type UnsignedEnvelope,
  verifyEnvelopeSignature,
} from '../../../shared/protocol';
import { EXPIRES, isError, LATER, NOW, nodeRandom, sealFromAlice } from './_letters';

let alice: Identity;
let bob: Identity;
let carol: Identity;
let erin: Identity;
const crowd: Identity[] = [];

before(() => {
  setRandomSource(nodeRandom);
  alice = generateIdentity('alice');
  bob = generateIdentity('bob');
  carol = generateIdentity('carol');
  erin = generateIdentity('erin');
  for (let i = 0; i < MAX_RECIPIENTS; i++) crowd.push(generateIdentity(`user_${i}`));
});
after(() => setRandomSource(null));

/** A sealed letter from alice to bob (and carol), with overrides. */
function sealFixture(input: Partial<SealInput> = {}, options: SealOptions = {}): Envelope {
  return sealFromAlice({ alice, bob, carol }, input, options);
}

function open(envelope: unknown, reader: Identity = bob, senderPublicKey = alice.publicKey, now = LATER) {
  return openEnvelope(envelope, { reader, senderPublicKey, now });
}

function resign(envelope: object, sender: Identity = alice): Envelope {
  const unsigned = envelope as UnsignedEnvelope;
  return { ...unsigned, sig: base64urlEncode(sm2Sign(sender.privateKey, signedBytes(unsigned))) } as Envelope;
}

function flip(text: string, index: number): string {
  const bytes = base64urlDecode(text);
  bytes[index]! ^= 0x80;
  return base64urlEncode(bytes);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

describe('sealEnvelope()', () => {
  it('seals a letter that every recipient opens', () => {
    const envelope = sealFixture();
    assert.deepEqual(
      envelope.recipients.map((r) => r.user),
      ['alice', 'bob', 'carol'],
    );
    assert.equal(envelope.v, 3);
    assert.equal(envelope.sender, 'alice');
    assert.equal(envelope.senderKey, keyId(alice.publicKey));
    assert.equal(envelope.createdAt, '2026-11-24T12:00:00.000Z');
    assert.equal(envelope.expiresAt, '2026-11-27T12:00:00.000Z');
    assert.deepEqual(Object.keys(envelope), [
      'v',
      'id',
      'sender',
      'senderKey',
      'createdAt',
      'expiresAt',
      'recipients',
      'iv',
      'head',
      'commit',
      'maxOpens',
      'ct',
      'sig',
    ]);
    for (const reader of [alice, bob, carol]) {
      const opened = open(clone(envelope), reader);
      assert.equal(opened.content, 'The safe code is 4711.');
      assert.equal(opened.remark, 'safe');
      assert.deepEqual(opened.envelope, envelope);
    }
  });

  it('round-trips arbitrary Unicode content and remarks to 1…N recipients', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        (content, remark, others, permanent) => {
          const recipients = crowd.slice(0, others).map(({ user, publicKey }) => ({ user, publicKey }));
          const envelope = sealFixture({
            content,
            remark,
            recipients,
            expiresAt: permanent ? null : EXPIRES,
          });
          assert.equal(envelope.recipients.length, others + 1);
          const reader = others === 0 ? alice : crowd[others - 1]!;
          const opened = open(envelope, reader);
          assert.equal(opened.content, content);
          assert.equal(opened.remark, remark);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('addresses MAX_RECIPIENTS entries, the sender included', () => {
    const recipients = crowd.slice(0, MAX_RECIPIENTS - 1).map(({ user, publicKey }) => ({ user, publicKey }));
    const envelope = sealFixture({ recipients });
    assert.equal(envelope.recipients.length, MAX_RECIPIENTS);
    assert.equal(open(envelope, crowd[MAX_RECIPIENTS - 2]).content, 'The safe code is 4711.');
    const tooMany = crowd.slice(0, MAX_RECIPIENTS).map(({ user, publicKey }) => ({ user, publicKey }));
    assert.throws(() => sealFixture({ recipients: tooMany }), isError('TooLarge'));
  });

  it('pads the ciphertext to blocks of 256 bytes', () => {
    const sizes = ['', 'x'.repeat(230), 'x'.repeat(231), 'x'.repeat(1000)].map(
      (content) => base64urlDecode(sealFixture({ content, remark: '' }).ct).length - 16,
    );
    // {"content":"","remark":""} is 26 bytes: 230 more fill one block exactly.
    assert.deepEqual(sizes, [256, 256, 512, 1280]);
  });

  it('takes its time, id and randomness from the caller', () => {
    const id = new Uint8Array(16).fill(7);
    const stream = () => {
      let counter = 0;
      return (n: number) => new Uint8Array(n).map(() => (counter++ * 31 + 1) & 0xff);
    };
    const a = sealFixture({}, { id, random: stream(), now: NOW });
    const b = sealFixture({}, { id, random: stream(), now: NOW });
    assert.deepEqual(a, b);
    assert.equal(a.id, base64urlEncode(id));
    assert.notDeepEqual(sealFixture().id, sealFixture().id);
  });

  it('draws exactly sealRandomLength() bytes, the surplus on top', () => {
    for (const count of [0, 2, MAX_RECIPIENTS - 1]) {
      const recipients = crowd.slice(0, count).map(({ user, publicKey }) => ({ user, publicKey }));
      let drawn = 0;
      const counting = (n: number) => {
        drawn += n;
        return nodeRandom(n);
      };
      sealFixture({ recipients }, { random: counting });
      assert.equal(drawn, sealRandomLength(count), `${count} recipients`);
    }
    assert.equal(sealRandomLength(2, 2) - sealRandomLength(2), 64);
    assert.throws(() => sealRandomLength(-1), RangeError);
    assert.throws(() => sealRandomLength(1.5), TypeError);
  });

  it('seals the largest content and refuses one byte more', () => {
    const content = 'x'.repeat(MAX_CONTENT_BYTES);
    assert.equal(open(sealFixture({ content })).content, content);
    assert.throws(() => sealFixture({ content: `${content}x` }), isError('TooLarge'));
    assert.throws(() => sealFixture({ remark: '密'.repeat(MAX_REMARK_BYTES / 3 + 1) }), isError('TooLarge'));
    // Control characters escape to 6 bytes each: allowed as content, too large as JSON.
    assert.throws(() => sealFixture({ content: '\u0001'.repeat(MAX_CONTENT_BYTES) }), isError('TooLarge'));
  });

  it('refuses to seal without randomness', () => {
    setRandomSource(null);
    try {
      assert.throws(() => sealFixture(), isError('RandomNotReady'));
    } finally {
      setRandomSource(nodeRandom);
    }
  });

  it('rejects invalid inputs', () => {
    const bobEntry = { user: 'bob', publicKey: bob.publicKey };
    assert.throws(() => sealEnvelope(null as never), TypeError);
    assert.throws(() => sealFixture({ content: 42 as never }), TypeError);
    assert.throws(() => sealFixture({ content: 'a\ud800' }), isError('Malformed'));
    assert.throws(() => sealFixture({ remark: '\udc00' }), isError('Malformed'));
    assert.throws(() => sealFixture({ recipients: [bobEntry, bobEntry] }), isError('Malformed'));
    assert.throws(
      () => sealFixture({ recipients: [{ user: 'alice', publicKey: bob.publicKey }] }),
      isError('Malformed'),
    );
    const offCurve = new Uint8Array(bob.publicKey);
    offCurve[64]! ^= 1;
    assert.throws(
      () => sealFixture({ recipients: [{ user: 'bob', publicKey: offCurve }] }),
      isError('Malformed'),
    );
    assert.throws(
      () => sealFixture({ recipients: [{ user: 'bob!', publicKey: bob.publicKey }] }),
      isError('Malformed'),
    );
    assert.throws(() => sealFixture({ recipients: [{ user: 'bob', publicKey: 'x' as never }] }), TypeError);
    assert.throws(() => sealFixture({ recipients: 'bob' as never }), TypeError);
    assert.throws(() => sealFixture({ expiresAt: NOW }), isError('Malformed'));
    assert.throws(() => sealFixture({ expiresAt: new Date(Number.NaN) }), TypeError);
    assert.throws(() => sealFixture({ expiresAt: '2027-01-01' as never }), TypeError);
    assert.throws(() => sealFixture({}, { now: 'now' as never }), TypeError);
    assert.throws(() => sealFixture({}, { id: new Uint8Array(15) }), RangeError);
    assert.throws(
      () => sealFixture({ sender: { ...alice, publicKey: bob.publicKey } }),
      isError('Malformed'),
    );
    assert.throws(() => sealFixture({ sender: { ...alice, user: '' } }), isError('Malformed'));
    assert.throws(
      () => sealFixture({ sender: { ...alice, privateKey: new Uint8Array(32) } }),
      isError('Malformed'),
    );
  });
});

describe('openEnvelope()', () => {
  it('checks expiry against the given time', () => {
    const envelope = sealFixture();
    assert.equal(
      open(envelope, bob, alice.publicKey, new Date(EXPIRES.getTime() - 1)).content.length > 0,
      true,
    );
    assert.throws(() => open(envelope, bob, alice.publicKey, EXPIRES), isError('Expired'));
    const permanent = sealFixture({ expiresAt: null });
    assert.equal(open(permanent, bob, alice.publicKey, new Date('9999-01-01T00:00:00.000Z')).remark, 'safe');
  });

  it('tells a reader who is not listed, or listed under another key', () => {
    const envelope = sealFixture();
    assert.throws(() => open(envelope, erin), isError('NotARecipient'));
    const newBob = generateIdentity('bob');
    assert.throws(() => open(envelope, newBob), isError('NotARecipient'));
  });

  it('rejects a signature by anyone but the key the reader trusts, before anything else', () => {
    const envelope = sealFixture();
    assert.throws(() => open(envelope, bob, carol.publicKey), isError('BadSignature'));
    // Even a letter that is expired and not for erin reports the bad signature first.
    assert.throws(() => open(envelope, erin, carol.publicKey, EXPIRES), isError('BadSignature'));
    // A letter correctly signed by carol but claiming to be from alice's key.
    const forged = resign({ ...sealFixture(), senderKey: keyId(carol.publicKey) } as UnsignedEnvelope, carol);
    assert.throws(() => open(forged, bob, carol.publicKey), isError('Malformed')); // sender's entry key ≠ senderKey
  });

  it('fails with a typed error when any byte of any field is flipped, and never yields plaintext', () => {
    const envelope = sealFixture();
    const fields = ['id', 'senderKey', 'iv', 'ct', 'sig'] as const;
    let cases = 0;
    const expectFailure = (tampered: unknown, label: string) => {
      cases++;
      assert.throws(
        () => open(tampered),
        (err) => isMifengError(err, 'BadSignature') || isMifengError(err, 'Malformed'),
        label,
      );
    };
    for (const field of fields) {
      const length = base64urlDecode(envelope[field]).length;
      for (let i = 0; i < length; i++)
        expectFailure({ ...envelope, [field]: flip(envelope[field], i) }, `${field}[${i}]`);
    }
    for (const [r, recipient] of envelope.recipients.entries()) {
      for (const member of ['key', 'wrap'] as const) {
        const length = base64urlDecode(recipient[member]!).length;
        for (let i = 0; i < length; i++) {
          const recipients = envelope.recipients.map((x, j) =>
            j === r ? { ...x, [member]: flip(x[member]!, i) } : x,
          );
          expectFailure({ ...envelope, recipients }, `recipients[${r}].${member}[${i}]`);
        }
      }
    }
    for (const field of ['sender', 'createdAt', 'expiresAt'] as const) {
      const value = envelope[field]!;
      for (let i = 0; i < value.length; i++) {
        const changed = value.slice(0, i) + (value[i] === '1' ? '2' : '1') + value.slice(i + 1);
        expectFailure({ ...envelope, [field]: changed }, `${field}[${i}]`);
      }
    }
    assert.ok(cases > 800);
  });

  it('fails with Tampered when the sender signs altered ciphertext, wraps or header', () => {
    const envelope = sealFixture();
    const { sig: _sig, ...base } = envelope;
    const ct = base64urlDecode(envelope.ct);
    for (const i of [0, 1, 100, ct.length - 17, ct.length - 16, ct.length - 1]) {
      assert.throws(
        () => open(resign({ ...base, ct: flip(envelope.ct, i) })),
        isError('Tampered'),
        `ct[${i}]`,
      );
    }
    for (const i of [0, 11]) {
      assert.throws(
        () => open(resign({ ...base, iv: flip(envelope.iv, i) })),
        isError('Tampered'),
        `iv[${i}]`,
      );
    }
    for (const i of [1, 64, 65, 96, 97, 112]) {
      const recipients = envelope.recipients.map((r) =>
        r.user === 'bob' ? { ...r, wrap: flip(r.wrap!, i) } : r,
      );
      assert.throws(() => open(resign({ ...base, recipients })), isError('Tampered'), `wrap[${i}]`);
    }
    // Header members are the AAD: a changed id or time no longer authenticates.
    assert.throws(() => open(resign({ ...base, id: flip(envelope.id, 3) })), isError('Tampered'));
    assert.throws(() => open(resign({ ...base, expiresAt: null })), isError('Tampered'));
    assert.throws(
      () => open(resign({ ...base, recipients: [...base.recipients].reverse() })),
      isError('Tampered'),
    );
  });

  it('reports Malformed for changes to the JSON structure', () => {
    const envelope = sealFixture();
    const variants: [string, unknown][] = [
      ['null', null],
      ['array', [envelope]],
      ['text that is not JSON', JSON.stringify(envelope).slice(0, -1)],
      ['junk sig before the real one', JSON.stringify(envelope).replace('{', `{"sig":"${envelope.sig}",`)],
      ['id twice in the text', JSON.stringify(envelope).replace('{', `{"id":"${envelope.id}",`)],
      [
        'wrap twice in a recipient',
        JSON.stringify(envelope).replace('"wrap":', `"wrap":"${envelope.recipients[0]!.wrap}","wrap":`),
      ],
      ['extra member', { ...envelope, extra: 1 }],
      ['v as string', { ...envelope, v: '1' }],
      ['no recipients', { ...envelope, recipients: [] }],
      ['recipients not an array', { ...envelope, recipients: envelope.recipients[0] }],
      [
        'recipient extra member',
        { ...envelope, recipients: envelope.recipients.map((r) => ({ ...r, x: 1 })) },
      ],
      ['duplicate recipient', { ...envelope, recipients: [...envelope.recipients, envelope.recipients[1]] }],
      ['sender not a recipient', { ...envelope, recipients: envelope.recipients.slice(1) }],
      ['expiresAt before createdAt', { ...envelope, expiresAt: '2026-11-24T11:59:59.999Z' }],
      ['expiresAt equal to createdAt', { ...envelope, expiresAt: envelope.createdAt }],
      ['timestamp with offset', { ...envelope, createdAt: '2026-11-24T12:00:00.000+00:00' }],
      ['impossible date', { ...envelope, createdAt: '2026-02-30T12:00:00.000Z' }],
      ['padded base64', { ...envelope, iv: `${envelope.iv}==` }],
      // Fixed positions: a random signature holds no '-' or '_' to swap about 5 % of the time.
      ['standard base64 +', { ...envelope, sig: `+${envelope.sig.slice(1)}` }],
      ['standard base64 /', { ...envelope, sig: `${envelope.sig.slice(0, -1)}/` }],
      ['truncated ct', { ...envelope, ct: envelope.ct.slice(0, -4) }],
      ['number as string', { ...envelope, expiresAt: 0 }],
    ];
    for (const member of Object.keys(envelope)) {
      const { [member]: _removed, ...rest } = envelope as Record<string, unknown>;
      variants.push([`missing ${member}`, rest]);
    }
    for (const [label, value] of variants) assert.throws(() => open(value), isError('Malformed'), label);
  });

  it('reports UnsupportedVersion and TooLarge before the schema', () => {
    const envelope = sealFixture();
    assert.throws(() => open({ ...envelope, v: 4 }), isError('UnsupportedVersion'));
    assert.throws(() => open({ v: 0 }), isError('UnsupportedVersion'));
    const many = Array.from({ length: MAX_RECIPIENTS + 1 }, () => envelope.recipients[0]);
    assert.throws(() => open({ ...envelope, recipients: many }), isError('TooLarge'));
    assert.throws(() => open({ ...envelope, ct: 'A'.repeat(40_000) }), isError('TooLarge'));
  });

  it('rejects invalid inputs', () => {
    const envelope = sealFixture();
    assert.throws(() => openEnvelope(envelope, undefined as never), TypeError);
    assert.throws(
      () => openEnvelope(envelope, { reader: null as never, senderPublicKey: alice.publicKey }),
      TypeError,
    );
    assert.throws(() => openEnvelope(envelope, { reader: bob, senderPublicKey: 'key' as never }), TypeError);
    assert.throws(
      () => openEnvelope(envelope, { reader: bob, senderPublicKey: new Uint8Array(33) }),
      RangeError,
    );
    assert.throws(() => open(envelope, bob, alice.publicKey, new Date('x')), TypeError);
  });
});

describe('parseEnvelope()', () => {
  it('returns a value that re-serializes to the signed bytes', () => {
    const envelope = sealFixture();
    const parsed = parseEnvelope(JSON.parse(JSON.stringify(envelope)));
    assert.deepEqual(parsed, envelope);
    assert.deepEqual(signedBytes(parsed), signedBytes(envelope));
  });

  it('reads the JSON text as received, and opens it', () => {
    const envelope = sealFixture();
    assert.deepEqual(parseEnvelope(JSON.stringify(envelope)), envelope);
    assert.deepEqual(parseEnvelope(JSON.stringify(envelope, null, 2)), envelope);
    assert.equal(open(JSON.stringify(envelope)).content, 'The safe code is 4711.');
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => parseEnvelope(undefined), isError('Malformed'));
    assert.throws(() => parseEnvelope(new Date()), isError('Malformed'));
    assert.throws(() => parseEnvelope({ v: 1 }), isError('Malformed'));
    assert.throws(() => parseEnvelope({ v: 4 }), isError('UnsupportedVersion'));
  });
});

describe('verifyEnvelopeSignature()', () => {
  it('accepts the sender key and nothing else', () => {
    const envelope = sealFixture();
    assert.equal(verifyEnvelopeSignature(envelope, alice.publicKey), true);
    assert.equal(verifyEnvelopeSignature(envelope, bob.publicKey), false);
    assert.equal(verifyEnvelopeSignature({ ...envelope, ct: flip(envelope.ct, 5) }, alice.publicKey), false);
    assert.equal(verifyEnvelopeSignature({ ...envelope, sig: 'AAAA' }, alice.publicKey), false);
  });

  it('rejects invalid inputs', () => {
    const envelope = sealFixture();
    assert.throws(() => verifyEnvelopeSignature(envelope, 'x' as never), TypeError);
    assert.throws(() => verifyEnvelopeSignature(envelope, new Uint8Array(64)), RangeError);
    assert.equal(verifyEnvelopeSignature({ ...envelope, recipients: null } as never, alice.publicKey), false);
  });
});

describe('envelopeHeader(), envelopeAad() and signedBytes()', () => {
  it('leave out exactly what the spec leaves out, in canonical order', () => {
    const envelope = sealFixture();
    const header = envelopeHeader(envelope);
    assert.deepEqual(Object.keys(header).sort(), [
      'commit',
      'createdAt',
      'expiresAt',
      'head',
      'id',
      'iv',
      'maxOpens',
      'recipients',
      'sender',
      'senderKey',
      'v',
    ]);
    assert.deepEqual(header.recipients[0], { user: 'alice', key: envelope.senderKey });
    const aad = utf8Decode(envelopeAad(envelope));
    assert.ok(
      aad.startsWith(
        `{"commit":"${envelope.v === 1 ? '' : envelope.commit}","createdAt":"2026-11-24T12:00:00.000Z","expiresAt":"2026-11-27T12:00:00.000Z","head":null,"id":`,
      ),
    );
    assert.ok(!aad.includes('"ct"') && !aad.includes('"wrap"') && !aad.includes('"sig"'));
    const signed = utf8Decode(signedBytes(envelope));
    assert.ok(signed.startsWith('{"commit":') && signed.includes(`"ct":"${envelope.ct}"`));
    // Version 3 signs every wrap through its hash.
    assert.ok(signed.includes('"wrapHash"') && !signed.includes('"wrap"') && !signed.includes('"sig"'));
    // Extra members on the input object are never signed.
    assert.deepEqual(signedBytes({ ...envelope, extra: 1 } as never), signedBytes(envelope));
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => envelopeHeader(null as never), TypeError);
    assert.throws(() => envelopeAad({ ...sealFixture(), createdAt: undefined } as never), TypeError);
    assert.throws(() => signedBytes({ ...sealFixture(), ct: Number.NaN } as never), RangeError);
  });
});

describe('encodePlaintext() and decodePlaintext()', () => {
  it('writes canonical JSON and minimal zero padding (known answer)', () => {
    const bytes = encodePlaintext({ remark: 'r', content: '密\n' });
    const json = '{"content":"密\\n","remark":"r"}';
    assert.equal(bytes.length, 256);
    assert.deepEqual(bytes.subarray(0, utf8Encode(json).length), utf8Encode(json));
    assert.ok(bytes.subarray(utf8Encode(json).length).every((b) => b === 0));
    assert.deepEqual(decodePlaintext(bytes), { content: '密\n', remark: 'r' });
  });

  it('round-trips arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 600 }),
        fc.string({ maxLength: 30 }),
        (content, remark) => {
          const bytes = encodePlaintext({ content, remark });
          assert.equal(bytes.length % 256, 0);
          assert.deepEqual(decodePlaintext(bytes), { content, remark });
        },
      ),
    );
  });

  it('rejects invalid inputs', () => {
    const pad = (text: string, length = 256) => {
      const out = new Uint8Array(length);
      out.set(utf8Encode(text));
      return out;
    };
    const good = pad('{"content":"a","remark":""}');
    const bad: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['all zeros', new Uint8Array(256)],
      ['not a multiple of 256', good.subarray(0, 255)],
      ['padding too long', pad('{"content":"a","remark":""}', 512)],
      ['non-zero padding', good.slice().fill(1, 255)],
      ['not JSON', pad('{"content":"a",')],
      ['not canonical', pad('{"remark":"","content":"a"}')],
      ['whitespace', pad('{"content": "a","remark":""}')],
      ['missing remark', pad('{"content":"a"}')],
      ['extra member', pad('{"content":"a","remark":"","x":1}')],
      ['number', pad('{"content":1,"remark":""}')],
      ['lone surrogate escape', pad('{"content":"\\ud800","remark":""}')],
      ['invalid UTF-8', good.slice().fill(0xff, 12, 13)],
    ];
    for (const [label, bytes] of bad)
      assert.throws(() => decodePlaintext(bytes), isError('Malformed'), label);
    assert.throws(() => decodePlaintext('x' as never), TypeError);
    assert.throws(() => encodePlaintext({ content: 1 as never, remark: '' }), TypeError);
    assert.throws(
      () => encodePlaintext({ content: 'x'.repeat(MAX_CONTENT_BYTES + 1), remark: '' }),
      isError('TooLarge'),
    );
  });
});
