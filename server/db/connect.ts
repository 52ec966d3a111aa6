/**
 * The database connection: a Prisma 7 client over a driver adapter, on embedded PGlite by default
 * or on a PostgreSQL server when a postgres:// URL is given (docs/database.md). No query engine binary:
 * the generated client plans queries with its WASM compiler and the adapter runs them.
 */
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { IN_MEMORY, type OpenPglite, openPglite } from './pglite';
import { pgliteAdapterFactory } from './pglite-adapter';

export type DatabaseKind = 'pglite' | 'postgres';

/** Where log lines go; a pino/Fastify logger fits, so does `console`. */
export interface DatabaseLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ConnectOptions {
  /** A postgres:// (or postgresql://) URL selects PostgreSQL; unset or empty selects PGlite. */
  databaseUrl?: string;
  /** DATA_DIR. PGlite keeps its files in `<dataDir>/pglite`; `memory://` keeps them in memory. */
  dataDir: string;
  /** PostgreSQL pool size per instance (default 10). */
  poolSize?: number;
  /** How long a query waits for a pooled PostgreSQL connection before failing (default 5000 ms). */
  connectionTimeoutMillis?: number;
  log?: DatabaseLog;
}

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** PostgreSQL only: the connection pool, whose counts /metrics reports. */
  pool?: Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'>;
  /** PGlite: whether this start ran initdb, copied the build's template, or opened an existing directory. */
  origin: OpenPglite['origin'] | 'server';
  /** Disconnects Prisma and closes the pool or the PGlite instance. Safe to call twice. */
  close(): Promise<void>;
}

/** What migrateDatabase needs from an open Database, kept off its public shape. */
export interface DatabaseInternals {
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** PostgreSQL: the URL, for connections of the migration runner's own. */
  databaseUrl?: string;
  /** PGlite: the instance itself, which the migration runner drives directly. */
  pglite?: PGlite;
}

const internals = new WeakMap<Database, DatabaseInternals>();

export function databaseInternals(database: Database): DatabaseInternals {
  const found = internals.get(database);
  if (!found) throw new TypeError('database: not a Database returned by connectDatabase()');
  return found;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** Which backend these options select; throws on a DATABASE_URL that is not a postgres URL. */
export function databaseKind(options: Pick<ConnectOptions, 'databaseUrl'>): DatabaseKind {
  const url = options.databaseUrl?.trim();
  if (!url) return 'pglite';
  if (POSTGRES_URL.test(url)) return 'postgres';
  throw new RangeError('DATABASE_URL must be a postgres:// or postgresql:// URL (unset it to use PGlite)');
}

/** The directory PGlite uses under DATA_DIR. */
export function pgliteDirectory(dataDir: string): string {
  return dataDir === IN_MEMORY ? IN_MEMORY : join(dataDir, 'pglite');
}

/**
 * Interactive transactions wait for one another on row locks and on the transparency log's append
 * lock; Prisma's defaults (2 s to start, 5 s to finish) turn a burst of key changes on a busy
 * machine into expired transactions. A transaction that still cannot finish is answered 503 with
 * Retry-After (server/errors.ts), which clients retry.
 */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 20_000 };

export async function connectDatabase(options: ConnectOptions): Promise<Database> {
  return databaseKind(options) === 'postgres'
    ? connectPostgres(options.databaseUrl!.trim(), options)
    : connectPglite(options);
}

async function connectPglite(options: ConnectOptions): Promise<Database> {
  const opened = await openPglite(pgliteDirectory(options.dataDir));
  const factory = pgliteAdapterFactory(opened.pglite);
  const prisma = new PrismaClient({ adapter: factory, transactionOptions: TRANSACTION_OPTIONS });
  let closing: Promise<void> | undefined;
  const database: Database = {
    prisma,
    kind: 'pglite',
    origin: opened.origin,
    close: () => {
      closing ??= prisma.$disconnect().finally(() => opened.close());
      return closing;
    },
  };
  internals.set(database, { factory, pglite: opened.pglite });
  return database;
}

async function connectPostgres(databaseUrl: string, options: ConnectOptions): Promise<Database> {
  // Imported here, so a start on the embedded database does not load PostgreSQL's client.
  const [{ default: pgModule }, { PrismaPg }] = await Promise.all([
    import('pg'),
    import('@prisma/adapter-pg'),
  ]);
  const pool = new pgModule.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
  });
  // An idle client dropped by the server (restart, failover) is reported on the pool; without a
  // listener Node treats it as an unhandled 'error' event and the process exits.
  pool.on('error', (error) => options.log?.warn(`PostgreSQL pool: idle connection lost: ${error.message}`));
  const factory = new PrismaPg(pool, {
    onConnectionError: (error) => options.log?.warn(`PostgreSQL connection error: ${error.message}`),
  });
  const prisma = new PrismaClient({ adapter: factory, transactionOptions: TRANSACTION_OPTIONS });
  let closing: Promise<void> | undefined;
  const database: Database = {
    prisma,
    kind: 'postgres',
    pool,
    origin: 'server',
    close: () => {
      closing ??= prisma.$disconnect().finally(() => pool.end());
      return closing;
    },
  };
  internals.set(database, { factory, databaseUrl });
  return database;
}
