/**
 * Tokens: short-lived (`expiresAt` from JWT_EXPIRES_IN_MINUTES), tied to a per-user version kept
 * in the database, so `POST /auth/logout` (and a key change) revokes every older token on every
 * instance at once. Two app instances share one database here. On PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthResponse } from '../../../shared/api';
import { forEachDatabase, useDatabase } from '../databases';
import { registerUser, testConfig, useServer } from '../helper';

function payloadOf(token: string): Record<string, number | string> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}

forEachDatabase((target) => {
  describe('tokens', () => {
    const db = useDatabase(target);
    const config = testConfig({ JWT_EXPIRES_IN_MINUTES: '15' });
    const one = useServer(() => ({ database: db().database, config }));
    const two = useServer(() => ({ database: db().database, config }));

    it('a sign-in answers a token that expires after JWT_EXPIRES_IN_MINUTES, and says when', async () => {
      const before = Date.now();
      const login = await one().request<AuthResponse>('POST', '/api/v1/auth/dev', {
        body: { openid: 'ttl' },
      });
      assert.equal(login.status, 200);
      const payload = payloadOf(login.body.token);
      assert.equal(Number(payload.exp) - Number(payload.iat), 15 * 60);
      assert.equal(Date.parse(login.body.expiresAt), Number(payload.exp) * 1000);
      assert.ok(Math.abs(Date.parse(login.body.expiresAt) - (before + 15 * 60_000)) < 5_000);
      assert.equal(payload.lat, payload.iat, 'the session starts at this sign-in');
    });

    it('log out revokes every token of the account on every instance, and no other account', async () => {
      const alice = await registerUser(one(), { openid: 'logout-alice' });
      const bob = await registerUser(one());
      const second = await two().request<AuthResponse>('POST', '/api/v1/auth/dev', {
        body: { openid: 'logout-alice' },
      });
      for (const server of [one(), two()]) {
        assert.equal((await server.request('GET', '/api/v1/me', { token: alice.token })).status, 200);
      }
      const out = await two().request('POST', '/api/v1/auth/logout', { token: second.body.token });
      assert.equal(out.status, 204);
      for (const server of [one(), two()]) {
        for (const token of [alice.token, second.body.token]) {
          const reply = await server.request('GET', '/api/v1/me', { token });
          assert.equal(reply.status, 401);
          assert.equal((reply.body as { error: { code: string } }).error.code, 'unauthorized');
        }
        assert.equal((await server.request('GET', '/api/v1/me', { token: bob.token })).status, 200);
      }
      // Signing in again works.
      const again = await one().request<AuthResponse>('POST', '/api/v1/auth/dev', {
        body: { openid: 'logout-alice' },
      });
      assert.equal((await two().request('GET', '/api/v1/me', { token: again.body.token })).status, 200);
    });

    it('refuses a correctly signed token without a version, or under an old one', async () => {
      const carol = await registerUser(one());
      const noVersion = one().app.jwt.sign({ sub: carol.id } as never);
      const oldVersion = one().app.jwt.sign({ sub: carol.id, ver: -1, lat: Math.floor(Date.now() / 1000) });
      for (const token of [noVersion, oldVersion]) {
        assert.equal((await one().request('GET', '/api/v1/me', { token })).status, 401);
      }
    });
  });
});
