/**
 * A Mifeng cluster on loopback: N API instances (server/server.ts, one process each) on one
 * PostgreSQL database and one Redis, behind nginx configured by deploy/nginx/mifeng.conf, the
 * deployment docs/operations.md describes. Used by the load test (harness/load-test.ts) and the
 * fault tests (tests/faults/), and runnable by hand:
 *
 *   node --import tsx harness/cluster.ts [--instances 2] [--port 8080]   (Ctrl-C stops it)
 *
 * Every instance gets the same JWT_SECRET, PHONE_PEPPER, LOG_SIGNING_KEY, DATABASE_URL and REDIS_URL. Unless told
 * otherwise, the database is a fresh one created on the PostgreSQL server at MIFENG_TEST_PG_URL
 * (default postgres://postgres@127.0.0.1:5432/postgres) and dropped on stop, and Redis is a private
 * `redis-server` on a free port (no persistence), stopped on stop. Only loopback is used.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, hasCommand, sleep, waitForHttp } from './net';
import {
  createScratchDatabase,
  PG_ADMIN_URL,
  postgresUnavailable,
  type ScratchDatabase,
} from './postgres-admin';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const NGINX_CONF = join(ROOT, 'deploy', 'nginx', 'mifeng.conf');

/** Why nginx / PostgreSQL / redis-server cannot be used here, or undefined when they can. */
export async function clusterUnavailable(): Promise<string | undefined> {
  if (!hasCommand('nginx')) return 'nginx is not installed (apt-get install -y nginx)';
  if (!hasCommand('redis-server')) return 'redis-server is not installed';
  return postgresUnavailable();
}

/** Resolves when the child exits (immediately if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal`, waits up to `ms` for the exit, then SIGKILLs. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const done = await Promise.race([exited(child).then(() => true), sleep(ms).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited(child);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export type ClusterDatabase = ScratchDatabase;

/** A new, empty database on the server at `adminUrl`; the instances migrate it when they start. */
export function createDatabase(adminUrl = PG_ADMIN_URL): Promise<ClusterDatabase> {
  return createScratchDatabase(`mifeng_cluster_${randomBytes(6).toString('hex')}`, adminUrl);
}

// ---------------------------------------------------------------------------------------------
// Redis

