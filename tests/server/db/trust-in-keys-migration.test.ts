/**
 * Migration `trust_in_keys` on data written before it: every letter gets its sender's name and
 * masked phone, every existing key one history event (the first per user `register`, later ones
 * `reset`, since nothing vouched for them) and its backup kept. On PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MIGRATIONS_DIR } from '../../../server/db/migrations';
import { forEachDatabase, useDatabase } from '../databases';

/** The migrations in order, split at `trust_in_keys`. */
async function migrationsAround(name: string): Promise<{ before: string[]; self: string }> {
  const folders = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{14}_/.test(f)).sort();
  const index = folders.findIndex((f) => f.endsWith(`_${name}`));
  assert.ok(index > 0, `the migration ${name} exists`);
  const sql = (folder: string) => readFile(join(MIGRATIONS_DIR, folder, 'migration.sql'), 'utf8');
  return { before: await Promise.all(folders.slice(0, index).map(sql)), self: await sql(folders[index]!) };
}

/** A migration file's statements (none of ours has a `;` inside a statement). */
function statements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

forEachDatabase((target) => {
  describe('migration trust_in_keys', () => {
    const db = useDatabase(target, { migrate: false });

    it('keeps names, phones, keys and backups written before it', async () => {
      const { before, self } = await migrationsAround('trust_in_keys');
      const prisma = db().prisma;
      const run = async (sql: string) => {
        for (const statement of statements(sql)) await prisma.$executeRawUnsafe(statement);
      };
      for (const sql of before) await run(sql);

      const backup = (n: number) => JSON.stringify({ v: 1, n });
      await run(`
        INSERT INTO users (id, openid, name, phone_masked, current_key_id, updated_at)
          VALUES ('u1', 'o1', 'Alice', '*******5678', 'k1b', now()), ('u2', 'o2', 'Bob', NULL, 'k2', now());
        INSERT INTO user_keys (key_id, user_id, public_key, backup, created_at, retired_at) VALUES
          ('k1a', 'u1', '\\x04', '${backup(1)}', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
          ('k1b', 'u1', '\\x04', '${backup(2)}', '2026-02-01T00:00:00Z', NULL),
          ('k2', 'u2', '\\x04', '${backup(3)}', '2026-01-15T00:00:00Z', NULL);
        INSERT INTO envelopes (id, sender_id, sender_key_id, created_at, body, size)
          VALUES ('e1', 'u1', 'k1b', now(), '{}', 2), ('e2', 'u2', 'k2', now(), '{}', 2);
      `);
      await run(self);

      const letters = await prisma.envelope.findMany({
        orderBy: { id: 'asc' },
        select: { id: true, senderName: true, senderPhoneMasked: true },
      });
      assert.deepEqual(letters, [
        { id: 'e1', senderName: 'Alice', senderPhoneMasked: '*******5678' },
        { id: 'e2', senderName: 'Bob', senderPhoneMasked: null },
      ]);
      const events = await prisma.keyEvent.findMany({
        orderBy: { id: 'asc' },
        select: { userId: true, keyId: true, kind: true, statement: true, at: true },
      });
      assert.deepEqual(
        events.map((e) => [e.userId, e.keyId, e.kind, e.statement, e.at.toISOString()]),
        [
          ['u1', 'k1a', 'register', null, '2026-01-01T00:00:00.000Z'],
          ['u2', 'k2', 'register', null, '2026-01-15T00:00:00.000Z'],
          ['u1', 'k1b', 'reset', null, '2026-02-01T00:00:00.000Z'],
        ],
      );
      const backups = await prisma.keyBackup.findMany({ orderBy: { keyId: 'asc' } });
      assert.deepEqual(
        backups.map((b) => [b.userId, b.keyId, b.backup]),
        [
          ['u1', 'k1a', { v: 1, n: 1 }],
          ['u1', 'k1b', { v: 1, n: 2 }],
          ['u2', 'k2', { v: 1, n: 3 }],
        ],
      );
      const users = await prisma.user.findMany({ select: { tokenVersion: true, lastStatementAt: true } });
      assert.ok(users.every((u) => u.tokenVersion === 0 && u.lastStatementAt === null));
    });
  });
});
