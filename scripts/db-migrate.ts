// `npm run db:migrate`: applies pending migrations to the configured database — PostgreSQL when
// DATABASE_URL is set, else PGlite in DATA_DIR (default ./data). The server also does this at start.
import { databaseKind, migrateDatabase } from '../server/db';

const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = process.env.DATA_DIR || './data';
const started = performance.now();
// Applied migrations are summarized below; warnings (an edited migration) go out as they come.
const log = { info: () => {}, warn: console.warn, error: console.error };
const { applied } = await migrateDatabase({ databaseUrl, dataDir, log });
const where = databaseKind({ databaseUrl }) === 'postgres' ? 'PostgreSQL' : `PGlite in ${dataDir}`;
const took = `${Math.round(performance.now() - started)} ms`;
console.log(
  applied.length === 0
    ? `${where}: up to date (${took})`
    : `${where}: applied ${applied.length} migration(s) in ${took}:\n${applied.map((n) => `  ${n}`).join('\n')}`,
);
