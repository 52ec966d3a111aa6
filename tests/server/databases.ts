/**
 * Test databases: every database-touching test runs on PGlite and on PostgreSQL.
 *
 *   forEachDatabase((target) => {
 *     const db = useDatabase(target); // fresh, migrated database for this suite, closed after it
 *     it('stores a user', async () => { await db().prisma.user.create(...) });
 *   });
 *
 * or, by hand, `const db = await freshDatabase('postgres')` … `await db.close()`.
 *
 * - PGlite: a private copy of a migrated template data directory in the OS temp dir (a fresh
 *   PGlite runs initdb, ~5 s; copying a ready one and opening it takes under a second). The
 *   template is built once per migration history and shared by test processes.
 * - PostgreSQL: a new database `mifeng_test_<time>_<random>` on the server at MIFENG_TEST_PG_URL
 *   (default postgres://postgres@127.0.0.1:5432/postgres), migrated, dropped WITH (FORCE) on
 *   close (ones leaked by killed runs are dropped after 6 h). When no server answers, the
 *   PostgreSQL suites are skipped with the reason (tests/support/services.ts; a failure under CI=true).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { createScratchDatabase, PG_ADMIN_URL, postgresUnavailable } from '../../harness/postgres-admin';
import { connectDatabase, type Database, type DatabaseKind, pgliteDirectory } from '../../server/db/connect';
import { MIGRATIONS_DIR, migrateDatabase, readMigrations } from '../../server/db/migrations';
import { copyDirectory } from '../../server/db/pglite';
import type { PrismaClient } from '../../server/generated/prisma/client';
import { requireService } from '../support/services';

export interface DatabaseTarget {
  kind: DatabaseKind;
  /** Suite title: "PGlite" or "PostgreSQL". */
  name: string;
  /** Why this target's suites are skipped, or undefined when it is available. */
  skip?: string;
}

