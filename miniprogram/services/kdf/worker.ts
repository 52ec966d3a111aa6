/**
 * Running a job in the key worker (workers/kdf), created with `wx.createWorker(…,
 * {useExperimentalWorker: true})`, which iOS runs several times faster than a normal worker. When
 * there is no worker API (old base library, some hosts), creating one fails, iOS reclaims the
 * worker (`onProcessKilled`), or the worker ran out of the random bytes it was given, the job's
 * fallback runs on the logic thread instead: slower to the eye, same result.
 *
 * WeChat allows one worker at a time; each job creates it and terminates it when done, so nothing
 * stays resident. `cancelKdf()` (a page being left) terminates a running job.
 */
import { type ErrorName, MifengError } from '../../lib';
import type { KdfPhase, KdfReply, KdfRequest } from '../../workers/kdf/messages';
import { pause } from '../wxp';
import { RandomExhaustedError } from './stream';

/** The worker's entry, relative to the package root (app.json `workers` is "workers"). */
const KDF_WORKER_PATH = 'workers/kdf/index.js';

export type { KdfPhase };

/** Called as each part of the work starts (in the worker, or on the logic thread after a fallback). */
export type KdfProgress = (phase: KdfPhase) => void;

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

/** A fresh id for a request, which its replies carry. */
export function requestId(): number {
  return nextId++;
}

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
      if (reply.type === 'error' && reply.name === RandomExhaustedError.NAME) {
        reject(new WorkerLostError(reply.message));
        return;
      }
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
 * when the worker is lost or ran out of the random bytes drawn for it.
 */
export async function run<T, K extends KdfReply['type']>(
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
  'TooLarge',
]);
