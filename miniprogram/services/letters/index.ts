/**
 * Letters: resolving recipients, sealing and uploading, opening, listing and revoking — the flows
 * of sending and reading a letter on top of shared/protocol and the API client. Every outcome of opening a
 * letter is a named `OpenState` the page shows in words; nothing surfaces as a raw error.
 *
 * Every key the server hands out is checked against the transparency log (services/transparency):
 * without a valid inclusion proof nothing is sealed to it and no letter it signed is opened. And
 * against the contact book (services/contacts): sealing to a changed key is refused until the
 * person accepted it, a letter signed by a changed sender key is not opened until then, and first
 * contacts are pinned once a letter was sealed or opened.
 */
import { config } from '../../config';
import {
  type Box,
  base64urlDecode,
  type ClosedEnvelopeState,
  closedStateOf,
  DAY_MS,
  ENVELOPE_STATE,
  EnvelopeIdSchema,
  type EnvelopeJson,
  type EnvelopeSender,
  type EnvelopeSummary,
  ERRORS,
  EXPIRY_CHOICES,
  type ExpiryChoice,
  envelopeLogHead,
  envelopeMaxOpens,
  expiresAtFor,
  formatFingerprint,
  idFromLetterUrl as idFromUrlOf,
  isMifengError,
  type KeyHistory,
  type KeyInclusion,
  type KeyTrust,
  keyId,
  letterUrl as letterUrlOf,
  openEnvelope,
  READ_LIMIT,
  type SignedTreeHead,
  type TrustState,
} from '../../lib';
import * as api from '../api';
import { ContactBookError, pinAll, trustOf } from '../contacts';
import { sealLetter } from '../kdf';
import { earlierIdentity, isUnlocked, requireIdentity } from '../keyring';
import { whenRandomReady } from '../random';
import { checkKey, LogCheckError, type LogProblem, verifyHead } from '../transparency';
import { type KeyChange, keyChangeOf } from './key-change';
import * as outbox from './outbox';
import { prepareKey } from './prepare';
import { rememberRemark } from './sent-record';

export { confirmLeftOut, tellQueued } from './confirm';
export type { KeyChange } from './key-change';
export { QueuedError } from './outbox';
export {
  acceptPendingKey,
  cancelPending,
  type DeliveryReport,
  listPending,
  pendingKeyChange,
} from './pending';
export { prepareKey } from './prepare';
export { deliverReadyOnce, showDeliveryReport } from './report';

import { isRegistered, maxExpiryDays, signIn } from '../session';

/** A recipient as the compose page holds it: typed name + phone, then what the server said. */
export interface RecipientDraft {
  name: string;
  phone: string;
  /**
   * `checking` while the lookup runs; `found` with the key; `missing` = no registered user has this
   * name and number: the letter waits for them (pending) until they register with it.
   */
  status: 'checking' | 'found' | 'missing' | 'error';
  user?: string;
  publicKey?: string;
  keyId?: string;
  /** The key against the contact book (`found` only); absent while the private key is locked. */
  trust?: TrustState;
  /** For `changed`: the pinned key, and whether it was verified in person. */
  pinnedKey?: string;
  wasVerified?: boolean;
  /** The key history the server served with the key (to tell a signed change from a reset). */
  keyHistory?: KeyHistory;
  /** Where the server says the key stands in the transparency log (checked again when sealing). */
  log?: KeyInclusion;
  /** Why the key failed the log check (`found` only); absent when it passed. */
  logProblem?: LogProblem;
}

/** The trust fields of a draft for `trust`. */
function trustFields(trust: KeyTrust): Pick<RecipientDraft, 'trust' | 'pinnedKey' | 'wasVerified'> {
  if (trust.state !== 'changed') return { trust: trust.state };
  return {
    trust: 'changed',
    pinnedKey: trust.contact?.publicKey,
    wasVerified: trust.contact?.verified === true,
  };
}

