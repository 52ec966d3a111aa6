import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalize } from '../../../shared/protocol/canonical';

/** An IEEE 754 double from its 16 hex digits, as RFC 8785 Appendix B lists them. */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonicalize()', () => {
  it('matches RFC 8785 §3.2.2 (primitive data types)', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    assert.equal(
      canonicalize(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('matches RFC 8785 §3.2.3 (sorting of properties by UTF-16 code units)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Compared as text: JSON.parse would move the integer-like key "1" first again.
    assert.equal(
      canonicalize(input),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('matches RFC 8785 Appendix B (number serialization)', () => {
    const cases: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af6', '1e+23'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555555', '333333333.3333333'],
    ];
    for (const [hex, text] of cases) assert.equal(canonicalize(double(hex)), text, hex);
  });

  it('leaves no whitespace and nests arrays and objects', () => {
    assert.equal(canonicalize({ b: [1, { d: 2, c: [] }], a: {} }), '{"a":{},"b":[1,{"c":[],"d":2}]}');
    assert.equal(canonicalize(Object.assign(Object.create(null), { z: 1, y: null })), '{"y":null,"z":1}');
  });

  it('round-trips and is idempotent on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        const parsed = JSON.parse(text);
        // fc.jsonValue() may produce -0, which JSON has no way to keep.
        assert.deepEqual(parsed, JSON.parse(JSON.stringify(value)));
        assert.equal(canonicalize(parsed), text);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects invalid inputs', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, { a: Number.NaN }]) {
      assert.throws(() => canonicalize(bad), RangeError);
    }
    assert.throws(() => canonicalize('\ud800'), RangeError);
    assert.throws(() => canonicalize({ '\udc00': 1 }), RangeError);
    class Point {
      x = 1;
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [
      undefined,
      { a: undefined },
      [undefined],
      // biome-ignore lint/suspicious/noSparseArray: a hole is one of the rejected inputs
      [1, , 2],
      () => 1,
      Symbol('s'),
      10n,
      new Date(0),
      new Map(),
      new Point(),
      new Uint8Array(1),
      { toJSON: () => 1 },
      cyclic,
    ]) {
      assert.throws(() => canonicalize(bad), TypeError);
    }
  });
});
