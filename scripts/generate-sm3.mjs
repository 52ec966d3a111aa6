// Writes shared/crypto/_sm3-compress.ts: the SM3 compression function, unrolled for the interpreter.
//
//   npm run generate:sm3                    regenerates the file
//   node scripts/generate-sm3.mjs --check   exits 1 if the file differs from what this script writes
//                                           (tests/shared/crypto/generated-sm3.test.ts runs it)
//
// PBKDF2-HMAC-SM3 runs 200 000 compressions to unlock a key backup on iPhones, where WeChat runs
// JavaScript without a JIT, so the compression is written for an accumulator interpreter (V8's
// Ignition under `node --jitless` is our stand-in for JavaScriptCore's LLInt) without giving up the
// JIT (Android WeChat, the server). Each choice below was kept only if it measured faster under
// `node --jitless`, A/B in one process, and no slower with the JIT; README "Performance" has the
// figures. Measured since in JavaScriptCore itself (`jsc --useJIT=false`): its interpreter (LLInt)
// leaves an int32 addition that overflows, and every bitwise operation on the double it yields, to a
// slow path (~20 ns each against 2–4 for an int32 operation), so all three sums of a round are closed
// with `| 0`: an overflow then costs one slow addition and one slow `| 0`, not also the rotation of
// SS1 or the four operations of P0 on TT2 (PBKDF2 ~10 % faster there, ~25 % with its JIT, V8 within
// 3 %). Sums that never overflow (the terms' high 30 and low 2 bits added apart) then gained at most
// a few % more in LLInt and made JavaScriptCore's JIT ~11× faster, but V8's JIT 2.6× and its
// interpreter 1.4× slower; a second PBKDF2 loop of that shape for JavaScriptCore alone (25 KB more,
// chosen at run time) was not worth its size.
//
// - Unrolled: the 64 rounds and the 52 expanded message words are straight-line code in one function
//   with the rotated round constants T_j <<< (j mod 32) inlined: no loop counters, table loads or
//   moves, everything in locals, which the interpreter keeps in registers and the JIT in machine
//   registers. (Cut into functions of at most 255 arithmetic instructions, sharing the state through
//   module variables, CF avoided the interpreter's wide-operand prefixes and ran 5–8 % faster
//   jitless, but 3× slower with the JIT, which cannot inline pieces that large. JavaScriptCore's
//   interpreter likewise encodes a function's arithmetic instructions wide from the 256th on, ~15 %
//   dearer, but pieces passing the state in arguments spent as much again on 12 calls.)
// - Operand order: in `x OP expr` the interpreter uses a local `x` in place and evaluates `expr` into
//   its accumulator, while `expr OP x` first spills `expr` to a temporary. Sums and boolean functions
//   are therefore nested to the right with locals on the left and the one compound term innermost:
//   `d + ((y ^ x) + ((w4 ^ w8) + FF))`. Assignments stay statements of their own: JavaScriptCore's
//   register bytecode copies a left operand to a temporary when the right one assigns
//   (`y = e + (x = a <<< 12)`), a move Ignition's reload costs as much as.
// - Fewer operations: FF_j for j >= 16 is the majority (a & b) | (c & (a | b)), GG_j the choice
//   g ^ (e & (f ^ g)); P0(x) = x ^ ((x ^ (x <<< 8)) <<< 9), the standard's x ^ (x <<< 9) ^
//   (x <<< 17), and P1 likewise with 15 and 23; W'_j = W_j ^ W_{j+4} is folded into each round.
// - Constants folded for PBKDF2: after its first HMAC, every block PBKDF2 hashes is a 32-byte U
//   value and its padding, so words 8..15 are constants, folded into `_hmacSm3Chain`'s copy of CF
//   (zeros vanish, constants merge). That loop keeps U, T and both HMAC pad states in locals too.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const OUTPUT = fileURLToPath(new URL('../shared/crypto/_sm3-compress.ts', import.meta.url));

/** T_j (GB/T 32905-2016 §4.2). */
const T_LOW = 0x79cc4519;
const T_HIGH = 0x7a879d8a;

