/**
 * Embedded PostgreSQL (PGlite) on a data directory, with what PGlite itself leaves out: an
 * exclusive lock on the directory (server/db/directory-lock.ts), its WebAssembly compiled once
 * per process (server/db/pglite-wasm.ts), start settings for one embedded connection, and a first
 * start that copies a template made at build time instead of running initdb.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { lockDirectory } from './directory-lock';
import { migrationChecksum, readMigrationFiles } from './migration-files';
import { compilePgliteWasm, pgliteDist } from './pglite-wasm';

/** dataDir value that keeps the database in memory (tests, experiments). */
export const IN_MEMORY = 'memory://';

/** Name of the lock file kept next to the PGlite directory while it is open. */
const LOCK_FILE = 'pglite.lock';

/**
 * PGlite's file-system bundle (pglite.data, 6 MB: PostgreSQL's share/ directory), which PGlite
 * asks for with `arrayBuffer()` once per open. A Blob holding the file's bytes cost four copies
 * of them at every start (read, Blob, Node's chunked read of the Blob, and their concatenation),
 * on the main thread; here each open reads the file once, asynchronously, into a buffer that is
 * PGlite's alone (it unpacks the bundle into its in-memory file system, which may keep it).
 */
class FileBundle extends Blob {
  readonly #path: string;

  constructor(path: string) {
    super([]);
    this.#path = path;
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await readFile(this.#path);
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }
}

/**
 * Settings passed on PGlite's command line, over those in the data directory's postgresql.conf
 * (initdb's defaults, written for a server with many connections). PostgreSQL zeroes its shared
 * memory at every start, which in WebAssembly took about 0.6 s of CPU for the default 128 MB of
 * buffers; one embedded connection reads through the operating system's file cache anyway.
 * initdb's 100 connections sized the rest (3 of the 24 MB: a slot and locks for each); PGlite
 * runs one. Ten leave its one transaction room for about 1 500 locks, far more than a migration
 * takes.
 */
const START_SETTINGS = ['shared_buffers=16MB', 'max_connections=10'];

async function pgliteOptions(withInitdb: boolean) {
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    compilePgliteWasm('pglite'),
    withInitdb ? compilePgliteWasm('initdb') : undefined,
  ]);
  return {
    pgliteWasmModule,
    ...(initdbWasmModule ? { initdbWasmModule } : {}),
    fsBundle: new FileBundle(join(pgliteDist(), 'pglite.data')),
    startParams: [...PGlite.defaultStartParams, ...START_SETTINGS.flatMap((setting) => ['-c', setting])],
  };
}

export interface OpenPglite {
  pglite: PGlite;
  /** How the database came to be: made by initdb, copied from the build's template, or opened as it was. */
  origin: 'initdb' | 'template' | 'existing' | 'memory';
  /** Closes the database and releases the directory lock. */
  close(): Promise<void>;
}

/**
 * Opens (creating on first use) the PGlite database in `pgDir`, or an in-memory one when `pgDir`
 * is {@link IN_MEMORY}. A new directory starts as a copy of the build's template when there is
 * one for this PGlite version (`npm run build`), else PGlite runs initdb (several seconds).
 * Throws when another live process holds the directory.
 */
