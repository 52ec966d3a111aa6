/**
 * The Prisma driver adapter for PGlite (pglite-prisma-adapter), with one defect corrected:
 * its executeScript() starts the script without awaiting it, so a failing migration was reported
 * as applied (recorded as finished in _prisma_migrations) and its error escaped as an unhandled
 * rejection. Scripts here run to completion and their errors reach the schema engine.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { IN_MEMORY, openPglite } from './pglite';

export function pgliteAdapterFactory(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const inner = new PrismaPGlite(pglite);
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => awaitScripts(await inner.connect(), pglite),
    // The stock shadow database is a PGlite that is never closed; this one is closed on dispose.
    connectToShadowDb: async () => {
      const shadow = await openPglite(IN_MEMORY);
      const adapter = awaitScripts(await new PrismaPGlite(shadow.pglite).connect(), shadow.pglite);
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await shadow.close();
      };
      return adapter;
    },
  };
}

function awaitScripts(adapter: SqlDriverAdapter, pglite: PGlite): SqlDriverAdapter {
  // onError turns a PostgreSQL error into the DriverAdapterError the engine understands.
  const { onError } = adapter as unknown as { onError(error: unknown): never };
  adapter.executeScript = async (script: string) => {
    try {
      await pglite.exec(script);
    } catch (error) {
      onError.call(adapter, error);
    }
  };
  return adapter;
}
