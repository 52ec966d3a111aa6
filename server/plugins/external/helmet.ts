/**
 * Security headers (helmet), with a CSP that still lets /docs and the landing page load.
 *
 * @fastify/helmet calls `helmet(options)` on every request, which re-validates and re-serializes
 * every directive (regular expressions included): ~5 % of the API's CPU per request in a profile
 * of `GET /envelopes/:id`. Every header here is static, so helmet runs once at start against a
 * recorder and each request gets the recorded headers, set the same way (on the raw response, in
 * `onRequest`, so a route's own headers still win).
 */
import type { ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

export const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      scriptSrc: ["'self'"],
    },
  },
  crossOriginEmbedderPolicy: false,
};

/** The headers `helmet(options)` sets, in its order (it throws on invalid options). */
export function helmetHeaders(options: Readonly<HelmetOptions>): [string, string][] {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader(name: string, value: string) {
      headers.push([name, value]);
    },
    removeHeader() {},
  } as unknown as ServerResponse;
  let failure: unknown;
  helmet(options)({} as never, recorder, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return headers;
}

export default fp(
  async (fastify) => {
    const headers = helmetHeaders(HELMET_OPTIONS);
    fastify.addHook('onRequest', (_request, reply, done) => {
      const res = reply.raw;
      for (const [name, value] of headers) res.setHeader(name, value);
      // helmet also removes X-Powered-By, which neither Node nor Fastify sets.
      done();
    });
  },
  { name: 'helmet' },
);
