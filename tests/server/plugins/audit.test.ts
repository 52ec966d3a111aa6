/**
 * The audit log: logins, phone and key changes, revocations (and, in their own tests, quota hits
 * and rate-limit trips) each give one line marked `"audit": true`, with ids only — no token, phone
 * number, name, pepper or secret anywhere in the log. Over real HTTP, on PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachDatabase, useDatabase } from '../databases';
import {
  registerUser,
  sealFor,
  sendLetter,
  startServer,
  TEST_JWT_SECRET,
  TEST_PHONE_PEPPER,
  testConfig,
} from '../helper';

forEachDatabase((target) => {
  describe('audit log', () => {
    const db = useDatabase(target);

    it('records security events with ids only, and never a secret', async () => {
      const logLines: string[] = [];
      // LOG_LEVEL=warn: audit lines are kept even when the request log is quieted.
      const server = await startServer({
        database: db().database,
        config: testConfig({ LOG_LEVEL: 'warn' }),
        logLines,
      });
      try {
        const alice = await registerUser(server, { name: 'Alice Audit', phone: '138 0013 8001' });
        const bob = await registerUser(server, { name: 'Bob Audit' });
        const letter = sealFor(alice, [bob]);
        await sendLetter(server, alice, letter);
        assert.equal(
          (await server.request('DELETE', `/api/v1/envelopes/${letter.id}`, { token: alice.token })).status,
          204,
        );

        const audit = logLines.map((l) => JSON.parse(l)).filter((l) => l.audit === true);
        const mine = audit.filter((l) => l.user === alice.id).map((l) => l.event);
        assert.deepEqual(mine, ['login', 'phone_set', 'key_set', 'envelope_revoked']);
        const login = audit.find((l) => l.event === 'login' && l.user === alice.id);
        assert.equal(login.method, 'dev');
        assert.equal(login.ip, '127.0.0.1');
        assert.ok(login.reqId);
        const revoked = audit.find((l) => l.event === 'envelope_revoked');
        assert.equal(revoked.envelopeId, letter.id);
        const keySet = audit.find((l) => l.event === 'key_set' && l.user === alice.id);
        assert.match(keySet.keyId, /^[A-Za-z0-9_-]{22}$/);

        const secrets = [
          alice.token,
          bob.token,
          TEST_JWT_SECRET,
          TEST_PHONE_PEPPER,
          '13800138001',
          '138 0013 8001',
          'Alice Audit',
        ];
        for (const line of logLines)
          for (const secret of secrets) assert.ok(!line.includes(secret), `log line holds ${secret}`);
      } finally {
        await server.close();
      }
    });
  });
});
