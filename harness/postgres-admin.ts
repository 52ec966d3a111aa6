/**
 * The PostgreSQL server that tests, benchmarks and the local cluster create scratch databases on
 * (MIFENG_TEST_PG_URL; by default the local trust-auth server), and the admin statements they need.
 */
import pg from 'pg';

export const PG_ADMIN_URL = process.env.MIFENG_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** `url` with any password masked, for messages. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Runs `sql` on a connection of its own to the server's admin database. */
export async function adminQuery<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  adminUrl = PG_ADMIN_URL,
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Why the server at `adminUrl` cannot be used, or undefined when it answers. The connect timeout
 * is generous: on a loaded machine a short one reads as a missing server.
 */
export async function postgresUnavailable(adminUrl = PG_ADMIN_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${redactUrl(adminUrl)}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops the database, disconnecting whoever is still on it; calling it again does nothing more. */
  drop(): Promise<void>;
}

/** Creates the empty database `name` (a plain identifier) beside the admin database. */
export async function createScratchDatabase(name: string, adminUrl = PG_ADMIN_URL): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`not a plain database name: ${name}`);
  await adminQuery(`CREATE DATABASE ${name}`, adminUrl);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () => {
      dropping ??= adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, adminUrl).then(() => {});
      return dropping;
    },
  };
}
