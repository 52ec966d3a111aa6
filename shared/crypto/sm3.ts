/**
 * SM3 cryptographic hash (GB/T 32905-2016, also GM/T 0004-2012 and ISO/IEC 10118-3:2018).
 *
 * Our own implementation rather than sm-crypto-v2's: PBKDF2-HMAC-SM3 runs 200 000 compressions to
 * unlock a key backup, on iPhones where WeChat has no JIT, so the compression function here is
 * allocation-free, works on Int32 words in local variables, has its 64 rounds unrolled with the
 * rotated round constants inlined, and keeps the boolean functions in their cheapest algebraic form.
 * It is checked against Node's OpenSSL `sm3`, sm-crypto-v2 and sm-crypto in tests.
 *
 * Exported: `sm3(data)`. The underscore-prefixed helpers serve hmac.ts, pbkdf2.ts and sm2.ts.
 */
import { abytes } from './_bytes';

/** Initial value IV (GB/T 32905-2016 §4.1). */
const IV = new Int32Array([
  0x7380166f,
  0x4914b2b9,
  0x172442d7,
  0xda8a0600 | 0,
  0xa96f30bc | 0,
  0x163138aa,
  0xe38dee4d | 0,
  0xb0fb0e4e | 0,
]);

/** Bytes per message block and per digest (GB/T 32905-2016 §5.2, §5.3.3). */
export const _SM3_BLOCK = 64;
export const _SM3_DIGEST = 32;

/** Message expansion scratch W0..W67 (GB/T 32905-2016 §5.3.2); one per module, JS being single-threaded. */
const W = new Int32Array(68);

/**
 * The compression function CF (GB/T 32905-2016 §5.3.3): `state = CF(state, block)` where the block's
 * sixteen big-endian words are already in `w[0..15]`. Expands `w[16..67]` in place and leaves
 * `w[0..15]` untouched, so callers that vary only some words can rewrite just those.
 *
 * Rounds are unrolled. Instead of shifting A..H after every round, the names rotate: the new A is
 * written over D, the new E over H, and round j+1 reads the variables under their new roles, so
 * four rounds bring every name back to its place. The round constant of round j is T_j <<< (j mod 32)
 * with T_j = 0x79cc4519 for j < 16 and 0x7a879d8a otherwise (§4.2, §5.3.3), written as a signed
 * 32-bit literal. W'_j = W_j ^ W_{j+4} (§5.3.2) is folded into the round. FF_j for j ≥ 16 is the
 * majority function written (A & B) | ((A | B) & C), GG_j is ((F ^ G) & E) ^ G: fewer operations
 * than the textbook forms, the same truth tables.
 */
