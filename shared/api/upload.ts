/**
 * Uploading a sealed envelope so that nothing is lost and nothing is stored twice: the client side
 * of docs/operations.md, "How clients retry". The envelope's id is chosen by the sender inside the
 * signed envelope, so the same sealed envelope can be sent again and again:
 *
 * - no answer, 502 or 504: send it again after a short backoff;
 * - 503 or 429 `rate_limited`: wait for the `Retry-After` the server gave (capped), then send it
 *   again (a quota's 429 is not retried: the same letter stays over the quota);
 * - 409: an earlier attempt was stored. Confirmed with a `GET` that the stored envelope carries our
 *   signature, it counts as sent;
 * - any other answer: the request is wrong; not retried.
 *
 * Platform-free: the caller passes its API calls and its timer, so the mini program (wx.request) and
 * Node clients (fetch) run the same algorithm.
 */
import { ERRORS } from '../errors';
import { ApiError, isApiError } from './contract';

/** Attempts per `uploadEnvelope` call before giving up for now (the caller may keep it to retry later). */
export const UPLOAD_ATTEMPTS = 5;
/** First backoff after no answer / 502 / 504; doubled per attempt up to `BACKOFF_MAX_MS`. */
export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_MAX_MS = 1000;
/** The longest Retry-After honoured within one call; a longer wait is the caller's to schedule. */
export const RETRY_AFTER_MAX_MS = 10_000;

/**
 * How long to wait before attempt `attempt + 1` after `err` failed attempt `attempt` (0-based), or
 * null when `err` will not get better by sending the same request again.
 */
export function retryDelayMs(err: unknown, attempt: number): number | null {
  if (!isApiError(err)) return null;
  const backoff = Math.min(BACKOFF_FIRST_MS * 2 ** attempt, BACKOFF_MAX_MS);
  if (err.status === 503 || (err.status === 429 && err.code === ERRORS.RateLimited.code)) {
    return err.retryAfter === undefined ? backoff : Math.min(err.retryAfter * 1000, RETRY_AFTER_MAX_MS);
  }
  if (err.status === 0 || err.status === 502 || err.status === 504) return backoff;
  return null;
}

/** The envelope fields the upload reads. */
export interface UploadableEnvelope {
  id: string;
  sig: string;
}

export interface UploadCalls<E extends UploadableEnvelope> {
  /** `POST /envelopes`; resolves on 201, rejects with an ApiError otherwise. */
  create(envelope: E): Promise<unknown>;
  /** `GET /envelopes/:id` as the sender; resolves with the stored envelope. */
  get(id: string): Promise<{ envelope: { sig: string } }>;
  sleep(ms: number): Promise<void>;
  /** Attempts before giving up (default `UPLOAD_ATTEMPTS`). */
  attempts?: number;
}

/** Thrown when a 409's stored envelope is not ours: an id collision, never a success. */
export class UploadConflictError extends ApiError {
  constructor(id: string) {
    super('conflict', 409, `envelope ${id} is stored with another signature`);
  }
}

/**
 * Uploads `envelope`, retrying as above. Resolves once the server holds it (`stored`: this call
 * stored it, or an earlier attempt had). Rejects with the last error when it is not retryable or
 * the attempts ran out; the envelope may then still be sent again later, unchanged.
 */
export async function uploadEnvelope<E extends UploadableEnvelope>(
  envelope: E,
  calls: UploadCalls<E>,
): Promise<'stored' | 'stored earlier'> {
  const attempts = calls.attempts ?? UPLOAD_ATTEMPTS;
  for (let attempt = 0; ; attempt++) {
    try {
      await calls.create(envelope);
      return 'stored';
    } catch (err) {
      if (isApiError(err, 409)) {
        const stored = await calls.get(envelope.id);
        if (stored.envelope.sig === envelope.sig) return 'stored earlier';
        throw new UploadConflictError(envelope.id);
      }
      const delay = retryDelayMs(err, attempt);
      if (delay === null || attempt + 1 >= attempts) throw err;
      await calls.sleep(delay);
    }
  }
}
