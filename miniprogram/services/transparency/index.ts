/**
 * The phone's checks of the key transparency log (docs/transparency.md §Client checks): every
 * tree head is verified with the log key built into this mini program (following the log's key
 * rotations from it) and against the newest head this phone kept, by a consistency proof; every
 * key it seals to or verifies a letter with must come with an inclusion proof against such a head;
 * and at launch the log's newest key event for the own user must be one the user made.
 *
 * Two validly signed heads that fail a consistency proof are proof that the server shows a forked
 * log. The pair is kept as evidence and every later check fails with `log_forked`: the phone never
 * quietly moves on to the server's other story.
 */
import { config } from '../../config';
import {
  base64urlDecode,
  checkHeadConsistency,
  checkKeyInclusion,
  followLogKeyRotations,
  type KeyInclusion,
  keyId,
  type LogEntry,
  type SignedTreeHead,
  unexplainedOwnKey,
  verifyTreeHead,
} from '../../lib';
import * as api from '../api';
import { PAGES } from '../nav';
import { hasStoredSession, isRegistered, signIn } from '../session';
import { readStorage, removeStorage, writeStorage } from '../wxp';

/** Local storage keys. The log is one for everybody, so its head is kept per phone, not per user. */
const STORAGE = {
  HEAD: 'mifeng.logHead',
  FORK: 'mifeng.logFork',
  ownKeys: (user: string) => `mifeng.ownKeys.${user}`,
  alarm: (user: string) => `mifeng.keyAlarm.${user}`,
  checked: (user: string) => `mifeng.keyChecked.${user}`,
} as const;

export type LogProblem = 'not_in_log' | 'log_forked' | 'log_bad_head';

/**
 * A check of the log failed. `not_in_log`: the key has no valid inclusion proof (the server did
 * not publish it, or lied about where it is). `log_forked`: two heads signed by the log disagree
 * about its past. `log_bad_head`: a head not signed by the log key this phone trusts.
 */
export class LogCheckError extends Error {
  constructor(
    readonly code: LogProblem,
    message: string,
    /** Whose key it was about (a name to show), when that matters to the message. */
    readonly subject = '',
  ) {
    super(message);
    this.name = 'LogCheckError';
  }
}

/** Two heads that cannot both be the log: the evidence of a fork. */
export interface ForkEvidence {
  kept: SignedTreeHead;
  other: SignedTreeHead;
}

/** The log key heads are verified with: the built-in one until a head names a later one. */
let logKey: Uint8Array | null = null;
/** Heads verified (signature and consistency with the kept one) during this run, by size and root. */
const verified = new Set<string>();

/**
 * Heads whose signature this run checked, by their exact JSON: every key of one lookup is proven
 * against the same head, and its signature is the costly part (an SM2 verification each).
 */
const signatureChecked = new Map<string, SignedTreeHead>();

const headId = (head: SignedTreeHead) => `${head.size}:${head.root}`;

/** The fork this phone has evidence of, if any. */
export function forkEvidence(): ForkEvidence | null {
  return readStorage<ForkEvidence>(STORAGE.FORK);
}

/** The newest head this phone verified (null before the first). */
export function keptHead(): SignedTreeHead | null {
  return readStorage<SignedTreeHead>(STORAGE.HEAD);
}

/** The log key `head` names: the built-in key, or one it handed over to by a chain of rotations. */
async function keyFor(head: { key?: unknown }): Promise<Uint8Array> {
  const built = base64urlDecode(config.logKey);
  if (!logKey) logKey = built;
  if (head.key === keyId(logKey)) return logKey;
  if (head.key === keyId(built)) return built;
  // The server offers the rotations; only a chain signed link by link from the built-in key counts.
  const { rotations } = await api.getLogKey();
  try {
    logKey = followLogKeyRotations(built, rotations);
  } catch {
    throw new LogCheckError('log_bad_head', 'the log key rotations do not start at the built-in key');
  }
  return logKey;
}

/**
 * Verifies `value` as a signed head of the log this phone follows: its signature, then its
 * consistency with the kept head (fetching the proof). Keeps it when it is newer. A smaller head
 * (the one a lookup or a letter was proven against) is checked the same way and not kept.
 */
export async function verifyHead(value: unknown): Promise<SignedTreeHead> {
  if (forkEvidence()) throw new LogCheckError('log_forked', 'this phone holds proof of a forked log');
  const text = JSON.stringify(value);
  let head = signatureChecked.get(text);
  if (!head) {
    try {
      head = verifyTreeHead(await keyFor((value ?? {}) as { key?: unknown }), value);
    } catch (err) {
      if (err instanceof LogCheckError) throw err;
      throw new LogCheckError('log_bad_head', `the head is not signed by the log: ${(err as Error).message}`);
    }
    signatureChecked.set(text, head);
  }
  if (verified.has(headId(head))) return head;
  const kept = keptHead();
  if (kept && !(kept.size === head.size && kept.root === head.root)) {
    const [first, second] = kept.size <= head.size ? [kept, head] : [head, kept];
    const proof =
      first.size === second.size || first.size === 0
        ? []
        : await api.getLogConsistency(first.size, second.size);
    if (!proof || !checkHeadConsistency(kept, head, proof)) {
      writeStorage(STORAGE.FORK, { kept, other: head } satisfies ForkEvidence);
      throw new LogCheckError('log_forked', `heads of ${kept.size} and ${head.size} leaves disagree`);
    }
  }
  if (!kept || head.size > kept.size) writeStorage(STORAGE.HEAD, head);
  verified.add(headId(head));
  return head;
}

