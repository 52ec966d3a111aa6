/**
 * Log leaves: one key event each (docs/transparency.md §Leaves).
 *
 *   leaf bytes = UTF-8(JCS({userId, publicKey, keyId, kind, time[, statement]}))
 *
 * `kind` is `register` (a user's first key), `signed-change` (a new key announced by a key-change
 * statement signed with the key it replaces, docs/protocol.md; carried whole) or `reset` (a new key
 * without one, after the owner lost the old key), as the key history names them, or `delete`: the
 * tombstone of an account deleted by its owner, naming the key that was current then (no key of
 * that user is current after it, and none follows). Parsing is
 * strict: unknown members, a keyId that is not the public key's, a `signed-change` without its
 * statement (or with one for another user or key) and another kind with one are all `Malformed`.
 */
import * as z from 'zod/mini';
import { base64urlDecode, utf8Decode, utf8Encode } from '../encoding';
import { MifengError } from '../errors';
import { parseJson } from '../json';
import {
  canonicalize,
  KeyChangeSchema,
  KeyIdSchema,
  keyId,
  PublicKeySchema,
  TimestampSchema,
  UserIdSchema,
} from '../protocol';
import { parseWith } from '../protocol/_parse';

/** The key events a log records (the key history's names for them). */
export const LOG_EVENT_KINDS = ['register', 'signed-change', 'reset', 'delete'] as const;
export type LogEventKind = (typeof LOG_EVENT_KINDS)[number];

/** Largest leaf, in bytes: a key-change statement is a few hundred bytes; this bounds a hostile one. */
export const MAX_LEAF_BYTES = 4096;

/** A key event as the log records it (docs/transparency.md §Leaves). */
export const LogLeafSchema = z
  .strictObject({
    userId: UserIdSchema,
    publicKey: PublicKeySchema,
    keyId: KeyIdSchema,
    kind: z.enum(LOG_EVENT_KINDS),
    time: TimestampSchema,
    statement: z.optional(KeyChangeSchema),
  })
  .check(
    z.superRefine((leaf, ctx) => {
      if (keyId(base64urlDecode(leaf.publicKey)) !== leaf.keyId) {
        ctx.addIssue({ code: 'custom', message: "keyId is not the public key's", path: ['keyId'] });
      }
      const { statement } = leaf;
      if ((leaf.kind === 'signed-change') !== (statement !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'a signed-change carries its statement and no other kind does',
          path: ['statement'],
        });
      } else if (
        statement &&
        (statement.user !== leaf.userId ||
          statement.newKey !== leaf.keyId ||
          statement.newPublicKey !== leaf.publicKey)
      ) {
        ctx.addIssue({
          code: 'custom',
          message: "the statement is not for this user's key",
          path: ['statement'],
        });
      }
    }),
  );
export type LogLeaf = z.infer<typeof LogLeafSchema>;

/** The canonical bytes of a leaf; throws `Malformed` for an invalid one, `TooLarge` past the limit. */
export function encodeLeaf(leaf: LogLeaf): Uint8Array {
  const parsed = parseWith(LogLeafSchema, leaf, 'leaf');
  let text: string;
  try {
    text = canonicalize(parsed);
  } catch (err) {
    throw new MifengError('Malformed', `leaf: ${(err as Error).message}`);
  }
  const bytes = utf8Encode(text);
  if (bytes.length > MAX_LEAF_BYTES) throw new MifengError('TooLarge', `leaf: over ${MAX_LEAF_BYTES} bytes`);
  return bytes;
}

/**
 * The leaf whose canonical bytes these are. Bytes that parse but are not in canonical form are
 * `Malformed`: a leaf has exactly one encoding, so its hash names it.
 */
export function decodeLeaf(bytes: Uint8Array): LogLeaf {
  if (bytes.length > MAX_LEAF_BYTES) throw new MifengError('TooLarge', `leaf: over ${MAX_LEAF_BYTES} bytes`);
  const leaf = parseWith(LogLeafSchema, parseJson(utf8Decode(bytes), 'leaf'), 'leaf');
  const canonical = encodeLeaf(leaf);
  if (canonical.length !== bytes.length || canonical.some((b, i) => b !== bytes[i]))
    throw new MifengError('Malformed', 'leaf: not in canonical form');
  return leaf;
}
