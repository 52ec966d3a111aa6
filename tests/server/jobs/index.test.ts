/** server/jobs/index.ts: the sweeper runs on its interval in a running app and stops on close. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachDatabase, useDatabase } from '../databases';
import { registerUser, sealFor, startServer, testConfig } from '../helper';

forEachDatabase((target) => {
  describe('scheduled sweeper', () => {
    const db = useDatabase(target);

    it('purges a revoked envelope on its own within a few intervals', async () => {
      const server = await startServer({
        database: db().database,
        config: testConfig({ PURGE_INTERVAL_SECONDS: '1', PURGE_GRACE_SECONDS: '0' }),
      });
      try {
        const alice = await registerUser(server);
        const bob = await registerUser(server);
        const e = sealFor(alice, [bob]);
        assert.equal(
          (await server.request('POST', '/api/v1/envelopes', { token: alice.token, body: { envelope: e } }))
            .status,
          201,
        );
        assert.equal(
          (await server.request('DELETE', `/api/v1/envelopes/${e.id}`, { token: alice.token })).status,
          204,
        );
        let purgedAt: Date | null = null;
        for (let i = 0; i < 50 && !purgedAt; i++) {
          await new Promise((r) => setTimeout(r, 200));
          purgedAt = (await db().prisma.envelope.findUniqueOrThrow({ where: { id: e.id } })).purgedAt;
        }
        assert.ok(purgedAt, 'purged by the scheduled run');
      } finally {
        await server.close();
      }
    });
  });
});