/** Checks a found recipient's key against the contact book (unchanged while locked). */
export async function checkRecipient(draft: RecipientDraft): Promise<RecipientDraft> {
  if (draft.status !== 'found' || !draft.user || !draft.publicKey || !isUnlocked()) return draft;
  return { ...draft, ...trustFields(await trustOf(draft.user, draft.publicKey)) };
}

/** The log check of a found key: undefined when it passed, else why not. Network errors propagate. */
async function logProblemOf(user: string, publicKey: string, log: KeyInclusion | undefined) {
  try {
    await checkKey(user, publicKey, log);
    return undefined;
  } catch (err) {
    if (err instanceof LogCheckError) return err.code;
    throw err;
  }
}

/**
 * Resolves one name + phone pair, and checks the key the server named against the transparency
 * log (its inclusion proof) and against the contact book.
 */
export async function resolveRecipient(name: string, phone: string): Promise<RecipientDraft> {
  const found = await api.lookupRecipient(name.trim(), phone.trim());
  if (!found) return { name: name.trim(), phone: phone.trim(), status: 'missing' };
  const logProblem = await logProblemOf(found.user, found.publicKey, found.log);
  return checkRecipient({
    name: found.name,
    phone: phone.trim(),
    status: 'found',
    user: found.user,
    publicKey: found.publicKey,
    keyId: found.keyId,
    keyHistory: found.keyHistory,
    ...(found.log ? { log: found.log } : {}),
    ...(logProblem ? { logProblem } : {}),
  });
}

/** What the key-change screen shows for a recipient whose key changed. */
export function recipientKeyChange(draft: RecipientDraft): KeyChange | null {
  if (draft.trust !== 'changed' || !draft.user || !draft.publicKey || !draft.pinnedKey) return null;
  return keyChangeOf(
    { user: draft.user, name: draft.name, publicKey: draft.publicKey, keyHistory: draft.keyHistory ?? [] },
    { publicKey: draft.pinnedKey, verified: draft.wasVerified === true },
  );
}

/** The expiry choices the compose page offers, in order (`CUSTOM` opens the date picker). */
export const EXPIRY_OPTIONS = [...EXPIRY_CHOICES, 'CUSTOM'] as const;
export type ExpiryOption = ExpiryChoice | 'CUSTOM';

/** `YYYY-MM-DD` of a local date. */
export function localDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The range the custom date picker allows: today up to the server's maximum, as `YYYY-MM-DD`. */
export function customDateRange(now: Date): { start: string; end: string } {
  return { start: localDate(now), end: localDate(new Date(now.getTime() + (maxExpiryDays() - 1) * DAY_MS)) };
}

/**
 * The `expiresAt` for a choice: a preset lifetime, null for permanent, or for a custom `YYYY-MM-DD`
 * the end of that local day — which must be in the future and within the server's maximum.
 * Returns `undefined` for a custom date out of range.
 */
export function expiryDate(option: ExpiryOption, now: Date, customDay?: string): Date | null | undefined {
  return expiresAtFor(option === 'CUSTOM' ? { day: customDay ?? '' } : option, now, maxExpiryDays());
}

export interface Draft {
  content: string;
  remark: string;
  recipients: RecipientDraft[];
  expiry: ExpiryOption;
  /** `YYYY-MM-DD` when `expiry` is CUSTOM. */
  customDay?: string;
  /** Opens per recipient (READ_LIMIT; 1 = burn after reading); null or absent = no limit. */
  maxOpens?: number | null;
}

export { READ_LIMIT };
/** The read limit choices compose offers, in order. */
export const READ_LIMIT_KEYS = Object.keys(READ_LIMIT) as ReadLimitKey[];
export type ReadLimitKey = keyof typeof READ_LIMIT;

/** Thrown by sealAndSend when a custom expiry date is out of range. */
export class ExpiryError extends Error {
  readonly code = 'invalid_expiry';
}

