/**
 * Entry point (`npm start`): validates the environment (and `.env`), builds the app with a logger that redacts
 * credentials and bodies, listens, and closes gracefully on SIGINT/SIGTERM (stop accepting, finish
 * in-flight requests, stop jobs, close the database).
 *
 * The application is imported only once the configuration is read: on the embedded database,
 * PGlite's WebAssembly then compiles on a worker thread while the main thread loads
 * Fastify and the routes (in the built server every package is inlined and evaluated lazily,
 * and the built entry has started that compilation before, server/built-entry.ts).
 */
import { loadavg } from 'node:os';
import { codeCacheState } from './code-cache';
import { ConfigError, loadConfig, readEnvironment } from './config';
import { precompilePglite } from './db/pglite-wasm';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(readEnvironment());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`mifeng: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  if (!config.DATABASE_URL) precompilePglite();
  const configuredMs = performance.now();
  const [{ buildApp }, { loggerOptions }] = await Promise.all([import('./app'), import('./logger')]);
  const loadedMs = performance.now();
  const app = await buildApp(config, {}, { logger: loggerOptions(config.LOG_LEVEL) });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.PORT, host: config.HOST });
  // Time since the process started (performance.now() counts from there), the CPU time that
  // took, and the machine's load: on a busy machine the first grows, the second does not.
  // configMs and loadMs split off the time before the database is opened: Node and the
  // configuration, then loading the application's code. codeCache: what the built server's
  // entry did with its code cache (server/code-cache.ts); absent when run from source.
  const cpu = process.cpuUsage();
  app.log.info(
    {
      readyMs: Math.round(performance.now()),
      configMs: Math.round(configuredMs),
      loadMs: Math.round(loadedMs - configuredMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      codeCache: codeCacheState(),
      loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    },
    `Mifeng API on ${config.PUBLIC_URL} (database: ${app.database.kind}); OpenAPI at /docs`,
  );
}

main().catch((err) => {
  console.error('mifeng: failed to start:', err);
  process.exit(1);
});
