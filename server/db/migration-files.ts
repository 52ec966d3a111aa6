/**
 * The migrations as files: Prisma's standard layout (`prisma/migrations/<timestamp>_<name>/migration.sql`)
 * and the checksum Prisma records for each. No database here, so both the migration runner
 * (server/db/migrations.ts) and the embedded database's template (server/db/pglite.ts) read them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's prisma/ folder. Two levels up from this file, and equally from the built
 * server (dist/server/server.mjs), so the one expression serves both.
 */
const PRISMA_DIR = fileURLToPath(new URL('../../prisma/', import.meta.url));
export const SCHEMA_PATH = join(PRISMA_DIR, 'schema.prisma');
export const MIGRATIONS_DIR = join(PRISMA_DIR, 'migrations');

/** One migration folder: its name and the SQL of its migration.sql. */
export interface MigrationFile {
  name: string;
  sql: string;
}

/** The migration folders under `migrationsDir`, oldest first (their names start with a UTC timestamp). */
export async function readMigrationFiles(migrationsDir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = existsSync(migrationsDir) ? await readdir(migrationsDir, { withFileTypes: true }) : [];
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      sql: await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8'),
    })),
  );
}

/**
 * A migration's checksum as Prisma records it: SHA-256 of the file's bytes, lower-case hex
 * (prisma-engines, migration-connector `checksum.rs`).
 */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}
