/**
 * Signed tree heads and log key rotation (docs/transparency.md §Tree heads, §Log key).
 *
 *   head       = {size, root, time, key}           root: base64url of the 32-byte MTH
 *                                                   key: keyId of the log key that signs it
 *   signed     = UTF-8(JCS(head))
 *   sig        = DER(SM2-Sign(log private key, signed))   SM3 with Z_A over ID 1234567812345678
 *
 *   rotation   = {previous, next, time}            previous: keyId of the old log key
 *                                                   next: base64url of the new public key
 *   signed     = UTF-8(JCS({"rotation": rotation}))
 *   sig        = by the OLD key, so a client that trusts one key can follow every later one.
 *
 * The two signed texts can never be equal (one has a member `rotation` and nothing else), so a
 * head signature cannot be passed off as a rotation or the other way round.
 */
import * as z from 'zod/mini';
import type { RandomSource } from '../crypto';
import { sm2Sign, sm2Verify } from '../crypto';
import { base64urlDecode, base64urlEncode, isBase64url, utf8Encode } from '../encoding';
import { MifengError } from '../errors';
import { anumber } from '../guards';
import { parseJson } from '../json';
// The modules themselves, not the protocol's index: version 2 envelopes embed a signed head, so
// the envelope code imports this file.
import { parseWith } from '../protocol/_parse';
import { canonicalize } from '../protocol/canonical';
import { keyId } from '../protocol/identity';
import { KeyIdSchema, PublicKeySchema, SignatureSchema, TimestampSchema } from '../protocol/schema';
import { HASH_LENGTH } from './merkle';

/** A tree size: a whole number of leaves, exact in JSON and JavaScript. */
export const TreeSizeSchema = z.int().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));

/** A tree hash: base64url of 32 bytes. */
export const TreeHashSchema = z
  .string()
  .check(z.refine((s) => isBase64url(s, HASH_LENGTH), `hash must be base64url of ${HASH_LENGTH} bytes`));

const TREE_HEAD_SHAPE = {
  size: TreeSizeSchema,
  root: TreeHashSchema,
  time: TimestampSchema,
  key: KeyIdSchema,
};

/** A tree head before signing. */
export const TreeHeadSchema = z.strictObject(TREE_HEAD_SHAPE);
export type TreeHead = z.infer<typeof TreeHeadSchema>;

/** A tree head with the log's signature. */
export const SignedTreeHeadSchema = z.strictObject({ ...TREE_HEAD_SHAPE, sig: SignatureSchema });
export type SignedTreeHead = z.infer<typeof SignedTreeHeadSchema>;

const ROTATION_SHAPE = { previous: KeyIdSchema, next: PublicKeySchema, time: TimestampSchema };

/** A log key rotation, signed by the key it retires. */
export const LogKeyRotationSchema = z.strictObject({ ...ROTATION_SHAPE, sig: SignatureSchema });
export type LogKeyRotation = z.infer<typeof LogKeyRotationSchema>;

/** The bytes a head's signature covers. */
export function treeHeadBytes(head: TreeHead): Uint8Array {
  const { size, root, time, key } = parseWith(TreeHeadSchema, head, 'head');
  return utf8Encode(canonicalize({ size, root, time, key }));
}

/** Signs a head of `size` leaves with root `root` at `time` with the log's key pair. */
export function signTreeHead(
  log: { privateKey: Uint8Array; publicKey: Uint8Array },
  head: { size: number; root: Uint8Array; time: Date },
  random?: RandomSource,
): SignedTreeHead {
  anumber(head.size, 0, Number.MAX_SAFE_INTEGER, 'size');
  const unsigned: TreeHead = {
    size: head.size,
    root: base64urlEncode(head.root),
    time: head.time.toISOString(),
    key: keyId(log.publicKey),
  };
  const sig = sm2Sign(log.privateKey, treeHeadBytes(unsigned), random);
  return { ...unsigned, sig: base64urlEncode(sig) };
}

/**
 * Parses a signed head (the value, or its JSON text read with parseJson, so a member given twice
 * is refused) and checks its signature with `logKey` (the key its `key` names).
 * `Malformed` for a bad shape or a repeated member; `BadSignature` when it names another key or does not verify.
 */
export function verifyTreeHead(logKey: Uint8Array, value: unknown): SignedTreeHead {
  const json = typeof value === 'string' ? parseJson(value, 'head') : value;
  const head = parseWith(SignedTreeHeadSchema, json, 'head');
  if (head.key !== keyId(logKey)) throw new MifengError('BadSignature', 'head: signed by another log key');
  const { sig, ...unsigned } = head;
  if (!sm2Verify(logKey, treeHeadBytes(unsigned), base64urlDecode(sig)))
    throw new MifengError('BadSignature', 'head: the log signature does not verify');
  return head;
}

function rotationBytes(rotation: Omit<LogKeyRotation, 'sig'>): Uint8Array {
  const { previous, next, time } = rotation;
  return utf8Encode(canonicalize({ rotation: { previous, next, time } }));
}

/** The old log key's statement that `next` succeeds it. */
export function signLogKeyRotation(
  old: { privateKey: Uint8Array; publicKey: Uint8Array },
  next: Uint8Array,
  time: Date,
  random?: RandomSource,
): LogKeyRotation {
  const unsigned = { previous: keyId(old.publicKey), next: base64urlEncode(next), time: time.toISOString() };
  parseWith(z.strictObject(ROTATION_SHAPE), unsigned, 'rotation');
  return { ...unsigned, sig: base64urlEncode(sm2Sign(old.privateKey, rotationBytes(unsigned), random)) };
}

/**
 * The current log key, starting from `trusted` (the key built into the client) and following each
 * rotation in order: each must be signed by the key before it. `Malformed` for a bad shape,
 * `BadSignature` for a broken chain.
 */
export function followLogKeyRotations(trusted: Uint8Array, rotations: readonly unknown[]): Uint8Array {
  let current = trusted;
  for (const [i, value] of rotations.entries()) {
    const json = typeof value === 'string' ? parseJson(value, `rotations[${i}]`) : value;
    const rotation = parseWith(LogKeyRotationSchema, json, `rotations[${i}]`);
    const { sig, ...unsigned } = rotation;
    if (
      rotation.previous !== keyId(current) ||
      !sm2Verify(current, rotationBytes(unsigned), base64urlDecode(sig))
    )
      throw new MifengError('BadSignature', `rotations[${i}]: not signed by the key it retires`);
    current = base64urlDecode(rotation.next);
  }
  return current;
}
