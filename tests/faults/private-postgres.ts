/**
 * A private PostgreSQL server for fault tests: its own data directory and port on loopback, so a
 * test can stop and start it without touching the shared server other tests use. Built with the
 * Debian packages' initdb/pg_ctl (run as the `postgres` user when we are root, as initdb
 * refuses root).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/net';

/** Directory of initdb/pg_ctl: the newest /usr/lib/postgresql/<version>/bin, or PATH. */
function pgBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  return found ? join(found, '..') : undefined;
}

const asRoot = process.getuid?.() === 0;

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const full = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8', timeout: 60_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/** Why a private PostgreSQL cannot be made here, or undefined. */
export function privatePostgresUnavailable(): string | undefined {
  const bin = pgBin();
  if (!bin) return 'initdb/pg_ctl not found (install postgresql)';
  if (asRoot && spawnSync('id', ['postgres'], { stdio: 'ignore' }).status !== 0)
    return 'running as root without a postgres user for initdb';
  return undefined;
}

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOPs the server and its backends: it stops answering without closing anything. */
  freeze(): void;
  /** SIGCONTs what freeze() stopped. */
  thaw(): void;
  /** Stops it and deletes its files. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = pgBin();
  if (!bin) throw new Error('initdb not found');
  const dir = await mkdtemp(join(tmpdir(), 'mifeng-pg-'));
  if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout), 0);
  const data = join(dir, 'data');
  const init = run(join(bin, 'initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  if (!init.ok) throw new Error(`initdb failed: ${init.output}`);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const start = async () => {
    const started = run(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-o',
      options,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
    if (!started.ok) throw new Error(`pg_ctl start failed: ${started.output}`);
  };
  const stop = async () => {
    run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await start();
  let frozen: number[] = [];
  const processes = (): number[] => {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
    return [postmaster, ...children];
  };
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    freeze: () => {
      frozen = processes();
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    },
    thaw: () => {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
      frozen = [];
    },
    destroy: async () => {
      if (frozen.length > 0) for (const pid of frozen) process.kill(pid, 'SIGCONT');
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
