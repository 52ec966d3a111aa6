/**
 * A user's key history as the API serves it with every key it hands out (lookups, a user's key, a
 * letter's sender), and the owner's own keys and backups (`GET /me/keys`).
 *
 * Each entry is one event that made a key current: the first key (`register`), a change vouched
 * for by the key before it (`signed-change`, with the statement, docs/protocol.md §10), or a reset
 * after a fresh WeChat sign-in with no statement (`reset`: the old key was lost, or someone with
 * the account's WeChat replaced it). The phone checks the statements itself; the server only
 * refuses to record a change whose statement does not verify.
 */
import * as z from 'zod/mini';
import { KeyChangeSchema } from '../protocol';
import { KeyIdSchema, PublicKeySchema, TimestampSchema } from './common';

/** How a key became current. */
export const KEY_EVENT = {
  REGISTER: 'register',
  SIGNED_CHANGE: 'signed-change',
  RESET: 'reset',
} as const;
export const KeyEventKindSchema = z.enum(Object.values(KEY_EVENT));
export type KeyEventKind = z.infer<typeof KeyEventKindSchema>;

/** Most history entries served with a key: the newest ones, the current key last. */
export const MAX_KEY_HISTORY = 32;

/** One event of a key history. `statement` is present exactly for `signed-change`. */
export const KeyEventSchema = z.object({
  keyId: KeyIdSchema,
  publicKey: PublicKeySchema,
  kind: KeyEventKindSchema,
  at: TimestampSchema,
  statement: z.nullable(KeyChangeSchema),
});
export type KeyEvent = z.infer<typeof KeyEventSchema>;

/** Oldest first, the user's current key last. */
export const KeyHistorySchema = z.array(KeyEventSchema).check(z.maxLength(MAX_KEY_HISTORY));
export type KeyHistory = z.infer<typeof KeyHistorySchema>;
