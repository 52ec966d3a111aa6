/** The one error handler (server/errors.ts + app.ts): every failure becomes `{error: {code, message}}`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorReply } from '../../../server/errors';
import { MifengError } from '../../../shared/errors';

describe('errorReply()', () => {
  it('answers MifengErrors with their own status and code', () => {
    assert.deepEqual(errorReply(new MifengError('Conflict')), {
      status: 409,
      code: 'conflict',
      message: 'The resource already exists',
      internal: false,
    });
    assert.equal(errorReply(new MifengError('WeChatBusy')).retryAfter, 5);
  });

  it('maps Fastify and JWT errors', () => {
    const fst = (code: string, statusCode: number) => Object.assign(new Error('x'), { code, statusCode });
    assert.equal(errorReply(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413)).code, 'payload_too_large');
    assert.equal(errorReply(fst('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).code, 'unsupported_media_type');
    assert.equal(errorReply(fst('FST_ERR_CTP_INVALID_JSON_BODY', 400)).code, 'malformed_json');
    assert.equal(errorReply(fst('FST_JWT_AUTHORIZATION_TOKEN_EXPIRED', 401)).code, 'unauthorized');
    assert.equal(errorReply(fst('FAST_JWT_INVALID_ALGORITHM', 500)).status, 401);
    assert.equal(
      errorReply(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })).code,
      'malformed_json',
    );
  });

  it('names the field of a validation failure', () => {
    const err = Object.assign(new Error('x'), {
      validationContext: 'body',
      validation: [{ instancePath: '/recipients/0/phone', message: 'phone is too short' }],
    });
    assert.deepEqual(errorReply(err), {
      status: 400,
      code: 'validation_failed',
      message: 'body/recipients/0/phone: phone is too short',
      internal: false,
    });
  });

  it('hides the details of anything unexpected behind 500 internal', () => {
    const reply = errorReply(new TypeError('secret detail at /srv/app.ts:12'));
    assert.deepEqual(reply, {
      status: 500,
      code: 'internal',
      message: 'Internal server error',
      internal: true,
    });
    assert.equal(errorReply('a string').code, 'internal');
    assert.equal(errorReply(null).code, 'internal');
  });

  it('answers database outages with 503 and Retry-After', () => {
    const reply = errorReply(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    );
    assert.equal(reply.status, 503);
    assert.equal(reply.code, 'unavailable');
    assert.equal(reply.retryAfter, 5);
  });
});
