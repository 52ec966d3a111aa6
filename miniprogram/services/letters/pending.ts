/**
 * Letters waiting for people who had not registered yet. Compose sends them with the letter (name
 * and phone; the server keeps the keyed hash of the number). Once such a person registers with that
 * number and name, the entry is `ready` with their key; the next time this phone is unlocked,
 * `deliverReady` opens its own copy of the letter (the sender is always a recipient), seals the
 * same content, remark and expiry again to the sender and the new recipient, and delivers it. The
 * new recipient's key goes through the contact book like any other: a first contact is pinned
 * after the delivery, a key the book knows another key for is not sealed to until accepted, and
 * the key must prove its place in the transparency log, as at compose. Such an entry stays ready:
 * the sent page shows the key-change screen for it (`pendingKeyChange`), and accepting the new key
 * there delivers it at once (`acceptPendingKey`); declining leaves it waiting, cancellable.
 */
import {
  base64urlDecode,
  type EnvelopeJson,
  isApiError,
  keyId,
  openEnvelope,
  PENDING_STATE,
  type PendingEntry,
  sealEnvelope,
} from '../../lib';
import * as api from '../api';
import { acceptKey, pinAll, trustOf } from '../contacts';
import { isUnlocked, requireIdentity } from '../keyring';
import { whenRandomReady } from '../random';
import { checkKey, LogCheckError } from '../transparency';
import { type KeyChange, keyChangeOf } from './key-change';
import { rememberSent } from './sent-record';

/** What one pass of `deliverReady` did, by the names the sender typed. */
export interface DeliveryReport {
  delivered: string[];
  /** Their key is not the one the contact book pinned: left ready for review on the sent page. */
  keyChanged: string[];
  /** Their key did not prove its place in the transparency log: nothing sealed to it. */
  notInLog: string[];
  /** Could not be delivered now (network, a letter sealed under an older key of mine, …). */
  failed: string[];
}

let listing: Promise<PendingEntry[]> | null = null;

/**
 * My pending entries, newest first. Callers that ask while a request is out share it: the sent
 * page's pending list and its letter rows' names ask at the same moment of every show.
 */
export function listPending(): Promise<PendingEntry[]> {
  listing ??= api.listPending().finally(() => {
    listing = null;
  });
  return listing;
}

/** Cancels an entry not delivered yet (its letter stays for the others). */
export function cancelPending(id: string): Promise<void> {
  return api.cancelPending(id);
}

/**
 * The key-change screen's facts for a ready entry whose recipient's key is not the one the contact
 * book pinned for them (null for any other entry). Needs the key unlocked.
 */
export async function pendingKeyChange(entry: PendingEntry): Promise<KeyChange | null> {
  const recipient = entry.recipient;
  if (entry.state !== PENDING_STATE.READY || !recipient) return null;
  const trust = await trustOf(recipient.user, recipient.publicKey);
  if (trust.state !== 'changed' || !trust.contact) return null;
  return keyChangeOf({ ...recipient, name: entry.name }, trust.contact);
}

/**
 * The sender checked the fingerprints of `entry`'s recipient and accepts their new key: it is
 * pinned, and the letter sealed to that very key and delivered.
 */
export async function acceptPendingKey(entry: PendingEntry): Promise<DeliveryOutcome> {
  const recipient = entry.recipient;
  if (entry.state !== PENDING_STATE.READY || !recipient) return 'failed';
  await acceptKey(recipient.user, recipient.publicKey);
  await whenRandomReady();
  return deliverOne(entry);
}

/** What became of one ready entry. */
export type DeliveryOutcome = 'delivered' | 'key_changed' | 'not_in_log' | 'failed';

/** Seals `entry`'s letter again for its recipient from my own copy, and delivers it. */
async function deliverOne(entry: PendingEntry): Promise<DeliveryOutcome> {
  const recipient = entry.recipient;
  if (!recipient) return 'failed';
  const me = requireIdentity();
  if ((await trustOf(recipient.user, recipient.publicKey)).state === 'changed') return 'key_changed';
  let head: Awaited<ReturnType<typeof checkKey>>;
  try {
    head = await checkKey(recipient.user, recipient.publicKey, recipient.log);
  } catch (err) {
    if (err instanceof LogCheckError) return 'not_in_log';
    throw err;
  }
  const fetched = await api.getEnvelope(entry.envelopeId);
  // My own letter, signed by my current key: anything else is not for this phone to vouch for.
  if (
    fetched.envelope.id !== entry.envelopeId ||
    fetched.envelope.sender !== me.user ||
    fetched.envelope.senderKey !== keyId(me.publicKey)
  ) {
    return 'failed';
  }
  const {
    content,
    remark,
    envelope: original,
  } = openEnvelope(fetched.envelope, {
    reader: me,
    senderPublicKey: me.publicKey,
    now: new Date(),
  });
  const copy = sealEnvelope(
    {
      sender: me,
      recipients: [{ user: recipient.user, publicKey: base64urlDecode(recipient.publicKey) }],
      content,
      remark,
      expiresAt: original.expiresAt === null ? null : new Date(original.expiresAt),
      head,
      // The read limit the sender set goes with the letter (a version 1 letter had none).
      maxOpens: 'maxOpens' in original ? original.maxOpens : null,
    },
    { now: new Date() },
  ) as EnvelopeJson;
  try {
    await api.deliverPending(entry.id, copy);
  } catch (err) {
    // Another of my devices delivered it first: done all the same.
    if (isApiError(err) && err.code === 'pending_delivered') return 'delivered';
    throw err;
  }
  await pinAll([{ user: recipient.user, publicKey: recipient.publicKey }]).catch(() => {});
  rememberSent(me.user, {
    id: copy.id,
    to: [recipient.name],
    notSentTo: [],
    remark,
    createdAt: copy.createdAt,
    expiresAt: copy.expiresAt,
  });
  return 'delivered';
}

/** Delivers every ready entry (after unlocking); never throws, reports what happened. */
export async function deliverReady(): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: [], keyChanged: [], notInLog: [], failed: [] };
  if (!isUnlocked()) return report;
  let entries: PendingEntry[];
  try {
    entries = (await api.listPending()).filter((e) => e.state === PENDING_STATE.READY);
  } catch {
    return report;
  }
  if (entries.length > 0) await whenRandomReady();
  for (const entry of entries) {
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliverOne(entry);
    } catch {
      outcome = 'failed';
    }
    if (outcome === 'delivered') report.delivered.push(entry.name);
    else if (outcome === 'key_changed') report.keyChanged.push(entry.name);
    else if (outcome === 'not_in_log') report.notInLog.push(entry.name);
    else report.failed.push(entry.name);
  }
  return report;
}
