/**
 * PBKDF2 off the logic thread. Sealing and opening the key backup (PBKDF2-HMAC-SM3, seconds on iOS)
 * run in the key worker (workers/kdf) created with `wx.createWorker(…, {useExperimentalWorker:
 * true})`, which iOS runs several times faster than a normal worker; the page stays responsive and
 * its CSS-animated progress keeps moving. When there is no worker API (old base library, some
 * hosts), creating one fails, or iOS reclaims the worker (`onProcessKilled`), the same work runs on
 * the logic thread instead: slower to the eye, same result.
 *
 * WeChat allows one worker at a time; each job creates it and terminates it when done, so nothing
 * stays resident. `cancelKdf()` (a page being left) terminates a running job.
 */
import {
  base64urlDecode,
  base64urlEncode,
  type ErrorName,
  generateIdentity,
  type Identity,
  IV_LENGTH,
  type KeyBackupJson,
  MifengError,
  PRIVATE_KEY_LENGTH,
  randomBytes,
  SALT_LENGTH,
  sealKeyBackup,
  unlockKeyBackup,
} from '../../lib';
import type { KdfPhase, KdfReply, KdfRequest } from '../../workers/kdf/messages';
import { whenRandomReady } from '../random';
import { pause } from '../wxp';
import { randomFromBytes } from './stream';

/** The worker's entry, relative to the package root (app.json `workers` is "workers"). */
export const KDF_WORKER_PATH = 'workers/kdf/index.js';

export type { KdfPhase };

/** Called as each part of the work starts (in the worker, or on the logic thread after a fallback). */
export type KdfProgress = (phase: KdfPhase) => void;

/**
 * Random bytes for a key pair: two 32-byte draws, because the rejection sampling of the private
 * scalar needs a second one about once in 2^32 key pairs.
 */
const KEYGEN_RANDOM_LENGTH = 2 * PRIVATE_KEY_LENGTH;

/** The running job was cancelled (its page was left). */
export class KdfCancelledError extends Error {
  readonly code = 'cancelled';
  constructor() {
    super('The key operation was cancelled');
    this.name = 'KdfCancelledError';
  }
}

/** Why the worker could not do the job: the logic thread does it instead. */
class WorkerLostError extends Error {}

interface Job {
  worker: WechatMiniprogram.Worker;
  reject(err: Error): void;
}

let running: Job | null = null;
let nextId = 1;

/** Terminates the running job, if any; its promise rejects with KdfCancelledError. */
export function cancelKdf(): void {
  const job = running;
  if (!job) return;
  running = null;
  job.worker.terminate();
  job.reject(new KdfCancelledError());
}

function inWorker(request: KdfRequest, onProgress: KdfProgress): Promise<KdfReply> {
  return new Promise<KdfReply>((resolve, reject) => {
    if (typeof wx.createWorker !== 'function') {
      reject(new WorkerLostError('no wx.createWorker'));
      return;
    }
    cancelKdf();
    let worker: WechatMiniprogram.Worker;
    try {
      worker = wx.createWorker(KDF_WORKER_PATH, { useExperimentalWorker: true });
    } catch (err) {
      reject(new WorkerLostError(String(err)));
      return;
    }
    const job: Job = { worker, reject };
    running = job;
    const finish = () => {
      if (running === job) running = null;
      worker.terminate();
    };
    worker.onMessage((message) => {
      const reply = message as unknown as KdfReply;
      if (running !== job || reply.id !== request.id) return;
      if (reply.type === 'progress') {
        onProgress(reply.phase);
        return;
      }
      finish();
      resolve(reply);
    });
    // onProcessKilled exists for experimental workers only (base library 2.13+).
    if (typeof worker.onProcessKilled === 'function') {
      worker.onProcessKilled(() => {
        if (running !== job) return;
        finish();
        reject(new WorkerLostError('the worker was reclaimed'));
      });
    }
    worker.postMessage(request as unknown as WechatMiniprogram.IAnyObject);
  });
}

/**
 * Runs `request` in the worker, expecting an `expected` reply, or `fallback` on the logic thread
 * when the worker is lost.
 */