export function _sm3Compress(s: Int32Array, w: Int32Array): void {
  for (let j = 16; j < 68; j++) {
    const x = w[j - 16]! ^ w[j - 9]! ^ ((w[j - 3]! << 15) | (w[j - 3]! >>> 17));
    const y = w[j - 13]!;
    w[j] = x ^ ((x << 15) | (x >>> 17)) ^ ((x << 23) | (x >>> 9)) ^ ((y << 7) | (y >>> 25)) ^ w[j - 6]!;
  }
  let A = s[0]!;
  let B = s[1]!;
  let C = s[2]!;
  let D = s[3]!;
  let E = s[4]!;
  let F = s[5]!;
  let G = s[6]!;
  let H = s[7]!;
  let a: number;
  let t: number;
  let x: number;
  // round 0
  a = (A << 12) | (A >>> 20);
  t = a + E + 0x79cc4519;
  t = (t << 7) | (t >>> 25);
  x = w[0]!;
  D = ((A ^ B ^ C) + D + (t ^ a) + (x ^ w[4]!)) | 0;
  H = (E ^ F ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 1
  a = (D << 12) | (D >>> 20);
  t = a + H - 0x0c6775ce;
  t = (t << 7) | (t >>> 25);
  x = w[1]!;
  C = ((D ^ A ^ B) + C + (t ^ a) + (x ^ w[5]!)) | 0;
  G = (H ^ E ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 2
  a = (C << 12) | (C >>> 20);
  t = a + G - 0x18ceeb9b;
  t = (t << 7) | (t >>> 25);
  x = w[2]!;
  B = ((C ^ D ^ A) + B + (t ^ a) + (x ^ w[6]!)) | 0;
  F = (G ^ H ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 3
  a = (B << 12) | (B >>> 20);
  t = a + F - 0x319dd735;
  t = (t << 7) | (t >>> 25);
  x = w[3]!;
  A = ((B ^ C ^ D) + A + (t ^ a) + (x ^ w[7]!)) | 0;
  E = (F ^ G ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 4
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x633bae69;
  t = (t << 7) | (t >>> 25);
  x = w[4]!;
  D = ((A ^ B ^ C) + D + (t ^ a) + (x ^ w[8]!)) | 0;
  H = (E ^ F ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 5
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x3988a32f;
  t = (t << 7) | (t >>> 25);
  x = w[5]!;
  C = ((D ^ A ^ B) + C + (t ^ a) + (x ^ w[9]!)) | 0;
  G = (H ^ E ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 6
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x7311465e;
  t = (t << 7) | (t >>> 25);
  x = w[6]!;
  B = ((C ^ D ^ A) + B + (t ^ a) + (x ^ w[10]!)) | 0;
  F = (G ^ H ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 7
  a = (B << 12) | (B >>> 20);
  t = a + F - 0x19dd7344;
  t = (t << 7) | (t >>> 25);
  x = w[7]!;
  A = ((B ^ C ^ D) + A + (t ^ a) + (x ^ w[11]!)) | 0;
  E = (F ^ G ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 8
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x33bae687;
  t = (t << 7) | (t >>> 25);
  x = w[8]!;
  D = ((A ^ B ^ C) + D + (t ^ a) + (x ^ w[12]!)) | 0;
  H = (E ^ F ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 9
  a = (D << 12) | (D >>> 20);
  t = a + H - 0x6775cd0d;
  t = (t << 7) | (t >>> 25);
  x = w[9]!;
  C = ((D ^ A ^ B) + C + (t ^ a) + (x ^ w[13]!)) | 0;
  G = (H ^ E ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 10
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x311465e7;
  t = (t << 7) | (t >>> 25);
  x = w[10]!;
  B = ((C ^ D ^ A) + B + (t ^ a) + (x ^ w[14]!)) | 0;
  F = (G ^ H ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 11
  a = (B << 12) | (B >>> 20);
  t = a + F + 0x6228cbce;
  t = (t << 7) | (t >>> 25);
  x = w[11]!;
  A = ((B ^ C ^ D) + A + (t ^ a) + (x ^ w[15]!)) | 0;
  E = (F ^ G ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 12
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x3bae6864;
  t = (t << 7) | (t >>> 25);
  x = w[12]!;
  D = ((A ^ B ^ C) + D + (t ^ a) + (x ^ w[16]!)) | 0;
  H = (E ^ F ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 13
  a = (D << 12) | (D >>> 20);
  t = a + H - 0x775cd0c7;
  t = (t << 7) | (t >>> 25);
  x = w[13]!;
  C = ((D ^ A ^ B) + C + (t ^ a) + (x ^ w[17]!)) | 0;
  G = (H ^ E ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 14
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x11465e73;
  t = (t << 7) | (t >>> 25);
  x = w[14]!;
  B = ((C ^ D ^ A) + B + (t ^ a) + (x ^ w[18]!)) | 0;
  F = (G ^ H ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 15
  a = (B << 12) | (B >>> 20);
  t = a + F + 0x228cbce6;
  t = (t << 7) | (t >>> 25);
  x = w[15]!;
  A = ((B ^ C ^ D) + A + (t ^ a) + (x ^ w[19]!)) | 0;
  E = (F ^ G ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 16
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x62758579;
  t = (t << 7) | (t >>> 25);
  x = w[16]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[20]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 17
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x3b14f50f;
  t = (t << 7) | (t >>> 25);
  x = w[17]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[21]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 18
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x7629ea1e;
  t = (t << 7) | (t >>> 25);
  x = w[18]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[22]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 19
  a = (B << 12) | (B >>> 20);
  t = a + F - 0x13ac2bc4;
  t = (t << 7) | (t >>> 25);
  x = w[19]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[23]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 20
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x27585787;
  t = (t << 7) | (t >>> 25);
  x = w[20]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[24]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 21
  a = (D << 12) | (D >>> 20);
  t = a + H - 0x4eb0af0d;
  t = (t << 7) | (t >>> 25);
  x = w[21]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[25]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 22
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x629ea1e7;
  t = (t << 7) | (t >>> 25);
  x = w[22]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[26]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 23
  a = (B << 12) | (B >>> 20);
  t = a + F - 0x3ac2bc32;
  t = (t << 7) | (t >>> 25);
  x = w[23]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[27]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 24
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x75857863;
  t = (t << 7) | (t >>> 25);
  x = w[24]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[28]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 25
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x14f50f3b;
  t = (t << 7) | (t >>> 25);
  x = w[25]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[29]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 26
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x29ea1e76;
  t = (t << 7) | (t >>> 25);
  x = w[26]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[30]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 27
  a = (B << 12) | (B >>> 20);
  t = a + F + 0x53d43cec;
  t = (t << 7) | (t >>> 25);
  x = w[27]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[31]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 28
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x58578628;
  t = (t << 7) | (t >>> 25);
  x = w[28]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[32]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 29
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x4f50f3b1;
  t = (t << 7) | (t >>> 25);
  x = w[29]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[33]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 30
  a = (C << 12) | (C >>> 20);
  t = a + G - 0x615e189e;
  t = (t << 7) | (t >>> 25);
  x = w[30]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[34]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 31
  a = (B << 12) | (B >>> 20);
  t = a + F + 0x3d43cec5;
  t = (t << 7) | (t >>> 25);
  x = w[31]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[35]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 32
  a = (A << 12) | (A >>> 20);
  t = a + E + 0x7a879d8a;
  t = (t << 7) | (t >>> 25);
  x = w[32]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[36]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 33
  a = (D << 12) | (D >>> 20);
  t = a + H - 0x0af0c4ec;
  t = (t << 7) | (t >>> 25);
  x = w[33]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[37]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 34
  a = (C << 12) | (C >>> 20);
  t = a + G - 0x15e189d7;
  t = (t << 7) | (t >>> 25);
  x = w[34]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[38]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 35
  a = (B << 12) | (B >>> 20);
  t = a + F - 0x2bc313ad;
  t = (t << 7) | (t >>> 25);
  x = w[35]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[39]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 36
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x57862759;
  t = (t << 7) | (t >>> 25);
  x = w[36]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[40]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 37
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x50f3b14f;
  t = (t << 7) | (t >>> 25);
  x = w[37]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[41]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 38
  a = (C << 12) | (C >>> 20);
  t = a + G - 0x5e189d62;
  t = (t << 7) | (t >>> 25);
  x = w[38]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[42]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 39
  a = (B << 12) | (B >>> 20);
  t = a + F + 0x43cec53d;
  t = (t << 7) | (t >>> 25);
  x = w[39]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[43]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 40
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x78627586;
  t = (t << 7) | (t >>> 25);
  x = w[40]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[44]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 41
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x0f3b14f5;
  t = (t << 7) | (t >>> 25);
  x = w[41]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[45]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 42
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x1e7629ea;
  t = (t << 7) | (t >>> 25);
  x = w[42]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[46]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 43
  a = (B << 12) | (B >>> 20);
  t = a + F + 0x3cec53d4;
  t = (t << 7) | (t >>> 25);
  x = w[43]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[47]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 44
  a = (A << 12) | (A >>> 20);
  t = a + E + 0x79d8a7a8;
  t = (t << 7) | (t >>> 25);
  x = w[44]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[48]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 45
  a = (D << 12) | (D >>> 20);
  t = a + H - 0x0c4eb0b0;
  t = (t << 7) | (t >>> 25);
  x = w[45]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[49]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 46
  a = (C << 12) | (C >>> 20);
  t = a + G - 0x189d615f;
  t = (t << 7) | (t >>> 25);
  x = w[46]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[50]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 47
  a = (B << 12) | (B >>> 20);
  t = a + F - 0x313ac2bd;
  t = (t << 7) | (t >>> 25);
  x = w[47]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[51]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 48
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x62758579;
  t = (t << 7) | (t >>> 25);
  x = w[48]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[52]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 49
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x3b14f50f;
  t = (t << 7) | (t >>> 25);
  x = w[49]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[53]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 50
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x7629ea1e;
  t = (t << 7) | (t >>> 25);
  x = w[50]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[54]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 51
  a = (B << 12) | (B >>> 20);
  t = a + F - 0x13ac2bc4;
  t = (t << 7) | (t >>> 25);
  x = w[51]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[55]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 52
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x27585787;
  t = (t << 7) | (t >>> 25);
  x = w[52]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[56]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 53
  a = (D << 12) | (D >>> 20);
  t = a + H - 0x4eb0af0d;
  t = (t << 7) | (t >>> 25);
  x = w[53]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[57]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 54
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x629ea1e7;
  t = (t << 7) | (t >>> 25);
  x = w[54]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[58]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 55
  a = (B << 12) | (B >>> 20);
  t = a + F - 0x3ac2bc32;
  t = (t << 7) | (t >>> 25);
  x = w[55]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[59]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 56
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x75857863;
  t = (t << 7) | (t >>> 25);
  x = w[56]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[60]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 57
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x14f50f3b;
  t = (t << 7) | (t >>> 25);
  x = w[57]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[61]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 58
  a = (C << 12) | (C >>> 20);
  t = a + G + 0x29ea1e76;
  t = (t << 7) | (t >>> 25);
  x = w[58]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[62]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 59
  a = (B << 12) | (B >>> 20);
  t = a + F + 0x53d43cec;
  t = (t << 7) | (t >>> 25);
  x = w[59]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[63]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);
  // round 60
  a = (A << 12) | (A >>> 20);
  t = a + E - 0x58578628;
  t = (t << 7) | (t >>> 25);
  x = w[60]!;
  D = (((A & B) | ((A | B) & C)) + D + (t ^ a) + (x ^ w[64]!)) | 0;
  H = (((F ^ G) & E) ^ G) + H + t + x;
  H = H ^ ((H << 9) | (H >>> 23)) ^ ((H << 17) | (H >>> 15));
  B = (B << 9) | (B >>> 23);
  F = (F << 19) | (F >>> 13);
  // round 61
  a = (D << 12) | (D >>> 20);
  t = a + H + 0x4f50f3b1;
  t = (t << 7) | (t >>> 25);
  x = w[61]!;
  C = (((D & A) | ((D | A) & B)) + C + (t ^ a) + (x ^ w[65]!)) | 0;
  G = (((E ^ F) & H) ^ F) + G + t + x;
  G = G ^ ((G << 9) | (G >>> 23)) ^ ((G << 17) | (G >>> 15));
  A = (A << 9) | (A >>> 23);
  E = (E << 19) | (E >>> 13);
  // round 62
  a = (C << 12) | (C >>> 20);
  t = a + G - 0x615e189e;
  t = (t << 7) | (t >>> 25);
  x = w[62]!;
  B = (((C & D) | ((C | D) & A)) + B + (t ^ a) + (x ^ w[66]!)) | 0;
  F = (((H ^ E) & G) ^ E) + F + t + x;
  F = F ^ ((F << 9) | (F >>> 23)) ^ ((F << 17) | (F >>> 15));
  D = (D << 9) | (D >>> 23);
  H = (H << 19) | (H >>> 13);
  // round 63
  a = (B << 12) | (B >>> 20);
  t = a + F + 0x3d43cec5;
  t = (t << 7) | (t >>> 25);
  x = w[63]!;
  A = (((B & C) | ((B | C) & D)) + A + (t ^ a) + (x ^ w[67]!)) | 0;
  E = (((G ^ H) & F) ^ H) + E + t + x;
  E = E ^ ((E << 9) | (E >>> 23)) ^ ((E << 17) | (E >>> 15));
  C = (C << 9) | (C >>> 23);
  G = (G << 19) | (G >>> 13);

  s[0]! ^= A;
  s[1]! ^= B;
  s[2]! ^= C;
  s[3]! ^= D;
  s[4]! ^= E;
  s[5]! ^= F;
  s[6]! ^= G;
  s[7]! ^= H;
}

/** Resets `s` to the initial value. */
export function _sm3Init(s: Int32Array): void {
  s.set(IV);
}

/** Loads 16 big-endian words from `data[offset..offset+64]` into `w[0..15]`. */
export function _sm3Load(w: Int32Array, data: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++, offset += 4) {
    w[i] = (data[offset]! << 24) | (data[offset + 1]! << 16) | (data[offset + 2]! << 8) | data[offset + 3]!;
  }
}

/** Writes the eight state words big-endian into `out[offset..offset+32]`. */
export function _sm3Store(s: Int32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 8; i++, offset += 4) {
    const v = s[i]!;
    out[offset] = v >>> 24;
    out[offset + 1] = v >>> 16;
    out[offset + 2] = v >>> 8;
    out[offset + 3] = v;
  }
}

/**
 * Hashes `data` starting from `state`, which has already absorbed `prefixLength` bytes (a multiple
 * of 64): SM3 with a precomputed prefix, as HMAC's pads and SM2's Z_A prefix need. Pads per
 * GB/T 32905-2016 §5.2 and writes the digest into `out[offset..offset+32]`. `state` is consumed.
 */
export function _sm3Finish(
  state: Int32Array,
  prefixLength: number,
  data: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const w = W;
  const n = data.length;
  let pos = 0;
  for (; pos + 64 <= n; pos += 64) {
    _sm3Load(w, data, pos);
    _sm3Compress(state, w);
  }
  const tail = new Uint8Array(128);
  const rest = n - pos;
  tail.set(data.subarray(pos), 0);
  tail[rest] = 0x80;
  const blocks = rest < 56 ? 1 : 2;
  // Bit length as a 64-bit big-endian integer; lengths stay far below 2^53 bits here.
  const bits = (prefixLength + n) * 8;
  const end = blocks * 64;
  const high = Math.floor(bits / 0x100000000);
  tail[end - 8] = high >>> 24;
  tail[end - 7] = high >>> 16;
  tail[end - 6] = high >>> 8;
  tail[end - 5] = high;
  tail[end - 4] = bits >>> 24;
  tail[end - 3] = bits >>> 16;
  tail[end - 2] = bits >>> 8;
  tail[end - 1] = bits;
  for (let b = 0; b < blocks; b++) {
    _sm3Load(w, tail, b * 64);
    _sm3Compress(state, w);
  }
  _sm3Store(state, out, offset);
  tail.fill(0);
  w.fill(0);
}

/** Absorbs whole 64-byte blocks of `data` into `state` (for precomputed prefixes). */
export function _sm3Absorb(state: Int32Array, data: Uint8Array): void {
  if (data.length % 64 !== 0) throw new RangeError('prefix must be whole blocks');
  for (let pos = 0; pos < data.length; pos += 64) {
    _sm3Load(W, data, pos);
    _sm3Compress(state, W);
  }
  W.fill(0);
}

/** SM3 digest of `data` (32 bytes). */
export function sm3(data: Uint8Array): Uint8Array {
  abytes(data, undefined, 'data');
  const state = new Int32Array(8);
  _sm3Init(state);
  const out = new Uint8Array(32);
  _sm3Finish(state, 0, data, out, 0);
  return out;
}
