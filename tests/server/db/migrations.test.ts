import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { connectDatabase, databaseInternals } from '../../../server/db/connect';
import {
  MIGRATION_LOCK_KEY,
  MIGRATIONS_DIR,
  migrateDatabase,
  readMigrations,
  SCHEMA_PATH,
} from '../../../server/db/migrations';
import { diffToNewMigration, migrationSlug, NO_FILTERS } from '../../../server/db/new-migration';
import { type SchemaEngine, startSchemaEngine } from '../../../server/db/schema-engine';
import { type FreshDatabase, forEachDatabase, freshDatabase } from '../databases';

const history = (await readMigrations()).migrationDirectories.map((m) => m.path);

interface AppliedRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

forEachDatabase((target) => {
  describe('migrateDatabase()', () => {
    it('applies every migration once, records it, and applies nothing the second time', async () => {
      const db = await freshDatabase(target.kind, { migrate: false });
      try {
        const first = await migrateDatabase({ database: db.database });
        assert.deepEqual(first.applied, history);
        const rows = await db.prisma.$queryRaw<AppliedRow[]>`
          SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name`;
        assert.deepEqual(
          rows.map((r) => r.migration_name),
          history,
        );
        for (const row of rows) {
          assert.ok(row.finished_at instanceof Date, `${row.migration_name} finished`);
          assert.equal(row.rolled_back_at, null);
        }
        assert.deepEqual(await migrateDatabase({ database: db.database }), { applied: [], edited: [] });
        assert.equal(await db.prisma.user.count(), 0);
      } finally {
        await db.close();
      }
    });

    it('is safe when several instances start together on one database', async () => {
      const db = await freshDatabase(target.kind, { migrate: false });
      const others =
        target.kind === 'postgres'
          ? await Promise.all(
              [1, 2].map(() => connectDatabase({ databaseUrl: db.databaseUrl, dataDir: db.dataDir })),
            )
          : [];
      try {
        // PostgreSQL: three connections racing, as instances behind a load balancer would.
        // PGlite: one process owns the directory; racing calls on it must queue, not collide.
        const results = await Promise.all([
          migrateDatabase({ database: db.database }),
          ...others.map((database) => migrateDatabase({ database })),
          migrateDatabase({ database: db.database }),
        ]);
        const applied = results.flatMap((r) => r.applied).sort();
        assert.deepEqual(applied, history, 'each migration applied exactly once');
        const [{ count }] = await db.prisma.$queryRaw<[{ count: bigint }]>`
          SELECT count(*) AS count FROM _prisma_migrations`;
        assert.equal(Number(count), history.length);
        assert.equal(await db.prisma.envelope.count(), 0);
      } finally {
        await Promise.all(others.map((database) => database.close()));
        await db.close();
      }
    });

    if (target.kind === 'postgres') {
      it('waits for the advisory lock held by another instance, up to lockTimeoutMillis', async () => {
        const db = await freshDatabase('postgres');
        const holder = new pg.Client({ connectionString: db.databaseUrl });
        await holder.connect();
        try {
          await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
          await assert.rejects(
            migrateDatabase({ database: db.database, lockTimeoutMillis: 300 }),
            /gave up after 300 ms waiting for another instance/,
          );
          const waiting = migrateDatabase({ database: db.database });
          await new Promise((resolve) => setTimeout(resolve, 300));
          await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
          assert.deepEqual(await waiting, { applied: [], edited: [] });
        } finally {
          await holder.end();
          await db.close();
        }
      });
    }

    it('applies a migration added later on top of the recorded history', async () => {
      const db = await freshDatabase(target.kind);
      const dir = await copyOfMigrations();
      try {
        await mkdirWith(
          dir,
          '29991231000000_add_test_note',
          'ALTER TABLE "users" ADD COLUMN "test_note" TEXT;',
        );
        const { applied } = await migrateDatabase({ database: db.database, migrationsDir: dir });
        assert.deepEqual(applied, ['29991231000000_add_test_note']);
        await db.prisma.$executeRaw`UPDATE users SET test_note = 'x' WHERE false`;
      } finally {
        await rm(dir, { recursive: true, force: true });
        await db.close();
      }
    });

    it('reports (and logs) an applied migration whose file was edited afterwards', async () => {
      const db = await freshDatabase(target.kind);
      const dir = await copyOfMigrations();
      const warnings: string[] = [];
      const log = { info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} };
      try {
        await appendFile(join(dir, history[0]!, 'migration.sql'), '\n-- edited after the fact\n');
        const result = await migrateDatabase({ database: db.database, migrationsDir: dir, log });
        assert.deepEqual(result, { applied: [], edited: [history[0]] });
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!, /changed after it was applied/);
      } finally {
        await rm(dir, { recursive: true, force: true });
        await db.close();
      }
    });

    it('fails loudly on a broken migration and records it as failed', async () => {
      const db = await freshDatabase(target.kind);
      const dir = await copyOfMigrations();
      try {
        await mkdirWith(dir, '29991231000000_broken', 'ALTER TABLE "no_such_table" ADD COLUMN "x" TEXT;');
        await assert.rejects(migrateDatabase({ database: db.database, migrationsDir: dir }), /no_such_table/);
        const rows = await db.prisma.$queryRaw<AppliedRow[]>`
          SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations
          WHERE migration_name = '29991231000000_broken'`;
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.finished_at, null);
        // Fixing the file is not enough: the failure must be resolved first, as with Prisma's CLI.
        await writeFile(
          join(dir, '29991231000000_broken', 'migration.sql'),
          'ALTER TABLE "users" ADD COLUMN "x" TEXT;\n',
        );
        await assert.rejects(
          migrateDatabase({ database: db.database, migrationsDir: dir }),
          /failed migrations/,
        );
        await db.prisma.$executeRaw`
          UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '29991231000000_broken'`;
        assert.deepEqual((await migrateDatabase({ database: db.database, migrationsDir: dir })).applied, [
          '29991231000000_broken',
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
        await db.close();
      }
    });
  });
});

