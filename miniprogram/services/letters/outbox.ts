/**
 * Letters being sent. A sealed envelope is written here before its first upload and removed only
 * once the server holds it, so leaving the page, losing the network or closing WeChat loses
 * nothing: the next launch (and the sent page) sends what is left — the same sealed envelope,
 * never sealed again under a new id. The upload itself retries as shared/api's `uploadEnvelope`
 * does (the same envelope again on no answer, 502/503/504 or Retry-After; 409 confirmed by a GET).
 */
import { type EnvelopeJson, isApiError, type PendingInput, retryDelayMs, uploadEnvelope } from '../../lib';
import * as api from '../api';
import { signIn } from '../session';
import { readStorage, writeStorage } from '../wxp';
import { rememberSent, type SentRecord } from './sent-record';

const OUTBOX_KEY = 'mifeng.outbox';

export interface OutboxEntry {
  /** The account that sealed it (the phone may be signed in as someone else later). */
  user: string;
  envelope: EnvelopeJson;
  /** People not registered yet the letter waits for (stored with it, in the same upload). */
  pending?: PendingInput[];
  record: SentRecord;
  /** The error code of a refusal that sending again cannot fix (kept to show, until removed). */
  refused?: string;
}

/** Thrown by `send` when the server did not take the letter yet: it stays queued and is sent later. */
export class QueuedError extends Error {
  readonly code = 'outbox_queued';
  /** Why it did not go now (no answer, 503, …). */
  readonly reason: unknown;
  constructor(reason: unknown) {
    super('the letter is kept and will be sent later');
    this.reason = reason;
  }
}

function entries(): OutboxEntry[] {
  return readStorage<OutboxEntry[]>(OUTBOX_KEY) ?? [];
}

function save(list: OutboxEntry[]): void {
  writeStorage(OUTBOX_KEY, list);
}

function update(id: string, change: (entry: OutboxEntry) => OutboxEntry | null): void {
  const list: OutboxEntry[] = [];
  for (const entry of entries()) {
    if (entry.envelope.id !== id) list.push(entry);
    else {
      const next = change(entry);
      if (next) list.push(next);
    }
  }
  save(list);
}

/** The letters of `user` still waiting to be sent (or refused), oldest first. */
export function queuedFor(user: string): OutboxEntry[] {
  return entries().filter((e) => e.user === user);
}

/** True when any account on this phone has letters waiting. */
export function hasQueued(): boolean {
  return entries().some((e) => !e.refused);
}

/** Forgets a refused letter (the person read why and removed it). */
export function discard(id: string): void {
  update(id, () => null);
}

const sending = new Map<string, Promise<void>>();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function upload(entry: OutboxEntry): Promise<void> {
  try {
    await uploadEnvelope(entry.envelope, {
      create: (envelope) => api.createEnvelope(envelope, entry.pending),
      get: (id) => api.getEnvelope(id),
      sleep,
    });
  } catch (err) {
    if (retryDelayMs(err, 0) !== null) throw new QueuedError(err);
    update(entry.envelope.id, (e) => ({ ...e, refused: isApiError(err) ? err.code : 'error' }));
    throw err;
  }
  update(entry.envelope.id, () => null);
  rememberSent(entry.user, entry.record);
}

/** Sends one queued letter; concurrent callers for the same letter share the attempt. */
function sendEntry(entry: OutboxEntry): Promise<void> {
  const id = entry.envelope.id;
  let running = sending.get(id);
  if (!running) {
    running = upload(entry).finally(() => sending.delete(id));
    sending.set(id, running);
  }
  return running;
}

/**
 * Queues a freshly sealed letter and sends it. Resolves once the server holds it; rejects with
 * `QueuedError` when it could not be sent yet (it stays queued), or with the server's refusal
 * (then it is not queued: the draft is still on the page to change).
 */
export async function send(
  user: string,
  envelope: EnvelopeJson,
  record: SentRecord,
  pending: PendingInput[] = [],
): Promise<void> {
  const entry: OutboxEntry = { user, envelope, record, ...(pending.length ? { pending } : {}) };
  save([...entries(), entry]);
  try {
    await sendEntry(entry);
  } catch (err) {
    if (!(err instanceof QueuedError)) discard(envelope.id);
    throw err;
  }
}

/**
 * Sends every letter `user` left queued (app launch, the sent page). Resolves with how many were
 * sent now; letters that still cannot go stay queued, refused ones are marked.
 */
export async function flush(user: string): Promise<number> {
  let sent = 0;
  for (const entry of queuedFor(user)) {
    if (entry.refused) continue;
    try {
      await sendEntry(entry);
      sent++;
    } catch {
      // Kept (or marked refused) by upload(); the others still get their turn.
    }
  }
  return sent;
}

/**
 * At launch: when letters are waiting, signs in and sends those of the signed-in account. Never
 * throws (no network at launch is normal; they wait for the next chance).
 */
export async function flushAtLaunch(): Promise<void> {
  if (!hasQueued()) return;
  try {
    const me = await signIn();
    await flush(me.user.id);
  } catch {
    // Still queued.
  }
}
