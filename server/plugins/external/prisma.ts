/**
 * `fastify.prisma` (the Prisma 7 client) and `fastify.database` (its kind and close): PGlite in
 * `DATA_DIR` by default, PostgreSQL when `DATABASE_URL` is set (server/db). Pending migrations are
 * applied at start (safe when several instances start together). Disconnects in `onClose`.
 *
 * Tests pass an already-open `database` (tests/server/databases.ts); it is then neither migrated
 * nor closed here — its owner does both.
 */
import fp from 'fastify-plugin';
import { connectDatabase, type Database } from '../../db/connect';
import { migrateDatabase } from '../../db/migrations';
import { Prisma, type PrismaClient } from '../../generated/prisma/client';

/** Prisma's SQL template tag, for query fragments that repositories reuse inside `$queryRaw`. */
export const sql = Prisma.sql;

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
    database: Database;
  }
}

export interface PrismaPluginOptions {
  database?: Database;
}

export default fp<PrismaPluginOptions>(
  async (fastify, opts) => {
    let database = opts.database;
    if (!database) {
      const log = {
        info: (m: string) => fastify.log.info(m),
        warn: (m: string) => fastify.log.warn(m),
        error: (m: string) => fastify.log.error(m),
      };
      const { DATABASE_URL, DATA_DIR } = fastify.config;
      const started = performance.now();
      database = await connectDatabase({
        ...(DATABASE_URL ? { databaseUrl: DATABASE_URL } : {}),
        dataDir: DATA_DIR,
        log,
      });
      const opened = database;
      fastify.addHook('onClose', async () => opened.close());
      const connected = performance.now();
      await migrateDatabase({ database, log });
      // Start-up figures for the log (docs/operations.md quotes them).
      fastify.log.info(
        {
          database: database.kind,
          origin: database.origin,
          openMs: Math.round(connected - started),
          migrateMs: Math.round(performance.now() - connected),
        },
        'database ready',
      );
    }
    fastify.decorate('database', database);
    fastify.decorate('prisma', database.prisma);
  },
  { name: 'prisma', dependencies: ['config'] },
);