export interface RedisServer {
  url: string;
  port: number;
  /** Stops it (SIGTERM); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A private redis-server on a free loopback port, without persistence. */
export async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ok = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim();
      if (ok === 'PONG') return;
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
      await sleep(100);
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      if (child) await terminate(child, 'SIGTERM', 5000);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// API instances

export interface InstanceOptions {
  /** Environment for server/server.ts (PORT and HOST are set here). */
  env: Record<string, string>;
  port?: number;
  /** Where stdout/stderr go. */
  logFile: string;
  /** How long to wait for /healthz (default 120 s: tsx, migrations and a loaded machine). */
  startTimeoutMs?: number;
}

export interface Instance {
  port: number;
  url: string;
  readonly pid: number | undefined;
  readonly child: ChildProcess;
  logFile: string;
  /** Resolves once the process has exited. */
  exited(): Promise<void>;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM (graceful close), SIGKILL after `ms`. */
  stop(ms?: number): Promise<void>;
  /** Starts the process again with the same port and environment. */
  restart(): Promise<void>;
}

/** Spawns the process without waiting for it to listen. */
function spawnServer(port: number, env: Record<string, string>, logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** Starts server/server.ts and waits until /healthz answers. */
export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let child = spawnServer(port, options.env, options.logFile);
  const waitUp = async () => {
    const current = child;
    const died = exited(current).then(() => {
      throw new Error(
        `instance on ${port} exited during start (code ${current.exitCode}); see ${options.logFile}`,
      );
    });
    await Promise.race([waitForHttp(`${url}/healthz`, options.startTimeoutMs ?? 120_000), died]);
  };
  await waitUp();
  return {
    port,
    url,
    get pid() {
      return child.pid;
    },
    get child() {
      return child;
    },
    logFile: options.logFile,
    exited: () => exited(child),
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    stop: (ms = 20_000) => terminate(child, 'SIGTERM', ms),
    restart: async () => {
      await terminate(child, 'SIGKILL', 1000);
      child = spawnServer(port, options.env, options.logFile);
      await waitUp();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// nginx

export interface Nginx {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * deploy/nginx/mifeng.conf with its upstream `server` lines replaced by `upstreams` and its
 * `listen` by `listenPort`; everything else (timeouts, retries, limits) is used as written.
 */
export async function renderNginxSite(upstreams: number[], listenPort: number): Promise<string> {
  const site = await readFile(NGINX_CONF, 'utf8');
  const lines = site.split('\n');
  const out: string[] = [];
  let replaced = false;
  for (const line of lines) {
    const upstream = /^(\s*)server\s+127\.0\.0\.1:\d+(.*);\s*$/.exec(line);
    if (upstream) {
      if (!replaced) {
        for (const port of upstreams) out.push(`${upstream[1]}server 127.0.0.1:${port}${upstream[2]};`);
        replaced = true;
      }
      continue;
    }
    out.push(line.replace(/^(\s*)listen\s+[^;]+;/, `$1listen 127.0.0.1:${listenPort};`));
  }
  if (!replaced) throw new Error(`${NGINX_CONF}: no "server 127.0.0.1:<port>" upstream lines found`);
  return out.join('\n');
}

/** nginx in the foreground (daemon off) with a private prefix directory, proxying to `upstreams`. */
export async function startNginx(upstreams: number[], dir: string, listenPort?: number): Promise<Nginx> {
  const port = listenPort ?? (await freePort());
  mkdirSync(join(dir, 'temp'), { recursive: true });
  // Workers run as `nobody` when nginx starts as root: they must reach the temp directories.
  await chmod(dir, 0o755);
  await chmod(join(dir, 'temp'), 0o777);
  await writeFile(join(dir, 'mifeng.conf'), await renderNginxSite(upstreams, port));
  await writeFile(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '    access_log off;',
      `    client_body_temp_path ${join(dir, 'temp', 'body')};`,
      `    proxy_temp_path ${join(dir, 'temp', 'proxy')};`,
      `    fastcgi_temp_path ${join(dir, 'temp', 'fastcgi')};`,
      `    uwsgi_temp_path ${join(dir, 'temp', 'uwsgi')};`,
      `    scgi_temp_path ${join(dir, 'temp', 'scgi')};`,
      `    include ${join(dir, 'mifeng.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const died = exited(child).then(() => {
    throw new Error(`nginx exited during start: ${stderr.trim()}`);
  });
  // Any answer means it listens (the upstreams may still be starting).
  const listening = (async () => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`nginx did not listen on ${port}: ${stderr.trim()}`);
  })();
  await Promise.race([listening, died]);
  return {
    port,
    url,
    dir,
    // SIGQUIT: graceful shutdown (finish open requests).
    stop: () => terminate(child, 'SIGQUIT', 5000),
  };
}

// ---------------------------------------------------------------------------------------------
// The whole cluster

export interface ClusterOptions {
  /** API instances (default 2). */
  instances?: number;
  /** Put nginx in front (default true). */
  nginx?: boolean;
  /** nginx's port (default a free one). */
  port?: number;
  /** A postgres:// URL to use as is; default a fresh database, dropped on stop. */
  databaseUrl?: string;
  /** `private` (default): a redis-server of our own; a redis:// URL; or `none`. */
  redis?: 'private' | 'none' | string;
  /** Extra environment for every instance. */
  env?: Record<string, string>;
  /** Per-instance extra environment (index → env). */
  instanceEnv?: (index: number) => Record<string, string>;
  /** Keep the temp directory (logs) after stop (default: when MIFENG_KEEP_CLUSTER=1). */
  keepDir?: boolean;
}

export interface Cluster {
  /** nginx's URL, or the first instance's when there is no nginx. */
  url: string;
  instances: Instance[];
  nginx: Nginx | undefined;
  redis: RedisServer | undefined;
  databaseUrl: string;
  /** Shared environment of the instances (secrets included). */
  env: Record<string, string>;
  dir: string;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.instances ?? 2;
  const dir = await mkdtemp(join(tmpdir(), 'mifeng-cluster-'));
  if (process.env.MIFENG_KEEP_CLUSTER === '1') console.log(`# cluster files in ${dir}`);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
    if (!(options.keepDir ?? process.env.MIFENG_KEEP_CLUSTER === '1'))
      await rm(dir, { recursive: true, force: true });
  };
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const db = await createDatabase();
      cleanups.push(() => db.drop());
      databaseUrl = db.url;
    }
    let redis: RedisServer | undefined;
    let redisUrl: string | undefined;
    const redisOption = options.redis ?? 'private';
    if (redisOption === 'private') {
      redis = await startRedis(dir);
      cleanups.push(() => redis!.stop());
      redisUrl = redis.url;
    } else if (redisOption !== 'none') {
      redisUrl = redisOption;
    }

    const env: Record<string, string> = {
      NODE_ENV: 'development',
      DEV_LOGIN: 'on',
      LOG_LEVEL: 'warn',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      PHONE_PEPPER: randomBytes(32).toString('base64url'),
      LOG_SIGNING_KEY: randomBytes(32).toString('base64url'),
      DATABASE_URL: databaseUrl,
      // nginx on loopback sets X-Forwarded-For; rate limits then key clients by their address.
      TRUST_PROXY: '127.0.0.1',
      // Every load client is 127.0.0.1 here: lift the per-address limit unless a test sets it.
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      ...options.env,
    };
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    // nginx first, so the public URL exists while the instances start (as in a rolling deploy).
    let nginx: Nginx | undefined;
    if (options.nginx !== false) {
      nginx = await startNginx(ports, join(dir, 'nginx'), options.port);
      cleanups.push(() => nginx!.stop());
    }
    // All instances start at the same moment: migrations must serialize on the advisory lock.
    const instances: Instance[] = [];
    const started = await Promise.allSettled(
      ports.map((port, index) =>
        startInstance({
          port,
          env: {
            ...env,
            DATA_DIR: join(dir, `instance-${index + 1}`),
            ...(options.instanceEnv?.(index) ?? {}),
          },
          logFile: join(dir, `instance-${index + 1}.log`),
        }).then((instance) => {
          instances[index] = instance;
          cleanups.push(() => instance.stop());
          return instance;
        }),
      ),
    );
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const url = nginx?.url ?? instances[0]!.url;
    await waitForHttp(`${url}/readyz`, 30_000);
    return {
      url,
      instances,
      nginx,
      redis,
      databaseUrl,
      env,
      dir,
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const unavailable = await clusterUnavailable();
  if (unavailable) {
    console.error(`cluster: ${unavailable}`);
    process.exit(1);
  }
  const started = performance.now();
  const cluster = await startCluster({
    instances: Number(flag('instances') ?? 2),
    ...(flag('port') ? { port: Number(flag('port')) } : {}),
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    ...(process.env.REDIS_URL ? { redis: process.env.REDIS_URL } : {}),
    env: { LOG_LEVEL: process.env.LOG_LEVEL || 'info' },
    keepDir: true,
  });
  console.log(`cluster up in ${Math.round(performance.now() - started)} ms`);
  console.log(`  nginx      ${cluster.url}`);
  for (const instance of cluster.instances) console.log(`  instance   ${instance.url} (pid ${instance.pid})`);
  console.log(`  database   ${cluster.databaseUrl}`);
  console.log(`  redis      ${cluster.redis?.url ?? cluster.env.REDIS_URL ?? 'none'}`);
  console.log(`  logs       ${cluster.dir}`);
  console.log('Ctrl-C stops everything.');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error('cluster:', error);
    process.exit(1);
  });
}
