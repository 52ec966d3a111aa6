import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  base64urlDecode,
  base64urlEncode,
  base64urlLength,
  isBase64url,
  isWellFormedUnicode,
  utf8Decode,
  utf8Encode,
  utf8Length,
} from '../../shared/encoding';
import { isMifengError } from '../../shared/errors';

const malformed = (err: unknown) => isMifengError(err, 'Malformed');
const bytes = (...values: number[]) => new Uint8Array(values);

describe('base64urlEncode()', () => {
  // RFC 4648 §10 test vectors, in the URL-safe alphabet and without padding.
  const rfc4648: [string, string][] = [
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ];
  it('matches the RFC 4648 §10 vectors', () => {
    for (const [text, encoded] of rfc4648) {
      assert.equal(base64urlEncode(Buffer.from(text, 'latin1')), encoded);
      assert.deepEqual(base64urlDecode(encoded), new Uint8Array(Buffer.from(text, 'latin1')));
    }
  });

  it('uses - and _ and agrees with Node on random bytes', () => {
    assert.equal(base64urlEncode(bytes(0xfb, 0xff, 0xbf)), '-_-_');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        const encoded = base64urlEncode(data);
        assert.equal(encoded, Buffer.from(data).toString('base64url'));
        assert.equal(encoded.length, base64urlLength(data.length));
        assert.deepEqual(base64urlDecode(encoded), data);
      }),
    );
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => base64urlEncode('abc' as never), TypeError);
    assert.throws(() => base64urlEncode([1, 2] as never), TypeError);
  });
});

describe('base64urlDecode()', () => {
  it('decodes what Node encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        assert.deepEqual(base64urlDecode(Buffer.from(data).toString('base64url')), data);
      }),
    );
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => base64urlDecode(42 as never), TypeError);
    for (const bad of [
      'Zg==', // padding
      'Zg=',
      'Zm9v\n', // whitespace
      ' Zm9v',
      'Zm+v', // standard alphabet
      'Zm/v',
      'Z', // 1 mod 4
      'Zm9vY',
      'Zh', // non-zero trailing bits (4 unused)
      'Zm9', // non-zero trailing bits (2 unused)
      'Zm9vYmF',
      'Zm9\u00e9',
      'Zm9\u0000',
    ]) {
      assert.throws(() => base64urlDecode(bad), malformed, JSON.stringify(bad));
      assert.equal(isBase64url(bad), false);
    }
  });

  it('accepts exactly one spelling of every byte string', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AZaz09-_Q'.split('')), maxLength: 12 }), (text) => {
        let decoded: Uint8Array;
        try {
          decoded = base64urlDecode(text);
        } catch {
          return;
        }
        assert.equal(base64urlEncode(decoded), text);
      }),
    );
  });
});

describe('isBase64url()', () => {
  it('checks the decoded length when asked', () => {
    assert.equal(isBase64url('Zm9v', 3), true);
    assert.equal(isBase64url('Zm9v', 2), false);
    assert.equal(isBase64url('Zm8', 2), true);
    assert.equal(isBase64url('', 0), true);
  });

  it('rejects invalid inputs', () => {
    assert.equal(isBase64url(null), false);
    assert.equal(isBase64url(123), false);
    assert.equal(isBase64url('Zg=='), false);
  });
});

describe('base64urlLength()', () => {
  it('counts unpadded characters', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 12, 16, 32, 65, 113].map(base64urlLength),
      [0, 2, 3, 4, 16, 22, 43, 87, 151],
    );
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => base64urlLength(-1), RangeError);
    assert.throws(() => base64urlLength(1.5), RangeError);
    assert.throws(() => base64urlLength(Number.NaN), RangeError);
  });
});

