/**
 * What the sender's own phone remembers about each letter it sent: whom it went to and its remark.
 * The server lists recipients by name but cannot read the remark; the share page and the sent list
 * show both from here, also after a restart. Only the person who wrote them keeps them, on this
 * phone, per account; the content is never kept.
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