/** Thrown by sealAndSend when a recipient's key is not the pinned one and was not accepted. */
export class KeyChangedError extends Error {
  readonly code = 'key_changed';
  constructor(readonly user: string) {
    super(`the key of ${user} changed and was not accepted`);
    this.name = 'KeyChangedError';
  }
}

/** A sealed letter the server holds: its id, its QR URL and how long sealing took. */
export interface SentLetter {
  id: string;
  url: string;
  sealMs: number;
  expiresAt: string | null;
}

/**
 * Seals the draft on this device (the private key must be unlocked) and sends it through the
 * outbox: the sealed envelope is kept until the server holds it. Rejects with `QueuedError` when it
 * could not be sent yet (it is sent later, unchanged). Recipients not registered yet (`missing`)
 * go with it as pending entries, sealed to once they register (services/letters/pending.ts); those
 * whose lookup failed are left out, and the record keeps their names so the sender's screens say so.
 * The expiry is computed from the same instant as `createdAt`, so "1 week" is exactly 7 × 24 h.
 */
export async function sealAndSend(draft: Draft): Promise<SentLetter> {
  const sender = requireIdentity();
  await whenRandomReady();
  const started = Date.now();
  const now = new Date();
  const expiresAt = expiryDate(draft.expiry, now, draft.customDay);
  if (expiresAt === undefined) throw new ExpiryError('custom expiry out of range');
  const found = draft.recipients.filter(
    (r): r is RecipientDraft & { user: string; publicKey: string } =>
      r.status === 'found' && !!r.user && !!r.publicKey && r.user !== sender.user,
  );
  // Checked here again, against the book and the log, whatever the page last showed.
  for (const r of found) {
    if ((await trustOf(r.user, r.publicKey)).state === 'changed') throw new KeyChangedError(r.user);
  }
  // The letter carries the newest head the keys were checked against: every reader's phone checks
  // it against its own, so a server showing the sender another log than the readers is caught.
  let head: SignedTreeHead | null = null;
  for (const r of found) {
    try {
      const checked = await checkKey(r.user, r.publicKey, r.log);
      if (!head || checked.size > head.size) head = checked;
    } catch (err) {
      if (err instanceof LogCheckError) throw new LogCheckError(err.code, err.message, r.name);
      throw err;
    }
  }
  const recipients = found.map((r) => ({ user: r.user, publicKey: base64urlDecode(r.publicKey) }));
  // Rejects with KdfCancelledError when the page is left during a seal in the key worker: nothing
  // reaches the outbox then.
  const envelope = await sealLetter(
    {
      sender,
      recipients,
      content: draft.content,
      remark: draft.remark,
      expiresAt,
      head,
      maxOpens: draft.maxOpens ?? null,
    },
    now,
  );
  const sealMs = Date.now() - started;
  const pending = draft.recipients.filter((r) => r.status === 'missing');
  await outbox.send(
    sender.user,
    envelope,
    {
      id: envelope.id,
      to: found.map((r) => r.name),
      notSentTo: draft.recipients
        .filter((r) => r.status !== 'missing' && !found.includes(r as (typeof found)[number]))
        .map((r) => r.name),
      ...(pending.length ? { pendingFor: pending.map((r) => r.name) } : {}),
      remark: draft.remark,
      createdAt: envelope.createdAt,
      expiresAt: envelope.expiresAt,
    },
    pending.map((r) => ({ name: r.name, phone: r.phone })),
  );
  // First contacts are pinned once the letter is out; a failure here must not hide that it was sent.
  await pinAll(found.map((r) => ({ user: r.user, publicKey: r.publicKey }))).catch(() => {});
  return { id: envelope.id, url: letterUrl(envelope.id), sealMs, expiresAt: envelope.expiresAt };
}

