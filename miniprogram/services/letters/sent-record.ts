/**
 * What the sender's own phone remembers about each letter it sent: whom it went to and its remark.
 * The server lists recipients by name but cannot read the remark; the share page and the sent list
 * show both from here, also after a restart. Only the person who wrote them keeps them, on this
 * phone, per account; the content is never kept.
 *
 * The reader's phone likewise keeps the remark of each letter it opened, so the inbox can tell
 * letters from one sender apart; the lists show remarks only while the keys are unlocked.
 */
import { readStorage, writeStorage } from '../wxp';

export interface SentRecord {
  id: string;
  /** The recipients' names as the server confirmed them. */
  to: string[];
  /** Names whose lookup failed: the letter was sealed without them. */
  notSentTo: string[];
  /** Names not registered yet: the letter waits for them to register (pending). */
  pendingFor?: string[];
  remark: string;
  createdAt: string;
  expiresAt: string | null;
}

/** The newest records kept per account; older ones fall back to what the server lists. */
export const SENT_RECORDS_KEPT = 500;

const keyOf = (user: string) => `mifeng.sent.${user}`;

function records(user: string): SentRecord[] {
  return readStorage<SentRecord[]>(keyOf(user)) ?? [];
}

/** Remembers (or replaces) the record of letter `record.id`, newest first. */
export function rememberSent(user: string, record: SentRecord): void {
  const rest = records(user).filter((r) => r.id !== record.id);
  writeStorage(keyOf(user), [record, ...rest].slice(0, SENT_RECORDS_KEPT));
}

/** The record of letter `id` sent by `user`, or null when this phone did not send it. */
export function sentRecord(user: string, id: string): SentRecord | null {
  return records(user).find((r) => r.id === id) ?? null;
}

/** The newest remarks of opened letters kept per account. */
export const READ_REMARKS_KEPT = 500;

const readKeyOf = (user: string) => `mifeng.read.${user}`;

/** Remembers the remark of letter `id`, which `user` just opened. */
export function rememberRemark(user: string, id: string, remark: string): void {
  const rest = (readStorage<{ id: string; remark: string }[]>(readKeyOf(user)) ?? []).filter(
    (r) => r.id !== id,
  );
  writeStorage(readKeyOf(user), [{ id, remark }, ...rest].slice(0, READ_REMARKS_KEPT));
}

/** The remark `user` wrote or read on this phone for letter `id`, or '' when it knows none. */
export function knownRemark(user: string, id: string): string {
  const read = readStorage<{ id: string; remark: string }[]>(readKeyOf(user)) ?? [];
  return read.find((r) => r.id === id)?.remark ?? sentRecord(user, id)?.remark ?? '';
}