describe('utf8Encode()', () => {
  it('encodes 1- to 4-byte sequences', () => {
    assert.deepEqual(utf8Encode('A'), bytes(0x41));
    assert.deepEqual(utf8Encode('é'), bytes(0xc3, 0xa9));
    assert.deepEqual(utf8Encode('密'), bytes(0xe5, 0xaf, 0x86));
    assert.deepEqual(utf8Encode('😀'), bytes(0xf0, 0x9f, 0x98, 0x80));
    assert.deepEqual(
      utf8Encode('\u0000\u007f\u0080\u07ff\u0800\uffff'),
      new Uint8Array(Buffer.from('\u0000\u007f\u0080\u07ff\u0800\uffff')),
    );
  });

  it('agrees with Node on well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        assert.deepEqual(utf8Encode(text), new Uint8Array(Buffer.from(text, 'utf8')));
        assert.equal(utf8Length(text), Buffer.byteLength(text, 'utf8'));
        assert.equal(utf8Decode(utf8Encode(text)), text);
      }),
    );
  });

  it('agrees with Node on ASCII strings (their fast path) and one non-ASCII unit among them', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 300 }), fc.nat(), (text, at) => {
        assert.deepEqual(utf8Encode(text), new Uint8Array(Buffer.from(text, 'utf8')));
        assert.equal(utf8Length(text), text.length);
        assert.equal(isWellFormedUnicode(text), true);
        const mixed = `${text.slice(0, at % (text.length + 1))}\u0080${text.slice(at % (text.length + 1))}`;
        assert.deepEqual(utf8Encode(mixed), new Uint8Array(Buffer.from(mixed, 'utf8')));
        assert.equal(utf8Length(mixed), text.length + 2);
      }),
    );
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => utf8Encode(1 as never), TypeError);
    assert.throws(() => utf8Encode(undefined as never), TypeError);
    for (const lone of ['\ud800', 'a\udc00b', '\ud83d', '\ude00\ud83d', 'x\ud800\ud800']) {
      assert.throws(() => utf8Encode(lone), malformed, JSON.stringify(lone));
      assert.throws(() => utf8Length(lone), malformed);
      assert.equal(isWellFormedUnicode(lone), false);
    }
  });
});

describe('utf8Decode()', () => {
  it('decodes long text in one piece', () => {
    const text = '密封😀'.repeat(10_000);
    assert.equal(utf8Decode(utf8Encode(text)), text);
  });

  it('agrees with the fatal TextDecoder on arbitrary bytes', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (data) => {
        let expected: string | null;
        try {
          expected = fatal.decode(data);
        } catch {
          expected = null;
        }
        if (expected === null) assert.throws(() => utf8Decode(data), malformed);
        else assert.equal(utf8Decode(data), expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => utf8Decode('abc' as never), TypeError);
    for (const bad of [
      bytes(0x80), // stray continuation
      bytes(0xc0, 0x80), // overlong NUL
      bytes(0xc1, 0xbf), // overlong
      bytes(0xe0, 0x80, 0x80), // overlong 3-byte
      bytes(0xf0, 0x80, 0x80, 0x80), // overlong 4-byte
      bytes(0xed, 0xa0, 0x80), // U+D800
      bytes(0xed, 0xbf, 0xbf), // U+DFFF
      bytes(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80), // CESU-8 surrogate pair
      bytes(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
      bytes(0xf5, 0x80, 0x80, 0x80),
      bytes(0xff),
      bytes(0xe5, 0xaf), // truncated
      bytes(0xf0, 0x9f, 0x98),
      bytes(0xe5, 0x41, 0x86), // bad continuation
    ]) {
      assert.throws(() => utf8Decode(bad), malformed, Buffer.from(bad).toString('hex'));
    }
  });
});

describe('isWellFormedUnicode()', () => {
  it('accepts surrogate pairs', () => {
    assert.equal(isWellFormedUnicode('😀密'), true);
    assert.equal(isWellFormedUnicode(''), true);
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => isWellFormedUnicode(null as never), TypeError);
    assert.equal(isWellFormedUnicode('\udbff'), false);
  });
});
