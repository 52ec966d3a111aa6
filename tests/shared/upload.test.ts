/** The upload retry rules of shared/api (docs/operations.md, "How clients retry"), as pure decisions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ApiError,
  retryAfterSeconds,
  retryDelayMs,
  UploadConflictError,
  uploadEnvelope,
} from '../../shared/api';

const envelope = { id: 'AAAAAAAAAAAAAAAAAAAAAA', sig: 'MEUCIQ' };

describe('upload retries', () => {
  it('retries no answer, 502, 504 with a doubling backoff; 503/429 after Retry-After (capped)', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((n) => retryDelayMs(new ApiError('network', 0, 'x'), n)),
      [100, 200, 400, 800, 1000],
    );
    assert.equal(retryDelayMs(new ApiError('bad_response', 502, 'x'), 0), 100);
    assert.equal(retryDelayMs(new ApiError('bad_response', 504, 'x'), 1), 200);
    assert.equal(retryDelayMs(new ApiError('unavailable', 503, 'x', 5), 0), 5000);
    assert.equal(retryDelayMs(new ApiError('rate_limited', 429, 'x', 3600), 0), 10_000);
    assert.equal(retryDelayMs(new ApiError('unavailable', 503, 'x'), 2), 400, 'no Retry-After: backoff');
  });

  it('does not retry what sending again cannot fix', () => {
    for (const status of [400, 401, 403, 404, 409, 413, 415, 500]) {
      assert.equal(retryDelayMs(new ApiError('x' as never, status, 'x'), 0), null, String(status));
    }
    for (const code of ['quota_letters_per_day', 'quota_active_letters'] as const) {
      assert.equal(retryDelayMs(new ApiError(code, 429, 'x', 3600), 0), null, code);
    }
    assert.equal(retryDelayMs(new Error('not an API error'), 0), null);
  });

  it('reads Retry-After in seconds only', () => {
    assert.equal(retryAfterSeconds('5'), 5);
    assert.equal(retryAfterSeconds(' 12 '), 12);
    for (const bad of [undefined, null, '', '-1', '1.5', 'Wed, 21 Oct 2015 07:28:00 GMT', '9999999']) {
      assert.equal(retryAfterSeconds(bad), undefined, String(bad));
    }
  });

  it('a 409 counts as sent only when the stored envelope carries our signature', async () => {
    const conflict = () => Promise.reject(new ApiError('conflict', 409, 'exists'));
    const sleep = async () => {};
    assert.equal(
      await uploadEnvelope(envelope, { create: conflict, get: async () => ({ envelope }), sleep }),
      'stored earlier',
    );
    await assert.rejects(
      uploadEnvelope(envelope, {
        create: conflict,
        get: async () => ({ envelope: { sig: 'other' } }),
        sleep,
      }),
      UploadConflictError,
    );
  });

  it('sends the same envelope each time and gives up after the attempts, with the last error', async () => {
    const sent: unknown[] = [];
    const waits: number[] = [];
    await assert.rejects(
      uploadEnvelope(envelope, {
        create: async (e) => {
          sent.push(e);
          throw new ApiError('network', 0, 'offline');
        },
        get: async () => ({ envelope }),
        sleep: async (ms) => void waits.push(ms),
      }),
      (err: unknown) => err instanceof ApiError && err.status === 0,
    );
    assert.equal(sent.length, 5);
    assert.ok(sent.every((e) => e === envelope));
    assert.deepEqual(waits, [100, 200, 400, 800]);
  });
});
