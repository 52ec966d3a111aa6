/**
 * Applying migrations in Prisma's standard layout (`prisma/migrations/<timestamp>_<name>/migration.sql`
 * plus `migration_lock.toml`, history in `_prisma_migrations`) without Prisma's schema engine: the
 * SQL is already written, so running it is a few statements. This file keeps the history exactly
 * as the engine's `applyMigrations` (`prisma migrate deploy`) does — same table, one row per
 * migration, the SHA-256 of the file as its checksum, a failed migration left unfinished with its
 * error in `logs` — so `prisma migrate deploy`/`status` on a normally connected machine, or the
 * WASM engine (server/db/new-migration.ts, which creates migrations), see the same history.
 *
 * The engine costs seconds to load and run (its WASM alone is 5 MB); this costs one query when
 * the database is up to date.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import {
  type ConnectOptions,
  connectDatabase,
  type Database,
  type DatabaseLog,
  databaseInternals,
} from './connect';
import { MIGRATIONS_DIR, type MigrationFile, migrationChecksum, readMigrationFiles } from './migration-files';
import type { MigrationList } from './schema-engine';

export { MIGRATIONS_DIR, SCHEMA_PATH } from './migration-files';

export const LOCKFILE_NAME = 'migration_lock.toml';

/**
 * Session-level advisory lock key that serializes migrations across instances starting together
 * on one PostgreSQL ("mifeng" in ASCII). Deliberately not Prisma's own key (72707369), which
 * `prisma migrate` takes for itself: a deploy step running the CLI waits on neither.
 */
export const MIGRATION_LOCK_KEY = 0x6d6966656e67n;

/**
 * The history table as the schema engine creates it on PostgreSQL (prisma-engines,
 * sql-migration-connector, `create_migrations_table`). `IF NOT EXISTS`: instances on PGlite or
 * behind the advisory lock never race on it, but a database first migrated by Prisma has it already.
 */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export type MigrateOptions = (ConnectOptions | { database: Database; log?: DatabaseLog }) & {
  /** Folder of migrations to apply (default prisma/migrations). */
  migrationsDir?: string;
  /** Give up waiting for another instance's migration after this long (default 120 s). */
  lockTimeoutMillis?: number;
};

export interface MigrateResult {
  /** Names of the migrations applied by this call, oldest first; empty when up to date. */
  applied: string[];
  /**
   * Applied migrations whose file no longer matches what was applied (like `prisma migrate
   * deploy`, neither re-run nor refused); each one is also logged as a warning.
   */
  edited: string[];
}

/** The same folder in the shape the schema engine takes (tests, server/db/new-migration.ts). */
export async function readMigrations(migrationsDir: string = MIGRATIONS_DIR): Promise<MigrationList> {
  const lockPath = join(migrationsDir, LOCKFILE_NAME);
  const files = await readMigrationFiles(migrationsDir);
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: LOCKFILE_NAME,
      content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: files.map(({ name, sql }) => ({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: sql } },
    })),
  };
}

/**
 * Applies every migration not yet recorded in `_prisma_migrations`. Given connection options it
 * opens the database, migrates and closes it; given `{ database }` it reuses that connection
 * (required for PGlite on disk, which one process can open only once).
 *
 * On PostgreSQL the whole run holds an advisory lock, so instances started together migrate one
 * after another and the later ones find nothing left to apply.
 */
export async function migrateDatabase(options: MigrateOptions): Promise<MigrateResult> {
  const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
  if ('database' in options) return migrateOpen(options.database, migrationsDir, options);
  const database = await connectDatabase(options);
  try {
    return await migrateOpen(database, migrationsDir, options);
  } finally {
    await database.close();
  }
}

/** The two ways of sending SQL the runner needs, over a pg client or a PGlite instance. */
interface SqlSession {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a multi-statement script in one simple-protocol message (one implicit transaction). */
  script(sql: string): Promise<void>;
}

