// parseJson: JSON.parse plus refusal of a member name given twice. Differential against JSON.parse
// on texts without duplicates, and against an oracle written here (texts built from member lists
// whose duplicates are known) on texts with them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isMifengError } from '../../shared/errors';
import { duplicateMemberName, parseJson } from '../../shared/json';

const malformed = (text: string) =>
  assert.throws(
    () => parseJson(text, 'x'),
    (err) => isMifengError(err, 'Malformed'),
    text,
  );

/** A JSON value as a tree whose objects are member lists, so a name can be given twice. */
type Tree =
  | { kind: 'leaf'; value: unknown }
  | { kind: 'array'; items: Tree[] }
  | { kind: 'object'; members: [string, Tree][] };

const NAMES = ['a', 'b', 'sig', 'iter', '__proto__', 'é', '"', '\\', '\u2028', 'a\u0000', '{', ',', ''];

const treeArbitrary = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 0 }).map((value) => ({ kind: 'leaf' as const, value })),
    fc.array(tie('tree'), { maxLength: 4 }).map((items) => ({ kind: 'array' as const, items })),
    fc
      .array(fc.tuple(fc.constantFrom(...NAMES), tie('tree')), { maxLength: 5 })
      .map((members) => ({ kind: 'object' as const, members })),
  ),
})).tree;

/** Writes a tree as JSON, spelling names plainly or with every character escaped as \uXXXX. */
function write(tree: Tree, escapeNames: boolean, space: string): string {
  if (tree.kind === 'leaf') return JSON.stringify(tree.value);
  if (tree.kind === 'array')
    return `[${space}${tree.items.map((t) => write(t, escapeNames, space)).join(`,${space}`)}${space}]`;
  const name = (n: string) =>
    escapeNames
      ? `"${[...n].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`
      : JSON.stringify(n);
  return `{${space}${tree.members.map(([n, t]) => `${name(n)}${space}:${space}${write(t, escapeNames, space)}`).join(`,${space}`)}${space}}`;
}

function hasDuplicate(tree: Tree): boolean {
  if (tree.kind === 'leaf') return false;
  if (tree.kind === 'array') return tree.items.some(hasDuplicate);
  const names = tree.members.map(([n]) => n);
  return new Set(names).size !== names.length || tree.members.some(([, t]) => hasDuplicate(t));
}

describe('parseJson()', () => {
  it('agrees with JSON.parse on every text without a repeated name', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, '\t'), (value, space) => {
        const text = JSON.stringify(value, null, space);
        assert.deepEqual(parseJson(text, 'x'), JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a repeated name exactly when the oracle sees one, however the names are spelled', () => {
    fc.assert(
      fc.property(
        treeArbitrary,
        fc.boolean(),
        fc.constantFrom('', ' ', '\n  '),
        (tree, escapeNames, space) => {
          const text = write(tree, escapeNames, space);
          if (hasDuplicate(tree)) malformed(text);
          else assert.deepEqual(parseJson(text, 'x'), JSON.parse(text));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('names the repeated member', () => {
    assert.equal(duplicateMemberName('{"sig":"junk","v":1,"sig":"real"}'), 'sig');
    assert.equal(duplicateMemberName('{"a":1,"\\u0061":2}'), 'a');
    assert.equal(duplicateMemberName('{"x":{"iter":1,"iter":2}}'), 'iter');
    assert.equal(duplicateMemberName('[{"a":1},{"a":1}]'), undefined);
    assert.equal(duplicateMemberName('{"a":{"a":{"a":1}},"b":[{"a":1,"b":2}]}'), undefined);
    assert.throws(
      () => parseJson('{"__proto__":1,"__proto__":2}', 'backup'),
      (err) => isMifengError(err, 'Malformed') && /"__proto__" more than once/.test((err as Error).message),
    );
  });

  it('is not fooled by quotes, braces and backslashes inside strings', () => {
    assert.deepEqual(parseJson('{"a":"{\\"a\\":1,\\"a\\":2}","b":"\\\\"}', 'x'), {
      a: '{"a":1,"a":2}',
      b: '\\',
    });
    assert.deepEqual(parseJson('{"a\\\\":1,"a":2}', 'x'), { 'a\\': 1, a: 2 });
    malformed('{"a\\\\":1,"a\\\\":2}');
    assert.deepEqual(parseJson('{"x":"\\\\\\"","x2":"]}"}', 'x'), { x: '\\"', x2: ']}' });
  });

  it('refuses what JSON.parse refuses, and non-strings', () => {
    for (const text of ['', '{', '{"a":1,}', "{'a':1}", 'NaN', '{"a":1}x']) malformed(text);
    assert.throws(() => parseJson(undefined as never, 'x'), TypeError);
    assert.equal(parseJson('"{\\"a\\":1,\\"a\\":2}"', 'x'), '{"a":1,"a":2}');
    assert.equal(parseJson(' 12 ', 'x'), 12);
  });
});