/**
 * Checks that `publicKey` is `user`'s key in the log: `log` (from a lookup, a user's key or a
 * letter) must prove its leaf against a verified head. Throws `LogCheckError` otherwise.
 */
export async function checkKey(
  user: string,
  publicKey: string,
  log: KeyInclusion | undefined,
): Promise<SignedTreeHead> {
  if (!log) throw new LogCheckError('not_in_log', `the key of ${user} comes without a place in the log`);
  const head = await verifyHead(log.head);
  if (!checkKeyInclusion(head, log, { user, publicKey }))
    throw new LogCheckError('not_in_log', `the inclusion proof of ${user}'s key does not verify`);
  return head;
}

/** Records that this phone holds the private key of `publicKey` (made here, or unlocked here). */
export function rememberOwnKey(user: string, publicKey: Uint8Array): void {
  const known = readStorage<string[]>(STORAGE.ownKeys(user)) ?? [];
  const id = keyId(publicKey);
  if (!known.includes(id)) writeStorage(STORAGE.ownKeys(user), [...known, id]);
  // Holding the key the alarm was about settles it: it was the user's own doing after all.
  const alarm = ownKeyAlarm(user);
  if (alarm && alarm.leaf.keyId === id) removeStorage(STORAGE.alarm(user));
}

/** The key event published in `user`'s name that the user did not make, as last found here. */
export function ownKeyAlarm(user: string): LogEntry | null {
  return readStorage<LogEntry>(STORAGE.alarm(user));
}

/**
 * Reads the log's newest key event for `user` (proven by an inclusion proof against a verified
 * head) and the events before it, and decides whether the user made each one since the last check:
 * it names a key this phone holds or held, or is reached from one by signed changes. Answers the foreign event (also
 * kept for the alarm page), or null when all is well or this phone knows no key of the user yet
 * (a new phone learns its key when it is first unlocked).
 */
export async function checkOwnKey(user: string): Promise<LogEntry | null> {
  const own = new Set(readStorage<string[]>(STORAGE.ownKeys(user)) ?? []);
  if (own.size === 0) return null;
  const current = await api.getUserKey(user);
  const [events] = await Promise.all([
    api.getLogEvents(user),
    // The newest event must be proven, or the server could simply leave the foreign one out here.
    checkKey(user, current.publicKey, current.log),
  ]);
  const newest = current.log!;
  // The proven event in its place; any later one the server lists counts too.
  const byIndex = new Map(events.map((e) => [e.index, e]));
  byIndex.set(newest.index, { index: newest.index, leaf: newest.leaf });
  const history = [...byIndex.values()].sort((x, y) => x.index - y.index);
  // Every event since the last check must be the user's, not only the newest: a key published and
  // then replaced by the user's own again was still published. Events before the first one that
  // names a key this phone holds are from before its time (an earlier phone) and are not judged.
  const firstOwn = history.find((e) => own.has(e.leaf.keyId))?.index ?? Number.POSITIVE_INFINITY;
  const checked = readStorage<number>(STORAGE.checked(user)) ?? -1;
  let foreign: LogEntry | null = null;
  for (let i = 0; i < history.length && !foreign; i++) {
    const { index } = history[i]!;
    if (index > checked && index >= firstOwn) foreign = unexplainedOwnKey(user, history.slice(0, i + 1), own);
  }
  if (!foreign) foreign = unexplainedOwnKey(user, history, own);
  if (foreign) {
    writeStorage(STORAGE.alarm(user), foreign);
  } else {
    removeStorage(STORAGE.alarm(user));
    writeStorage(STORAGE.checked(user), newest.index);
  }
  return foreign;
}

/**
 * App launch: when this phone is signed in to a registered account, checks the own key in the log
 * and opens the alarm page if the log lists a key the user did not make. Quiet when offline or
 * signed out (checked again at the next launch); a forked log found on the way is kept as evidence.
 */
export async function checkOwnKeyAtLaunch(): Promise<void> {
  if (!hasStoredSession()) return;
  try {
    const profile = await signIn();
    if (!isRegistered()) return;
    const foreign = await checkOwnKey(profile.user.id);
    if (foreign) wx.reLaunch({ url: PAGES.ALARM });
  } catch (err) {
    if (err instanceof LogCheckError && err.code === 'log_forked') wx.reLaunch({ url: PAGES.ALARM });
  }
}