async function migrateOpen(
  database: Database,
  migrationsDir: string,
  options: Pick<MigrateOptions, 'log' | 'lockTimeoutMillis'>,
): Promise<MigrateResult> {
  const { databaseUrl, pglite } = databaseInternals(database);
  if (pglite) return migratePglite(pglite, migrationsDir, options.log);
  const run = async (session: SqlSession) =>
    applyPending(session, await readMigrationFiles(migrationsDir), options.log);
  return withAdvisoryLock(databaseUrl!, options.lockTimeoutMillis ?? 120_000, (client) =>
    run({
      query: async (text, params) => (await client.query(text, params)).rows,
      script: async (sql) => {
        await client.query(sql);
      },
    }),
  );
}

/** Applies pending migrations to an open PGlite instance (also the build's template, server/db/pglite.ts). */
export function migratePglite(
  pglite: PGlite,
  migrationsDir: string = MIGRATIONS_DIR,
  log?: DatabaseLog,
): Promise<MigrateResult> {
  return serializeInProcess(pglite, async () =>
    applyPending(pgliteSession(pglite), await readMigrationFiles(migrationsDir), log),
  );
}

function pgliteSession(pglite: PGlite): SqlSession {
  return {
    query: async <T>(text: string, params?: unknown[]) => (await pglite.query<T>(text, params)).rows,
    script: async (sql) => {
      await pglite.exec(sql);
    },
  };
}

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** `prisma migrate deploy`'s algorithm on the history table. */
async function applyPending(
  session: SqlSession,
  migrations: MigrationFile[],
  log: DatabaseLog | undefined,
): Promise<MigrateResult> {
  await session.script(CREATE_MIGRATIONS_TABLE);
  const rows = await session.query<HistoryRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  // A migration that failed stops everything until someone resolves it (P3009 in Prisma's CLI).
  const failed = rows.filter((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed.length > 0) {
    throw new Error(
      `found failed migrations in the target database (${failed.map((row) => row.migration_name).join(', ')}); ` +
        'fix the database by hand, then mark them rolled back (`prisma migrate resolve --rolled-back <name>`, ' +
        'or set rolled_back_at in _prisma_migrations) and start again',
    );
  }
  const done = new Map(
    rows
      .filter((row) => row.finished_at !== null && row.rolled_back_at === null)
      .map((row) => [row.migration_name, row]),
  );

  const edited = migrations
    .filter(({ name, sql }) => done.has(name) && done.get(name)!.checksum !== migrationChecksum(sql))
    .map(({ name }) => name);
  for (const name of edited) {
    log?.warn(`migration ${name} was changed after it was applied; write a new migration instead`);
  }

  const applied: string[] = [];
  for (const { name, sql } of migrations) {
    if (done.has(name)) continue;
    const id = randomUUID();
    await session.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
      [id, migrationChecksum(sql), name],
    );
    try {
      await session.script(sql);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await session.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message]);
      throw new Error(`migration ${name} failed: ${message}`);
    }
    await session.query(
      'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1',
      [id],
    );
    log?.info(`applied migration ${name}`);
    applied.push(name);
  }
  return { applied, edited };
}

/** Runs `fn` on a connection of its own holding the migration advisory lock. */
async function withAdvisoryLock<T>(
  databaseUrl: string,
  timeoutMillis: number,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  // A session lock must be released on the session that took it, so not a pooled connection.
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMillis))}`);
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]).catch((error) => {
      if ((error as { code?: string }).code !== '55P03') throw error;
      throw new Error(
        `gave up after ${timeoutMillis} ms waiting for another instance to finish migrating ` +
          `(PostgreSQL advisory lock ${MIGRATION_LOCK_KEY})`,
      );
    });
    // The wait is over; a migration's own statements run without that limit, as under Prisma.
    await client.query('SET lock_timeout = 0');
    try {
      return await fn(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await client.end();
  }
}

const inProcess = new WeakMap<object, Promise<unknown>>();

/** PGlite is one process's; concurrent calls in that process just queue up. */
function serializeInProcess<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const previous = inProcess.get(key) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  inProcess.set(
    key,
    next.catch(() => {}),
  );
  return next;
}
