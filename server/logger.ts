/**
 * Logger options: pino with redaction, so no token, cookie, request/response body, phone number,
 * WeChat code or envelope reaches the log, whatever code logs it. Requests are logged by Fastify's
 * default serializers (method, URL, address, status, time) — never headers or bodies.
 */
import type { FastifyServerOptions } from 'fastify';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body',
  'res.body',
  'body',
  'token',
  'phone',
  'envelope',
  '*.token',
  '*.phone',
  '*.envelope',
  '*.authorization',
];

export function loggerOptions(
  level: string,
  stream?: { write(line: string): void },
): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(stream ? { stream } : {}),
  };
}