forEachDatabase((target) => {
  describe("migrateDatabase() keeps Prisma's migration history", () => {
    it("leaves a database that Prisma's schema engine sees as up to date, checksums and all", async () => {
      const db = await freshDatabase(target.kind, { migrate: false });
      try {
        await migrateDatabase({ database: db.database });
        const migrationsList = await readMigrations();
        await withEngine(db, async (engine) => {
          assert.deepEqual(
            await engine.diagnoseMigrationHistory({
              migrationsList,
              optInToShadowDatabase: false,
              filters: NO_FILTERS,
            }),
            { editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null },
          );
          assert.deepEqual(
            (await engine.applyMigrations({ migrationsList, filters: NO_FILTERS })).appliedMigrationNames,
            [],
          );
        });
      } finally {
        await db.close();
      }
    });

    it('records what the engine records: same table, same checksums, and takes over its history', async () => {
      const ours = await freshDatabase(target.kind, { migrate: false });
      const theirs = await freshDatabase(target.kind, { migrate: false });
      try {
        await migrateDatabase({ database: ours.database });
        const migrationsList = await readMigrations();
        await withEngine(theirs, async (engine) => {
          const { appliedMigrationNames } = await engine.applyMigrations({
            migrationsList,
            filters: NO_FILTERS,
          });
          assert.deepEqual(appliedMigrationNames, history);
        });
        const columns = (db: FreshDatabase) => db.prisma.$queryRaw`
          SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
          FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`;
        assert.deepEqual(await columns(ours), await columns(theirs));
        const history_ = (db: FreshDatabase) => db.prisma.$queryRaw`
          SELECT migration_name, checksum, logs, rolled_back_at, applied_steps_count,
                 finished_at IS NOT NULL AS finished
          FROM _prisma_migrations ORDER BY migration_name`;
        assert.deepEqual(await history_(ours), await history_(theirs));
        // A database the engine migrated is up to date for ours too.
        assert.deepEqual(await migrateDatabase({ database: theirs.database }), { applied: [], edited: [] });
      } finally {
        await ours.close();
        await theirs.close();
      }
    });

    it('leaves a failed migration as the engine reports failed ones', async () => {
      const db = await freshDatabase(target.kind);
      const dir = await copyOfMigrations();
      try {
        await mkdirWith(dir, '29991231000000_broken', 'ALTER TABLE "no_such_table" ADD COLUMN "x" TEXT;');
        await assert.rejects(migrateDatabase({ database: db.database, migrationsDir: dir }), /no_such_table/);
        const migrationsList = await readMigrations(dir);
        await withEngine(db, async (engine) => {
          const diagnosis = await engine.diagnoseMigrationHistory({
            migrationsList,
            optInToShadowDatabase: false,
            filters: NO_FILTERS,
          });
          assert.deepEqual(diagnosis.failedMigrationNames, ['29991231000000_broken']);
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
        await db.close();
      }
    });
  });
});

/**
 * Runs Prisma's schema engine on a test database. On PostgreSQL it gets a pool of its own, ended
 * afterwards: the engine takes Prisma's advisory lock on a connection and leaves it to the
 * connection's end to release it.
 */
async function withEngine(db: FreshDatabase, fn: (engine: SchemaEngine) => Promise<void>): Promise<void> {
  let factory: SqlMigrationAwareDriverAdapterFactory = databaseInternals(db.database).factory;
  const pool = db.databaseUrl ? new pg.Pool({ connectionString: db.databaseUrl, max: 2 }) : undefined;
  if (pool) factory = new PrismaPg(pool);
  const engine = await startSchemaEngine(factory);
  try {
    await fn(engine);
  } finally {
    engine.free();
    await pool?.end();
  }
}

describe('diffToNewMigration()', () => {
  it('finds nothing to write: schema.prisma and prisma/migrations agree', async () => {
    // Fails when the schema was changed without `npm run db:migration -- <name>`.
    const dir = await copyOfMigrations();
    try {
      assert.equal(await diffToNewMigration('check', { migrationsDir: dir }), null);
      assert.deepEqual((await readdir(dir)).sort(), (await readdir(MIGRATIONS_DIR)).sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes the next migration for a schema change, named for its intent and ordered last', async () => {
    const dir = await copyOfMigrations();
    const schemaPath = join(dir, 'schema.prisma');
    try {
      const schema = await readFile(SCHEMA_PATH, 'utf8');
      const changed = schema.replace(
        /(phoneMasked\s+String\?[^\n]*\n)/,
        '$1  locale       String?   @map("locale")\n',
      );
      assert.notEqual(changed, schema);
      await writeFile(schemaPath, changed);
      const migration = await diffToNewMigration('Add user locale', {
        migrationsDir: dir,
        schemaPath,
        now: new Date('2000-01-01T00:00:00Z'),
      });
      assert.ok(migration);
      assert.match(migration.name, /^\d{14}_add_user_locale$/);
      assert.ok(migration.name > history.at(-1)!, 'sorts after the existing history even with an old clock');
      assert.match(migration.sql, /ALTER TABLE "users" ADD COLUMN\s+"locale" TEXT/);
      assert.equal(await readFile(migration.path, 'utf8'), migration.sql);

      // The written migration applies cleanly on top of the history.
      const db = await freshDatabase('pglite', { migrate: false });
      try {
        const { applied } = await migrateDatabase({ database: db.database, migrationsDir: dir });
        assert.deepEqual(applied, [...history, migration.name]);
      } finally {
        await db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects invalid inputs', async () => {
    assert.throws(() => migrationSlug('  --  '), RangeError);
    await assert.rejects(diffToNewMigration(''), RangeError);
    assert.equal(migrationSlug('Add message-expiry!'), 'add_message_expiry');
  });
});

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mifeng-migrations-'));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function mkdirWith(dir: string, name: string, sql: string): Promise<void> {
  await cp(join(MIGRATIONS_DIR, history[0]!), join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'migration.sql'), `${sql}\n`);
}