/** The states the open page can be in: a closed letter's state (shared/api), or why else not. */
export type OpenState =
  | 'open'
  | 'key_changed'
  | 'locked'
  | 'unregistered'
  | 'not_for_you'
  | 'old_key'
  | ClosedEnvelopeState
  | 'opens_used'
  | 'removed'
  | 'wrap_purged'
  | 'limited'
  | 'tampered'
  | 'contacts'
  | LogProblem
  | 'network'
  | 'invalid_link'
  | 'error';

export interface OpenedLetter {
  id: string;
  content: string;
  remark: string;
  senderName: string;
  /** The sender's masked phone (empty when they have none), beside the name. */
  senderPhone: string;
  /** The sender's key fingerprint in groups of digits, to compare aloud. */
  senderFingerprint: string;
  /** The sender's key is pinned and was verified in person. */
  senderVerified: boolean;
  createdAt: string;
  expiresAt: string | null;
  /** True when the reader is the sender (the sent box reopening its own letter). */
  mine: boolean;
  opens: { name: string; at: string }[];
  /** A limited letter: its limit and the reader's opens left after this one; null without a limit. */
  limit: { maxOpens: number; opensLeft: number } | null;
}

export type OpenResult =
  | { state: 'open'; letter: OpenedLetter }
  | { state: 'key_changed'; change: KeyChange }
  /** A limited letter not fetched yet: fetching uses one of `opensLeft`, so the reader decides first. */
  | { state: 'limited'; maxOpens: number; opensLeft: number }
  | { state: Exclude<OpenState, 'open' | 'key_changed' | 'limited'> };

function stateOfError(err: unknown): Exclude<OpenState, 'open' | 'key_changed' | 'limited'> {
  if (api.isApiError(err)) {
    if (err.status === 0) return 'network';
    if (err.status === 404 || err.status === 403) return 'not_for_you';
    if (err.code === ERRORS.OpensUsed.code) return 'opens_used';
    if (err.code === ERRORS.Removed.code) return 'removed';
    if (err.status === 410) return closedStateOf(err.code) ?? ENVELOPE_STATE.EXPIRED;
    return 'error';
  }
  if (err instanceof ContactBookError) return 'contacts';
  if (err instanceof LogCheckError) return err.code;
  if (isMifengError(err, 'NotARecipient')) return 'not_for_you';
  // A version 3 letter whose server already deleted our wrap (opens used, or removed).
  if (isMifengError(err, 'WrapPurged')) return 'wrap_purged';
  if (err instanceof EarlierKeyLockedError) return 'old_key';
  if (isMifengError(err, 'Expired')) return ENVELOPE_STATE.EXPIRED;
  if (
    isMifengError(err, 'BadSignature') ||
    isMifengError(err, 'Tampered') ||
    isMifengError(err, 'Malformed')
  ) {
    return 'tampered';
  }
  if (isMifengError(err, 'UnsupportedVersion')) return 'tampered';
  return 'error';
}

/** The letter is sealed to an earlier key of ours that this unlock did not open. */
class EarlierKeyLockedError extends Error {
  readonly code = 'old_key';
}

/**
 * Which of our keys opens a letter: the current one, or the earlier key its entry for us names
 * (a letter sealed before a rotation). A letter with no entry for us is left to openEnvelope.
 */
function readerFor(envelope: EnvelopeJson, user: string) {
  const current = requireIdentity();
  const entry = envelope.recipients.find((r) => r.user === user);
  if (!entry || entry.key === keyId(current.publicKey)) return current;
  const earlier = earlierIdentity(entry.key);
  if (!earlier) throw new EarlierKeyLockedError(`sealed to key ${entry.key}`);
  return earlier;
}

/**
 * The checks of a letter's sender that need no envelope, run before the fetch (which, for a
 * limited letter, uses an open): the key against the contact book (a changed key stops here) and
 * against the transparency log. Answers the trust to open with, or why not.
 */
