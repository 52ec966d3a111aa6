/**
 * Per-user quotas on uploads: active letters, bytes of active letters, letters per 24 hours. Each
 * refusal has its stable code and status, changes nothing, is counted in /metrics and written to
 * the audit log. Over real HTTP, on PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Envelope } from '../../../shared/protocol';
import { forEachDatabase, useDatabase } from '../databases';
import {
  registerUser,
  rowCounts,
  sealFor,
  startServer,
  type TestServer,
  type TestUser,
  testConfig,
} from '../helper';

forEachDatabase((target) => {
  describe('quotas', () => {
    const db = useDatabase(target);

    async function withServer(
      overrides: Record<string, string>,
      body: (
        server: TestServer,
        users: { alice: TestUser; bob: TestUser },
        logLines: string[],
      ) => Promise<void>,
    ): Promise<void> {
      const logLines: string[] = [];
      const server = await startServer({ database: db().database, config: testConfig(overrides), logLines });
      try {
        const alice = await registerUser(server, { name: 'Alice' });
        const bob = await registerUser(server, { name: 'Bob' });
        await body(server, { alice, bob }, logLines);
      } finally {
        await server.close();
      }
    }

    const upload = (server: TestServer, sender: TestUser, envelope: Envelope) =>
      server.request<{ error?: { code: string } }>('POST', '/api/v1/envelopes', {
        token: sender.token,
        body: { envelope },
      });

    /** Uploads `envelope` expecting a refusal with `status`/`code` that leaves every table as it was. */
    async function refused(
      server: TestServer,
      sender: TestUser,
      envelope: Envelope,
      status: number,
      code: string,
    ) {
      const before = await rowCounts(db().database);
      const reply = await upload(server, sender, envelope);
      assert.equal(reply.status, status, reply.text);
      assert.equal(reply.body.error?.code, code);
      assert.deepEqual(await rowCounts(db().database), before);
    }

    it('letters per day: 429 quota_letters_per_day past the limit, audited and counted', async () => {
      await withServer({ QUOTA_LETTERS_PER_DAY: '2' }, async (server, { alice, bob }, logLines) => {
        for (let i = 0; i < 2; i++)
          assert.equal((await upload(server, alice, sealFor(alice, [bob]))).status, 201);
        await refused(server, alice, sealFor(alice, [bob]), 429, 'quota_letters_per_day');
        // Another sender has their own allowance.
        const sent = sealFor(bob, [alice]);
        assert.equal((await upload(server, bob, sent)).status, 201);
        assert.equal(server.app.metrics.quotaRejections.value({ quota: 'letters_per_day' }), 1);
        const audit = logLines.map((l) => JSON.parse(l)).filter((l) => l.event === 'quota_exceeded');
        assert.equal(audit.length, 1);
        assert.equal(audit[0].audit, true);
        assert.equal(audit[0].user, alice.id);
        assert.equal(audit[0].quota, 'letters_per_day');
        assert.ok(!logLines.some((l) => l.includes(alice.token)), 'no token in the log');
      });
    });

    it('active letters: 429 quota_active_letters until one is revoked', async () => {
      await withServer({ QUOTA_ACTIVE_LETTERS: '2' }, async (server, { alice, bob }) => {
        const first = sealFor(alice, [bob]);
        assert.equal((await upload(server, alice, first)).status, 201);
        assert.equal((await upload(server, alice, sealFor(alice, [bob]))).status, 201);
        await refused(server, alice, sealFor(alice, [bob]), 429, 'quota_active_letters');
        const revoked = await server.request('DELETE', `/api/v1/envelopes/${first.id}`, {
          token: alice.token,
        });
        assert.equal(revoked.status, 204);
        assert.equal((await upload(server, alice, sealFor(alice, [bob]))).status, 201);
      });
    });

    it('stored bytes: 413 quota_stored_bytes when the active letters would outgrow it', async () => {
      // A letter of 8000 characters is about 11 KB stored; two do not fit in 20 000 bytes, one
      // large and one small do.
      await withServer({ QUOTA_STORED_BYTES: '20000' }, async (server, { alice, bob }) => {
        const large = () => sealFor(alice, [bob], { content: 'x'.repeat(8000) });
        assert.equal((await upload(server, alice, large())).status, 201);
        await refused(server, alice, large(), 413, 'quota_stored_bytes');
        assert.equal((await upload(server, alice, sealFor(alice, [bob]))).status, 201);
      });
    });
  });
});
