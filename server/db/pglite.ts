/**
 * Embedded PostgreSQL (PGlite) on a data directory, with the two things PGlite itself leaves out:
 * an exclusive lock on the directory (PGlite lets two processes open one directory and both write
 * to it, which corrupts it) and a per-process cache of its compiled WebAssembly.
 */
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type WasmModule, wasm } from './wasm';

/** dataDir value that keeps the database in memory (tests, experiments). */
export const IN_MEMORY = 'memory://';

/** Name of the lock file kept next to the PGlite directory while it is open. */
const LOCK_FILE = 'pglite.lock';

interface PgliteAssets {
  pgliteWasmModule: WasmModule;
  initdbWasmModule: WasmModule;
  fsBundle: Blob;
}

let assets: Promise<PgliteAssets> | undefined;

/**
 * PGlite compiles ~9 MB of wasm on every open unless handed the compiled modules; tests open many
 * databases per process, so compile once.
 */
function pgliteAssets(): Promise<PgliteAssets> {
  assets ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@electric-sql/pglite'));
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
      wasm.compile(readFileSync(join(dist, 'pglite.wasm'))),
      wasm.compile(readFileSync(join(dist, 'initdb.wasm'))),
    ]);
    return {
      pgliteWasmModule,
      initdbWasmModule,
      fsBundle: new Blob([readFileSync(join(dist, 'pglite.data'))]),
    };
  })();
  return assets;
}

export interface OpenPglite {
  pglite: PGlite;
  /** Closes the database and releases the directory lock. */
  close(): Promise<void>;
}

/**
 * Opens (creating on first use) the PGlite database in `pgDir`, or an in-memory one when `pgDir`
 * is {@link IN_MEMORY}. Throws when another live process holds the directory.
 */
export async function openPglite(pgDir: string): Promise<OpenPglite> {
  const options = await pgliteAssets();
  if (pgDir === IN_MEMORY) {
    const pglite = await PGlite.create(IN_MEMORY, options);
    return { pglite, close: () => pglite.close() };
  }
  const release = await lockDirectory(pgDir);
  try {
    const pglite = await PGlite.create(pgDir, options);
    return {
      pglite,
      close: async () => {
        try {
          if (!pglite.closed) await pglite.close();
        } finally {
          await release();
        }
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Takes `<parent of pgDir>/pglite.lock` with O_EXCL, recording our pid. A lock left by a process
 * that no longer exists (kill -9, power loss) is taken over; PostgreSQL's own crash recovery
 * then runs on open.
 */
async function lockDirectory(pgDir: string): Promise<() => Promise<void>> {
  const parent = dirname(pgDir);
  await mkdir(parent, { recursive: true });
  const lockPath = join(parent, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `PGlite data directory ${pgDir} is in use by process ${holder}; PGlite allows one process per ` +
          'directory (run several instances on PostgreSQL via DATABASE_URL instead)',
      );
    }
    if (holder === process.pid) {
      throw new Error(`PGlite data directory ${pgDir} is already open in this process`);
    }
    await rm(lockPath, { force: true });
  }
  throw new Error(`could not lock PGlite data directory ${pgDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
