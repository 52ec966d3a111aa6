/**
 * server/jobs/purge-expired.ts: purges bodies after the grace period, keeps tombstones, and purges
 * each envelope exactly once when several sweepers (instances) run at the same moment.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { connectDatabase } from '../../../server/db/connect';
import { purgeExpired } from '../../../server/jobs/purge-expired';
import { createEnvelopesRepository } from '../../../server/plugins/app/envelopes-repository';
import { forEachDatabase, useDatabase } from '../databases';

const HOUR = 3_600_000;

forEachDatabase((target) => {
  describe('purgeExpired()', () => {
    const db = useDatabase(target);
    const now = new Date();

    before(async () => {
      const p = db().prisma;
      await p.user.create({ data: { id: 'sender', openid: 'o-sender' } });
      await p.user.create({ data: { id: 'reader', openid: 'o-reader' } });
      const envelope = (id: string, fields: { expiresAt?: Date | null; revokedAt?: Date | null }) =>
        p.envelope.create({
          data: {
            id,
            senderId: 'sender',
            senderKeyId: 'k',
            senderName: 'Alice',
            createdAt: new Date(now.getTime() - 48 * HOUR),
            expiresAt: fields.expiresAt ?? null,
            revokedAt: fields.revokedAt ?? null,
            body: `{"id":"${id}","ct":"secret"}`,
            size: 10,
            recipients: { create: [{ userId: 'reader', keyId: 'k', position: 0 }] },
          },
        });
      await envelope('active', { expiresAt: new Date(now.getTime() + HOUR) });
      await envelope('permanent', {});
      await envelope('expired-recently', { expiresAt: new Date(now.getTime() - HOUR / 2) });
      await envelope('revoked-recently', { revokedAt: new Date(now.getTime() - HOUR / 2) });
      for (let i = 0; i < 60; i++) {
        await envelope(`expired-${i}`, { expiresAt: new Date(now.getTime() - 2 * HOUR - i) });
      }
      await envelope('revoked-old', { revokedAt: new Date(now.getTime() - 3 * HOUR) });
    });

    it('purges each due envelope exactly once across concurrent sweepers, and nothing else', async () => {
      // Two "instances": separate connections to the same database where the backend allows it.
      const second =
        target.kind === 'postgres'
          ? await connectDatabase({ databaseUrl: db().databaseUrl!, dataDir: db().dataDir })
          : db().database;
      try {
        const sweepers = [db().prisma, second.prisma, db().prisma, second.prisma].map((prisma) => ({
          envelopesRepository: createEnvelopesRepository(prisma),
        }));
        const results = await Promise.all(sweepers.map((s) => purgeExpired(s, { now, graceMs: HOUR })));
        const all = results.flatMap((r) => r.purged);
        assert.equal(all.length, 61, 'each due envelope purged by exactly one sweeper');
        assert.equal(new Set(all).size, 61);
        assert.ok(all.includes('revoked-old'));
        assert.equal(
          all.some((id) => /recently|active|permanent/.test(id)),
          false,
          'grace period respected',
        );
      } finally {
        if (second !== db().database) await second.close();
      }
    });

    it('keeps the tombstone: row, recipients, times and state, without the body', async () => {
      const row = await db().prisma.envelope.findUniqueOrThrow({
        where: { id: 'revoked-old' },
        include: { recipients: true },
      });
      assert.equal(row.body, null);
      assert.ok(row.purgedAt);
      assert.ok(row.revokedAt);
      assert.equal(row.recipients.length, 1);
      const untouched = await db().prisma.envelope.findUniqueOrThrow({ where: { id: 'expired-recently' } });
      assert.notEqual(untouched.body, null);
      assert.deepEqual(
        (
          await purgeExpired(
            { envelopesRepository: createEnvelopesRepository(db().prisma) },
            { now, graceMs: HOUR },
          )
        ).purged,
        [],
      );
    });
  });
});
