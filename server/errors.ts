/**
 * Maps any error thrown while handling a request to the API's error answer
 * `{"error": {"code", "message"}}` (docs/api.md §Errors). Used by the one `setErrorHandler` in app.ts.
 *
 * - `MifengError`s (shared/errors.ts) answer with their own status, code and message.
 * - Fastify's own errors (body too large, wrong content type, bad JSON, schema validation) and
 *   @fastify/jwt's become the matching registry entry; validation names the field
 *   (`body/recipients/0/user: …`).
 * - Database outages answer 503 `unavailable` (with Retry-After).
 * - Anything else is a 500 `internal` whose details stay in the log, never in the answer.
 */
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorResponse } from '../shared/api/common';
import { ERRORS, type ErrorCode, type ErrorName, isMifengError } from '../shared/errors';

export interface ErrorReply {
  status: number;
  code: ErrorCode;
  message: string;
  /** Seconds, for 429 and 503 answers. */
  retryAfter?: number;
  /** Whether this is a server-side failure worth logging with its stack. */
  internal: boolean;
}

function reply(name: ErrorName, message?: string, retryAfter?: number): ErrorReply {
  const entry = ERRORS[name];
  return {
    status: entry.status,
    code: entry.code,
    message: message ?? entry.message,
    internal: false,
    ...(retryAfter === undefined ? {} : { retryAfter }),
  };
}

/**
 * The body of every error answer, `{"error": {"code", "message"}}`: from an `ErrorReply`, or from a
 * registry entry and an optional message (the entry's own by default).
 */
export function errorBody(answer: ErrorReply | ErrorName, message?: string): ErrorResponse {
  const { code, message: text } = typeof answer === 'string' ? reply(answer, message) : answer;
  return { error: { code, message: text } };
}

interface ErrorLike {
  code?: unknown;
  statusCode?: unknown;
  name?: unknown;
  message?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

/** Error codes that mean the database (or its pool) cannot be reached right now. */
const DB_UNAVAILABLE = new Set([
  'P1001', // can't reach database server
  'P1002', // database server timed out
  'P1008', // operation timed out
  'P1017', // server closed the connection
  'P2024', // timed out fetching a connection from the pool
  'P2028', // interactive transaction could not start or finish in time
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
]);

function isDatabaseUnavailable(err: ErrorLike): boolean {
  if (typeof err.code === 'string' && DB_UNAVAILABLE.has(err.code)) return true;
  const cause = (err as { cause?: ErrorLike }).cause;
  if (
    cause &&
    typeof cause === 'object' &&
    typeof cause.code === 'string' &&
    DB_UNAVAILABLE.has(cause.code)
  ) {
    return true;
  }
  const message = typeof err.message === 'string' ? err.message : '';
  return /Connection terminated|connection (is )?closed|ECONNREFUSED|Can't reach database server/i.test(
    message,
  );
}

function validationMessage(err: ErrorLike): string {
  const context = typeof err.validationContext === 'string' ? err.validationContext : 'request';
  if (hasZodFastifySchemaValidationErrors(err)) {
    const first = err.validation[0]!;
    const path = first.instancePath === '/' ? '' : first.instancePath;
    return `${context}${path}: ${first.message}`;
  }
  const first = Array.isArray(err.validation)
    ? (err.validation[0] as { instancePath?: string; message?: string })
    : undefined;
  return `${context}${first?.instancePath ?? ''}: ${first?.message ?? 'invalid'}`;
}

/** The answer for `err`. */
export function errorReply(error: unknown): ErrorReply {
  if (isMifengError(error)) {
    if (error.status >= 500 && error.name === 'Internal') return { ...reply('Internal'), internal: true };
    const retryAfter = error.status === 503 ? 5 : undefined;
    return { ...reply(error.name, error.message, retryAfter), internal: error.status >= 500 };
  }
  const err = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const code = typeof err.code === 'string' ? err.code : '';

  if (err.validation) return reply('ValidationFailed', validationMessage(err));
  // @fastify/jwt's own errors, and fast-jwt's that it passes through (e.g. a disallowed algorithm).
  if (code.startsWith('FST_JWT_') || code.startsWith('FAST_JWT_')) return reply('Unauthorized');
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? reply('PayloadTooLarge')
        : reply('ValidationFailed', 'Invalid Content-Length');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return reply('UnsupportedMediaType');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply('MalformedJson', 'The request body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return reply('MalformedJson');
    case 'FST_ERR_NOT_FOUND':
      return reply('NotFound');
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status === 400 && err.name === 'SyntaxError') return reply('MalformedJson');
  if (status === 413) return reply('PayloadTooLarge');
  if (status === 415) return reply('UnsupportedMediaType');
  if (status === 429) return reply('RateLimited', undefined, 60);
  if (status === 404) return reply('NotFound');
  if (status === 401) return reply('Unauthorized');
  if (status >= 400 && status < 500) return { ...reply('BadRequest'), status };
  if (isDatabaseUnavailable(err)) return { ...reply('Unavailable', undefined, 5), internal: true };
  return { ...reply('Internal'), internal: true };
}