async function checkSender(
  sender: EnvelopeSender,
  mine: boolean,
): Promise<{ trust: KeyTrust | null } | Exclude<OpenResult, { state: 'open' }>> {
  const trust = mine ? null : await trustOf(sender.user, sender.publicKey);
  if (trust?.state === 'changed' && trust.contact) {
    return { state: 'key_changed', change: keyChangeOf(sender, trust.contact) };
  }
  // Only a key the log lists for the sender may vouch for a letter: nothing is fetched before.
  await checkKey(sender.user, sender.publicKey, sender.log);
  return { trust };
}

/** The fetch names the very sender and key that were checked before it. */
function sameSender(checked: EnvelopeSender, fetched: EnvelopeSender): boolean {
  return (
    checked.user === fetched.user &&
    checked.keyId === fetched.keyId &&
    checked.publicKey === fetched.publicKey
  );
}

/**
 * Fetches and opens a letter. Every fetch of a limited letter uses one of the reader's opens, so
 * everything that needs no envelope comes first, from its status (which uses none): its state and
 * the reader's opens left, then — while unlocked — its sender's key against the contact book (a
 * changed key stops here) and the transparency log. A limited letter then answers `limited` and is
 * fetched only when called again with `spendOpen`, and only while unlocked, so an open is never
 * spent on a phone that cannot decrypt nor on a sender it would refuse. The fetch must be the letter
 * asked for, signed in the name of the sender checked, under the key checked; then the signature is
 * verified, the key unwrapped with ours, the content decrypted, and a first-contact sender pinned.
 */
export async function openLetter(id: string, options: { spendOpen?: boolean } = {}): Promise<OpenResult> {
  let fetched: Awaited<ReturnType<typeof api.getEnvelope>>;
  let checked: { sender: EnvelopeSender; trust: KeyTrust | null } | null = null;
  try {
    await signIn();
    if (!isRegistered()) return { state: 'unregistered' };
    const status = await api.envelopeStatus(id);
    // Their own opens first: their last one may be what burned it.
    if (status.opensLeft === 0) return { state: 'opens_used' };
    if (status.state !== ENVELOPE_STATE.ACTIVE) return { state: status.state };
    const limited = status.maxOpens != null && status.opensLeft !== null;
    if (limited && !isUnlocked()) return { state: 'locked' };
    if (isUnlocked()) {
      // An active letter's status names its sender: a server that leaves it out is not believed.
      if (!status.sender) return { state: 'tampered' };
      const sender = status.sender;
      const outcome = await checkSender(sender, sender.user === requireIdentity().user);
      if ('state' in outcome) return outcome;
      checked = { sender, trust: outcome.trust };
    }
    if (limited && !options.spendOpen) {
      return { state: 'limited', maxOpens: status.maxOpens!, opensLeft: status.opensLeft! };
    }
    // The signature check needs a multiplication by the sender's key: made ready during the fetch.
    if (checked) prepareKey(checked.sender.publicKey);
    fetched = await api.getEnvelope(id);
  } catch (err) {
    return { state: stateOfError(err) };
  }
  if (fetched.envelope.id !== id || fetched.envelope.sender !== fetched.sender.user)
    return { state: 'tampered' };
  if (!isUnlocked() || !checked) return { state: 'locked' };
  // Another sender or key than the one checked before the fetch: nothing of it is believed.
  if (!sameSender(checked.sender, fetched.sender)) return { state: 'tampered' };
  const reader = requireIdentity();
  const mine = fetched.envelope.sender === reader.user;
  const { sender } = fetched;
  const { trust } = checked;
  try {
    const senderPublicKey = base64urlDecode(sender.publicKey);
    // The head the sender checked its recipients against (versions 2 and 3) must be this phone's log
    // too: a head that is not consistent with the one kept here proves the server forked the log.
    const letterHead = envelopeLogHead(fetched.envelope);
    if (letterHead) await verifyHead(letterHead);
    const { content, remark } = openEnvelope(fetched.envelope, {
      reader: readerFor(fetched.envelope, reader.user),
      senderPublicKey,
      now: new Date(),
    });
    if (trust?.state === 'new') await pinAll([sender]);
    if (!mine) rememberRemark(reader.user, id, remark);
    // Decrypted: only now is it "opened" for the sender (the fetch above was a delivery). Not
    // awaited, and a failure only leaves it "delivered"; opening it again confirms again.
    if (!mine) api.confirmOpened(id).catch(() => {});
    return {
      state: 'open',
      letter: {
        id,
        content,
        remark,
        senderName: sender.name,
        senderPhone: sender.phoneMasked ?? '',
        senderFingerprint: formatFingerprint(senderPublicKey),
        senderVerified: trust?.state === 'verified',
        createdAt: fetched.envelope.createdAt,
        expiresAt: fetched.envelope.expiresAt,
        mine,
        opens: (fetched.opens ?? []).map((o) => ({ name: o.name, at: o.at })),
        limit: limitOf(fetched, mine),
      },
    };
  } catch (err) {
    return { state: stateOfError(err) };
  }
}

