/**
 * Rate limits count every request: refused ones (bad token, bad body, unknown path) too, per
 * address before authentication and per user after; X-Forwarded-For only counts from a listed
 * proxy; each trip is one audit line without secrets. Over real HTTP, on PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachDatabase, useDatabase } from '../databases';
import {
  registerUser,
  startServer,
  TEST_JWT_SECRET,
  TEST_PHONE_PEPPER,
  type TestServer,
  testConfig,
} from '../helper';

/** Statuses of `count` requests made one after another. */
async function statuses(count: number, send: (i: number) => Promise<{ status: number }>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send(i)).status);
  return out;
}

const BAD_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad-signature';

forEachDatabase((target) => {
  describe('rate limits', () => {
    const db = useDatabase(target);

    async function withServer(
      overrides: Record<string, string>,
      body: (server: TestServer, logLines: string[]) => Promise<void>,
    ): Promise<void> {
      const logLines: string[] = [];
      const server = await startServer({
        database: db().database,
        config: testConfig({ LOG_LEVEL: 'warn', ...overrides }),
        logLines,
      });
      try {
        await body(server, logLines);
      } finally {
        await server.close();
      }
    }

    it('a bad-token flood hits 429 from the address limit, and so does everyone at that address', async () => {
      await withServer({ RATE_LIMIT_IP_PER_MINUTE: '5' }, async (server, logLines) => {
        const flood = await statuses(7, () => server.request('GET', '/api/v1/me', { token: BAD_TOKEN }));
        assert.deepEqual(flood, [401, 401, 401, 401, 401, 429, 429]);
        const limited = await server.request('GET', '/api/v1/me', { token: BAD_TOKEN });
        assert.equal((limited.body as { error: { code: string } }).error.code, 'rate_limited');
        assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
        // Unknown paths and malformed bodies are counted and refused the same way.
        assert.equal((await server.request('GET', '/api/v1/nothing-here')).status, 429);
        assert.equal(
          (
            await server.request('POST', '/api/v1/auth/dev', {
              raw: '{',
              headers: { 'content-type': 'application/json' },
            })
          ).status,
          429,
        );
        // The probes are not counted.
        assert.equal((await server.request('GET', '/healthz')).status, 200);

        const trips = logLines.map((l) => JSON.parse(l)).filter((l) => l.audit && l.event === 'rate_limited');
        assert.equal(trips.length, 1, 'one audit line per client and window, not one per refusal');
        assert.equal(trips[0].limit, 'ip');
        assert.equal(trips[0].ip, '127.0.0.1');
        for (const line of logLines) {
          assert.ok(!line.includes('bad-signature'), 'no token in the log');
          assert.ok(
            !line.includes(TEST_JWT_SECRET) && !line.includes(TEST_PHONE_PEPPER),
            'no secret in the log',
          );
        }
        assert.equal(server.app.metrics.rateLimited.value({ limit: 'ip' }), 5);
      });
    });

    it('requests with a valid token but a bad body count against the user before any validation', async () => {
      await withServer({ RATE_LIMIT_PER_MINUTE: '4' }, async (server) => {
        const user = await registerUser(server); // 2 of the allowance (phone, keys); sign-in has no user yet
        const sent = await statuses(3, () =>
          server.request('POST', '/api/v1/envelopes', {
            token: user.token,
            raw: '{"envelope": nope',
            headers: { 'content-type': 'application/json' },
          }),
        );
        assert.deepEqual(sent, [400, 400, 429]);
        // Another user at the same address has their own allowance.
        const other = await registerUser(server);
        assert.equal((await server.request('GET', '/api/v1/me', { token: other.token })).status, 200);
        assert.equal(server.app.metrics.rateLimited.value({ limit: 'user' }), 1);
      });
    });

    it('rotating X-Forwarded-For does not escape the address limit unless the sender is a listed proxy', async () => {
      const rotate = (server: TestServer) =>
        statuses(5, (i) =>
          server.request('GET', '/api/v1/nothing-here', { headers: { 'x-forwarded-for': `203.0.113.${i}` } }),
        );
      // No proxy trusted (the default), or one that is not this client: the socket address counts.
      for (const trust of [{}, { TRUST_PROXY: '10.0.0.0/8' }] as Record<string, string>[]) {
        await withServer({ RATE_LIMIT_IP_PER_MINUTE: '3', ...trust }, async (server) => {
          assert.deepEqual(await rotate(server), [404, 404, 404, 429, 429]);
        });
      }
      // This client is the listed proxy: the address it forwards counts, as nginx's does.
      await withServer({ RATE_LIMIT_IP_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1' }, async (server) => {
        assert.deepEqual(await rotate(server), [404, 404, 404, 404, 404]);
      });
    });
  });
});