const LOCAL = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/**
 * Words 8..15 of every block PBKDF2's inner loop hashes: the padding of a 32-byte message after one
 * 64-byte block (§5.2), 0x80 then zeros then the length, 768 bits. The padded variant of CF folds
 * them in as constants.
 */
const PADDED_U = new Map([[8, 0x80000000 | 0], ...[9, 10, 11, 12, 13, 14].map((i) => [i, 0]), [15, 768]]);
const GENERIC = new Map();

const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
const hex = (v) => (v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
const rotlConst = (v, n) => (n % 32 === 0 ? v | 0 : (v << (n % 32)) | (v >>> (32 - (n % 32))) | 0);
/** x <<< n for a local or a constant. */
const rotl = (x, n) => (typeof x === 'number' ? rotlConst(x, n) : `((${x} << ${n}) | (${x} >>> ${32 - n}))`);
const isName = (t) => typeof t === 'string' && /^\w+$/.test(t);
/** `+ 0x…` or `- 0x…`: the constant as a signed 32-bit literal, so the sum stays small. */
const plus = (v) => (v < 0 ? `- ${hex(-v)}` : `+ ${hex(v)}`);
/** Message word i: its value where `known` fixes it, else its local. */
const word = (i, known) => (known.has(i) ? known.get(i) : `w${i}`);

/**
 * The XOR of `terms` (locals, compound expressions, constants), nested to the right with locals
 * outermost and the constants folded into one, applied innermost: a number if every term is one.
 */
function xor(terms) {
  const constant = terms.filter((t) => typeof t === 'number').reduce((p, q) => p ^ q, 0);
  const order = [...terms.filter(isName), ...terms.filter((t) => typeof t === 'string' && !isName(t))];
  if (order.length === 0) return constant;
  let expr = constant === 0 ? order.at(-1) : `(${order.at(-1)} ^ ${hex(constant)})`;
  for (const t of order.slice(0, -1).reverse()) expr = `(${t} ^ ${expr})`;
  return expr;
}
/** `term + rest` with a constant term folded into an add-immediate or dropped when zero. */
const add = (term, rest) =>
  typeof term === 'number' ? (term === 0 ? rest : `(${rest} ${plus(term)})`) : `(${term} + ${rest})`;

/** Roles after a round: the new A was written over D and the new E over H (names rotate). */
const nextRoles = (r) => [r[3], r[0], r[1], r[2], r[7], r[4], r[5], r[6]];

/** Round j (GB/T 32905-2016 §5.3.3) over locals in the roles `r` = [A, B, …, H]. */
function round(j, r, known) {
  const [a, b, c, d, e, f, g, h] = r;
  const high = j >= 16;
  const ff = high ? `((${a} & ${b}) | (${c} & (${a} | ${b})))` : `(${a} ^ (${b} ^ ${c}))`;
  const gg = high ? `(${g} ^ (${e} & (${f} ^ ${g})))` : `(${e} ^ (${f} ^ ${g}))`;
  const wj = word(j, known);
  return [
    `  // round ${j}`,
    `  x = ${rotl(a, 12)};`,
    `  y = (${e} + (x ${plus(rotlConst(high ? T_HIGH : T_LOW, j))})) | 0;`,
    `  y = ${rotl('y', 7)};`,
    `  ${d} = (${d} + ((y ^ x) + ${add(xor([wj, word(j + 4, known)]), ff)})) | 0;`,
    `  ${h} = (${h} + (y + ${add(wj, gg)})) | 0;`,
    `  x = ${h} ^ ${rotl(h, 8)};`,
    `  ${h} ^= ${rotl('x', 9)};`,
    `  ${b} = ${rotl(b, 9)};`,
    `  ${f} = ${rotl(f, 19)};`,
  ];
}

/** W_m = P1(W_{m-16} ^ W_{m-9} ^ (W_{m-3} <<< 15)) ^ (W_{m-13} <<< 7) ^ W_{m-6} (§5.3.2). */
function expand(m, known) {
  const w = (back) => word(m - back, known);
  const x = xor([w(16), w(9), rotl(w(3), 15)]);
  if (typeof x === 'number') throw new Error(`W${m} would be constant; fold P1 here too`);
  return [
    `  x = ${x};`,
    `  y = x ^ ${rotl('x', 8)};`,
    `  const w${m} = ${xor([w(6), rotl(w(13), 7), `(x ^ ${rotl('y', 15)})`])};`,
  ];
}

/** CF's body over locals `a`..`h` and message words `w0`..`w15`, for blocks whose words `known` fixes. */
function compression(known) {
  const body = range(16, 68).flatMap((m) => expand(m, known));
  let r = LOCAL;
  for (const j of range(0, 64)) {
    body.push(...round(j, r, known));
    r = nextRoles(r);
  }
  // After 64 rounds, a multiple of four, every name holds its own role again.
  return body;
}

/** Formats TypeScript source with the repository's Biome settings. */
function format(source) {
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  const result = spawnSync(process.execPath, [biome, 'format', `--stdin-file-path=${OUTPUT}`], {
    input: source,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

/** The text of shared/crypto/_sm3-compress.ts. */
export function render() {
  const source = [
    '// Generated by scripts/generate-sm3.mjs, which explains the shape of this code; do not edit.',
    '// SM3 compression function CF (GB/T 32905-2016 §5.3), checked against OpenSSL, sm-crypto-v2 and',
    '// sm-crypto in tests/shared/crypto.',
    '',
    "/** `state = CF(state, block)` where the block's sixteen big-endian words are in `w[0..15]`. */",
    'export function _sm3Compress(state: Int32Array, w: Int32Array): void {',
    '  let x: number;',
    '  let y: number;',
    ...range(0, 16).map((i) => `  const w${i} = w[${i}]!;`),
    ...LOCAL.map((l, i) => `  let ${l} = state[${i}]!;`),
    ...compression(GENERIC),
    ...LOCAL.map((l, i) => `  state[${i}]! ^= ${l};`),
    '}',
    '',
    '/**',
    ' * The PBKDF2 inner loop (RFC 8018 §5.2): `count` times U ← HMAC-SM3(P, U) and T ← T ^ U, with',
    " * HMAC's key pads already absorbed into `inner` and `outer`. U and T are eight words each. Each",
    ' * iteration runs CF twice, on the inner then the outer pad state, over the block U || padding.',
    ' */',
    'export function _hmacSm3Chain(',
    '  inner: Int32Array,',
    '  outer: Int32Array,',
    '  u: Int32Array,',
    '  t: Int32Array,',
    '  count: number,',
    '): void {',
    '  let x: number;',
    '  let y: number;',
    ...range(0, 8).map((i) => `  const i${i} = inner[${i}]!;`),
    ...range(0, 8).map((i) => `  const o${i} = outer[${i}]!;`),
    ...range(0, 8).map((i) => `  let w${i} = u[${i}]!;`),
    ...range(0, 8).map((i) => `  let t${i} = t[${i}]!;`),
    ...LOCAL.map((l) => `  let ${l}: number;`),
    '  for (let half = 0; half < 2 * count; half++) {',
    '    if ((half & 1) === 0) {',
    ...LOCAL.map((l, i) => `      ${l} = i${i};`),
    '    } else {',
    ...LOCAL.map((l, i) => `      ${l} = o${i};`),
    '    }',
    ...compression(PADDED_U),
    '    if ((half & 1) === 0) {',
    ...LOCAL.map((l, i) => `      w${i} = ${l} ^ i${i};`),
    '    } else {',
    ...LOCAL.map((l, i) => `      w${i} = ${l} ^ o${i};`),
    ...range(0, 8).map((i) => `      t${i} ^= w${i};`),
    '    }',
    '  }',
    ...range(0, 8).map((i) => `  t[${i}] = t${i};`),
    '}',
    '',
  ].join('\n');
  return format(source);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = render();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUTPUT, 'utf8') !== text) {
      console.error('shared/crypto/_sm3-compress.ts is out of date: run npm run generate:sm3');
      process.exit(1);
    }
  } else {
    writeFileSync(OUTPUT, text);
  }
}