export interface FreshDatabase {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** The open connection, for code that takes a Database (e.g. buildApp's database option). */
  database: Database;
  /** Set for PostgreSQL: a URL to this database only (e.g. for a second connection or a child process). */
  databaseUrl?: string;
  /** DATA_DIR to hand to code that needs one; for PGlite it holds this database's files. */
  dataDir: string;
  /** Closes the connection and deletes the database and its directory. */
  close(): Promise<void>;
}

export interface FreshOptions {
  /** Apply prisma/migrations (default true); false gives an empty database. */
  migrate?: boolean;
}

const postgresSkip = await requireService('PostgreSQL', () => postgresUnavailable());

const databases: DatabaseTarget[] = [
  { kind: 'pglite', name: 'PGlite' },
  { kind: 'postgres', name: 'PostgreSQL', ...(postgresSkip ? { skip: postgresSkip } : {}) },
];

/** Registers one `describe` per target (skipped, with its reason, when the target is unavailable). */
export function forEachDatabase(fn: (target: DatabaseTarget) => void): void {
  for (const target of databases) {
    describe(target.name, target.skip ? { skip: target.skip } : {}, () => fn(target));
  }
}

/**
 * Gives the current suite a fresh database, opened before its first test and closed after its
 * last. Returns a getter, since the database exists only once the suite runs.
 */
export function useDatabase(target: DatabaseTarget, options: FreshOptions = {}): () => FreshDatabase {
  let db: FreshDatabase | undefined;
  before(async () => {
    db = await freshDatabase(target.kind, options);
  });
  after(async () => {
    await db?.close();
  });
  return () => {
    if (!db) throw new Error('useDatabase(): the database is opened in before(); use it inside tests');
    return db;
  };
}

export async function freshDatabase(kind: DatabaseKind, options: FreshOptions = {}): Promise<FreshDatabase> {
  if (kind === 'postgres') {
    if (postgresSkip) throw new Error(postgresSkip);
    return freshPostgres(options);
  }
  return freshPglite(options);
}

/** Test databases are named `mifeng_test_<creation time, base 36>_<random>`. */
const TEST_DB_PREFIX = 'mifeng_test_';
/** Older test databases were left by a killed run; no test run lasts this long. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;
let sweep: Promise<void> | undefined;

/** Drops databases leaked by test processes that were killed before they could clean up. */
async function dropStaleTestDatabases(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE '${TEST_DB_PREFIX}%'`,
    );
    for (const { datname } of rows) {
      const created = Number.parseInt(datname.slice(TEST_DB_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(created) && Date.now() - created > STALE_AFTER_MS) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
      }
    }
  } finally {
    await client.end();
  }
}

async function freshPostgres(options: FreshOptions): Promise<FreshDatabase> {
  sweep ??= dropStaleTestDatabases().catch(() => {});
  await sweep;
  const name = `${TEST_DB_PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const scratch = await createScratchDatabase(name);
  const databaseUrl = scratch.url;
  const dataDir = await mkdtemp(join(tmpdir(), 'mifeng-test-'));
  const drop = async () => {
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  let database: Database | undefined;
  try {
    database = await connectDatabase({ databaseUrl, dataDir, poolSize: 5 });
    if (options.migrate !== false) await migrateDatabase({ database });
  } catch (error) {
    await database?.close();
    await drop();
    throw error;
  }
  return opened('postgres', database, dataDir, drop, databaseUrl);
}

/**
 * A new temporary DATA_DIR already holding a migrated PGlite database (not opened), for tests that
 * run the server or a child process on a data directory of their own. The caller deletes it.
 */
export async function migratedDataDir(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mifeng-test-'));
  try {
    await copyDirectory(pgliteDirectory(await pgliteTemplate()), pgliteDirectory(dataDir));
    return dataDir;
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function freshPglite(options: FreshOptions): Promise<FreshDatabase> {
  const dataDir = await migratedDataDir();
  let database: Database | undefined;
  try {
    database = await connectDatabase({ dataDir });
    if (options.migrate === false) {
      // Back to what initdb leaves, without paying for another initdb.
      await database.prisma.$executeRawUnsafe('DROP SCHEMA public CASCADE');
      await database.prisma.$executeRawUnsafe('CREATE SCHEMA public');
    }
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return opened('pglite', database, dataDir, () => rm(dataDir, { recursive: true, force: true }));
}

/** A FreshDatabase over the open `database`; close() closes it once, then runs `cleanup`. */
function opened(
  kind: DatabaseKind,
  database: Database,
  dataDir: string,
  cleanup: () => Promise<void>,
  databaseUrl?: string,
): FreshDatabase {
  let closing: Promise<void> | undefined;
  return {
    kind,
    prisma: database.prisma,
    database,
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    dataDir,
    close: () => {
      closing ??= database.close().finally(cleanup);
      return closing;
    },
  };
}

let template: Promise<string> | undefined;

/**
 * A DATA_DIR holding a freshly migrated PGlite database, named after everything that shapes it
 * (PGlite version, migration history), so a changed migration builds a new one. Built into a
 * private directory and renamed into place, so concurrent test processes never see half of it.
 */
function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const require = createRequire(import.meta.url);
    const pgliteVersion = JSON.parse(
      await readFile(join(require.resolve('@electric-sql/pglite'), '..', '..', 'package.json'), 'utf8'),
    ).version as string;
    const hash = createHash('sha256').update(`pglite ${pgliteVersion}\n`);
    for (const migration of (await readMigrations(MIGRATIONS_DIR)).migrationDirectories) {
      const content = migration.migrationFile.content;
      hash.update(`${migration.path}\n${content.tag === 'ok' ? content.value : ''}\n`);
    }
    const dir = join(tmpdir(), `mifeng-pglite-template-${hash.digest('hex').slice(0, 16)}`);
    if (await exists(join(dir, 'ready'))) return dir;

    const building = `${dir}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await migrateDatabase({ dataDir: building });
      await writeFile(join(building, 'ready'), `${new Date().toISOString()}\n`);
      await rename(building, dir);
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      // Another process finished first: theirs is as good as ours.
      if (!(await exists(join(dir, 'ready')))) throw error;
    }
    return dir;
  })();
  return template;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