/**
 * The read limit of a fetched letter as the reader's page treats it: the one the sender signed,
 * whatever the server says. A server that hands out a limited letter without counting (no `reads`,
 * or another limit) is taken at its worst: this was the last open.
 */
function limitOf(fetched: Awaited<ReturnType<typeof api.getEnvelope>>, mine: boolean): OpenedLetter['limit'] {
  const maxOpens = envelopeMaxOpens(fetched.envelope);
  if (mine || maxOpens === null) return null;
  const reads = fetched.reads;
  return { maxOpens, opensLeft: reads && reads.maxOpens === maxOpens ? reads.opensLeft : 0 };
}

/** The envelope id of a QR URL, accepted only in exactly the form `<publicUrl>/s/<id>`. */
export function idFromLetterUrl(url: string, publicUrl = config.publicUrl): string | null {
  return idFromUrlOf(url, publicUrl);
}

/** The QR URL of an envelope. */
export function letterUrl(id: string, publicUrl = config.publicUrl): string {
  return letterUrlOf(publicUrl, id);
}

/**
 * The envelope id a page was opened with: `id` (share card, lists) or `q` (WeChat's scan-a-link
 * rule hands over the scanned URL percent-encoded; decoded exactly once). Null when neither is valid.
 */
export function idFromQuery(query: Record<string, string | undefined>): string | null {
  if (query.id !== undefined) return EnvelopeIdSchema.safeParse(query.id).success ? query.id : null;
  if (query.q !== undefined) {
    let url: string;
    try {
      url = decodeURIComponent(query.q);
    } catch {
      return null;
    }
    return idFromLetterUrl(url);
  }
  return null;
}

/** One page of a box. */
export function listBox(
  box: Box,
  cursor?: string | null,
): Promise<{ items: EnvelopeSummary[]; nextCursor: string | null }> {
  return api.listEnvelopes(box, cursor);
}

/**
 * Removes a letter from my box: from the inbox at any time (it is never handed to me again), from
 * the sent box once revoked, expired or burned.
 */
export function removeLetter(id: string): Promise<void> {
  return api.removeEnvelope(id);
}

/** Revokes a letter I sent. */
export function revoke(id: string): Promise<void> {
  return api.revokeEnvelope(id);
}

/** A recipient of a letter I sent, and the time of what they did. */
export interface Reader {
  name: string;
  at: string;
}

/**
 * Who opened a letter I sent (their app confirmed it decrypted it), and who only received it (it was
 * handed to them; they may not have unlocked it), from `GET /envelopes/:id` as the sender.
 */
export async function readersOf(id: string): Promise<{ opened: Reader[]; delivered: Reader[] }> {
  const fetched = await api.getEnvelope(id);
  const readers = (list: { name: string; at: string }[] | undefined) =>
    (list ?? []).map((o) => ({ name: o.name, at: o.at }));
  return { opened: readers(fetched.opens), delivered: readers(fetched.deliveries) };
}
