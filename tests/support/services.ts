/**
 * The services some suites need (PostgreSQL, Redis, nginx, redis-server, Chromium, JavaScriptCore's
 * `jsc`), probed one way for every suite:
 *
 *   const skip = await requireService('PostgreSQL', postgresUnavailable);
 *   describe('on PostgreSQL', { skip }, () => { … });
 *
 * A probe answers why the service cannot be used, or nothing when it can. It is retried, with a
 * pause, before the service counts as missing, because a probe that times out on a loaded machine
 * is not a missing service. A missing service skips the suite with the reason
 * `service unavailable: <name>: <why>`, which `npm test` names in its closing summary; under
 * CI=true it fails the test file
 * instead, so CI cannot go green on a run that did not run.
 */
import { Redis } from 'ioredis';
import { hasCommand, sleep } from '../../harness/net';

/** Every skip reason requireService gives starts with this, so a missing service reads alike everywhere. */
const SKIP_PREFIX = 'service unavailable';

/** Why the service cannot be used (a message), or undefined/false when it can. */
export type Probe = () => Promise<string | false | undefined> | string | false | undefined;

/** How often a probe is tried, and the pause between tries. */
const ATTEMPTS = 3;
const PAUSE_MS = 2000;

/**
 * `false` when `probe` finds the service (use it as `{ skip }`), else the skip reason. Under
 * CI=true a missing service throws instead, failing the file that needs it.
 */
export async function requireService(name: string, probe: Probe): Promise<string | false> {
  let why: string | false | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      why = await probe();
    } catch (error) {
      why = (error as Error).message;
    }
    if (!why) return false;
    if (attempt < ATTEMPTS) await sleep(PAUSE_MS);
  }
  const reason = `${SKIP_PREFIX}: ${name}: ${why}`;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: a missing service fails the run)`);
  console.log(`# skipping: ${reason}`);
  return reason;
}

/** A probe for an installed command (`nginx`, `redis-server`, `jsc`, or an absolute path). */
export function commandProbe(command: string, install: string): Probe {
  return () => (hasCommand(command) ? undefined : `${command} is not installed (apt-get install ${install})`);
}

/** JavaScriptCore's shell, Safari's engine, for running the lib the way iOS WeChat would. */
export const jscProbe = commandProbe('jsc', 'libjavascriptcoregtk-4.0-bin');

/** The Redis server the Redis-backed tests share (MIFENG_TEST_REDIS_URL). */
export const TEST_REDIS_URL = process.env.MIFENG_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** Whether Redis at `url` answers PING, with a timeout generous enough for a loaded machine. */
export async function redisUnavailable(url = TEST_REDIS_URL): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 10_000, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return `Redis not reachable at ${url}: ${(error as Error).message}`;
  } finally {
    client.disconnect();
  }
}