async function run<T, K extends KdfReply['type']>(
  request: KdfRequest,
  expected: K,
  onProgress: KdfProgress,
  fromReply: (reply: Extract<KdfReply, { type: K }>) => T,
  fallback: () => T,
): Promise<T> {
  let reply: KdfReply;
  try {
    reply = await inWorker(request, onProgress);
  } catch (err) {
    if (!(err instanceof WorkerLostError)) throw err;
    onProgress('kdf');
    // Let the progress state paint before the logic thread is busy for seconds.
    await pause();
    return fallback();
  }
  if (reply.type === 'error') {
    throw ERROR_NAMES.has(reply.name) ? new MifengError(reply.name as ErrorName) : new Error(reply.message);
  }
  if (reply.type !== expected) throw new Error(`key worker: ${reply.type} instead of ${expected}`);
  return fromReply(reply as Extract<KdfReply, { type: K }>);
}

/** Worker errors that come back as the registry's MifengError (the rest as plain Errors). */
const ERROR_NAMES: ReadonlySet<string> = new Set<ErrorName>([
  'WrongMasterKey',
  'Malformed',
  'UnsupportedVersion',
]);

/**
 * Makes `user` a new key pair and seals it under `masterKey` (PBKDF2 with `iterations`):
 * registration. Resolves to the identity and its backup.
 */
export async function createKeys(
  user: string,
  masterKey: string,
  iterations: number,
  onProgress: KdfProgress = () => {},
): Promise<{ identity: Identity; backup: KeyBackupJson }> {
  await whenRandomReady();
  const random = randomBytes(KEYGEN_RANDOM_LENGTH + SALT_LENGTH + IV_LENGTH);
  const request: KdfRequest = {
    id: nextId++,
    op: 'create',
    masterKey,
    iterations,
    random: base64urlEncode(random),
  };
  return run(
    request,
    'created',
    onProgress,
    (reply) => {
      const privateKey = base64urlDecode(reply.privateKey);
      const publicKey = base64urlDecode(reply.publicKey);
      return { identity: { user, privateKey, publicKey }, backup: reply.backup };
    },
    () => {
      // The same draws as the worker: the key pair's, then salt and IV.
      const source = randomFromBytes(random);
      const identity = generateIdentity(user, source);
      const backup = sealKeyBackup(identity, masterKey, { iterations, random: source }) as KeyBackupJson;
      return { identity, backup };
    },
  ).finally(() => random.fill(0));
}

/** Seals the private key under `masterKey` (PBKDF2 with `iterations`) into a key backup. */
export async function sealBackup(
  identity: { privateKey: Uint8Array; publicKey: Uint8Array },
  masterKey: string,
  iterations: number,
  onProgress: KdfProgress = () => {},
): Promise<KeyBackupJson> {
  await whenRandomReady();
  // The worker has no wx.getRandomValues: it gets the salt and IV bytes from this thread's pool.
  const random = randomBytes(SALT_LENGTH + IV_LENGTH);
  const request: KdfRequest = {
    id: nextId++,
    op: 'seal',
    privateKey: base64urlEncode(identity.privateKey),
    publicKey: base64urlEncode(identity.publicKey),
    masterKey,
    iterations,
    random: base64urlEncode(random),
  };
  return run(
    request,
    'sealed',
    onProgress,
    (reply) => reply.backup,
    () =>
      sealKeyBackup({ user: '', ...identity }, masterKey, {
        iterations,
        random: randomFromBytes(random),
      }) as KeyBackupJson,
  ).finally(() => random.fill(0));
}

/** Opens `backup` with `masterKey`; rejects with MifengError('WrongMasterKey') for a wrong key. */
export function openBackup(
  backup: KeyBackupJson,
  publicKey: Uint8Array,
  masterKey: string,
  onProgress: KdfProgress = () => {},
): Promise<Uint8Array> {
  const request: KdfRequest = {
    id: nextId++,
    op: 'unlock',
    backup,
    publicKey: base64urlEncode(publicKey),
    masterKey,
  };
  return run(
    request,
    'unlocked',
    onProgress,
    (reply) => base64urlDecode(reply.privateKey),
    () => unlockKeyBackup(backup, publicKey, masterKey),
  );
}