export async function openPglite(
  pgDir: string,
  { templateDir = PGLITE_TEMPLATE_DIR }: { templateDir?: string } = {},
): Promise<OpenPglite> {
  if (pgDir === IN_MEMORY) {
    const pglite = await PGlite.create(IN_MEMORY, await pgliteOptions(true));
    return { pglite, origin: 'memory', close: () => pglite.close() };
  }
  const lock = await lockDirectory(dirname(pgDir), LOCK_FILE, `PGlite data directory ${pgDir}`).catch(
    (error: Error) => {
      throw /in use/.test(error.message)
        ? new Error(
            `${error.message}; PGlite allows one process per directory (run several instances on PostgreSQL via DATABASE_URL instead)`,
          )
        : error;
    },
  );
  try {
    const origin = existsSync(join(pgDir, 'PG_VERSION'))
      ? 'existing'
      : (await copyTemplate(templateDir, pgDir))
        ? 'template'
        : 'initdb';
    const pglite = await PGlite.create(pgDir, await pgliteOptions(origin === 'initdb'));
    return {
      pglite,
      origin,
      close: async () => {
        try {
          if (!pglite.closed) await pglite.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * The build's template: a PGlite data directory fresh from initdb with the repository's
 * migrations applied (`pgdata/`), the PGlite version that made it (`version`), and the
 * migrations it holds (`migrations`, one `<checksum> <name>` a line). Two levels up from this
 * file, and equally from the built server (dist/server/server.mjs).
 */
export const PGLITE_TEMPLATE_DIR = fileURLToPath(new URL('../../dist/pglite-template/', import.meta.url));

/** The installed PGlite's version (its package.json is not among the package's exports: read the file). */
function pgliteVersion(): string {
  return (JSON.parse(readFileSync(join(pgliteDist(), '..', 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** A list of migrations as the template records it. */
function migrationLines(migrations: { name: string; checksum: string }[]): string {
  return migrations.map(({ name, checksum }) => `${checksum} ${name}\n`).join('');
}

/**
 * Whether the template's migrations are the first of the repository's, file for file: then the
 * migration runner only adds the rest. A template built before a migration was edited or removed
 * (a development tree built earlier) is not used.
 */
export async function templateMigrationsMatch(recorded: string, migrationsDir?: string): Promise<boolean> {
  const current = migrationLines(
    (await readMigrationFiles(migrationsDir)).map(({ name, sql }) => ({
      name,
      checksum: migrationChecksum(sql),
    })),
  );
  return current.startsWith(recorded);
}

/**
 * Copies the template into `pgDir` (through a temporary sibling renamed into place, so a start
 * killed mid-copy leaves no half database behind). False when there is no usable template.
 */
async function copyTemplate(templateDir: string, pgDir: string): Promise<boolean> {
  const read = (name: string) => readFile(join(templateDir, name), 'utf8').catch(() => null);
  const [version, recorded] = await Promise.all([read('version'), read('migrations')]);
  if (
    version?.trim() !== pgliteVersion() ||
    recorded === null ||
    !(await templateMigrationsMatch(recorded))
  ) {
    return false;
  }
  const partial = `${pgDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await copyDirectory(join(templateDir, 'pgdata'), partial);
  // The template is world-readable; the database is its owner's alone, as initdb makes it.
  await chmod(partial, 0o700);
  // An empty directory (a freshly mounted volume, say) may already stand where the database goes.
  await rmdir(pgDir).catch(() => {});
  await rename(partial, pgDir);
  return true;
}

/**
 * `cp -R`, which copies the template's ~1000 files in about a third of the CPU time of Node's
 * fs.cp; fs.cp where there is no `cp`.
 */
export async function copyDirectory(from: string, to: string): Promise<void> {
  if (process.platform !== 'win32') {
    try {
      await promisify(execFile)('cp', ['-R', from, to]);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  await cp(from, to, { recursive: true });
}

/**
 * Writes the template (`npm run build`): initdb on a scratch directory, `migrate` (the migration
 * runner, passed in by the build), closed cleanly, then moved into place. A first start then
 * copies a database that is already up to date instead of running initdb and every migration.
 */
export async function writePgliteTemplate(
  migrate: (pglite: PGlite) => Promise<unknown>,
  target: string = PGLITE_TEMPLATE_DIR,
): Promise<void> {
  const scratch = `${target.replace(/\/+$/, '')}.partial`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const pglite = await PGlite.create(join(scratch, 'pgdata'), await pgliteOptions(true));
  try {
    await migrate(pglite);
    const { rows } = await pglite.query<{ name: string; checksum: string }>(
      `SELECT migration_name AS name, checksum FROM "_prisma_migrations"
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY started_at, migration_name`,
    );
    await writeFile(join(scratch, 'migrations'), migrationLines(rows));
  } finally {
    await pglite.close();
  }
  await writeFile(join(scratch, 'version'), `${pgliteVersion()}\n`);
  // initdb leaves its files readable by their owner only; the template holds no secret, and
  // the server may run as another user than the build (the container image's uid 1000).
  for (const entry of await readdir(scratch, { recursive: true, withFileTypes: true })) {
    await chmod(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
  await rm(target, { recursive: true, force: true });
  await rename(scratch, target);
}
