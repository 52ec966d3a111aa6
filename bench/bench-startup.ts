/**
 * `npm run bench:startup`: how long the built server (dist/server/, `npm run build:server`) takes
 * to answer, on the embedded database, each start in a new process as an operator runs it:
 *
 * - first start   a new DATA_DIR: the build's template copied, nothing left to migrate
 * - restart       the same DATA_DIR again
 *
 * beside two floors on the same machine in the same run: a bare `node` process (Node's own
 * start) and PGlite alone opening the restarted directory (PGlite's own boot, timed in-process).
 *
 * Each server start is read from its start log: `readyMs` (wall clock since the process started),
 * `cpuMs` (CPU time it used by then, all threads: the part that does not grow with the load),
 * `configMs`/`loadMs`/`openMs`/`migrateMs` (where the time went). Prints the median of each with
 * the load average, and the targets (first start ≤ 3 s, restart ≤ 1.5 s).
 *
 * Options (environment): BENCH_STARTS (starts of each kind, default 5).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../harness/net';

const root = fileURLToPath(new URL('..', import.meta.url));
const server = join(root, 'dist', 'server', 'server.mjs');
const STARTS = Number(process.env.BENCH_STARTS ?? 5);

interface Start {
  readyMs: number;
  cpuMs: number;
  configMs?: number;
  loadMs?: number;
  openMs?: number;
  migrateMs?: number;
}

/** Runs `node args…` until a stdout line satisfies `done`; returns the lines seen, then stops it. */
function runUntil(
  args: string[],
  env: NodeJS.ProcessEnv,
  done: (line: string) => boolean,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffered = '';
    let finished = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (!finished && done(line)) {
          finished = true;
          child.kill('SIGTERM');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (finished) resolve(lines);
      else
        reject(
          new Error(`node ${args.join(' ')} exited (${code}) before it was ready:\n${lines.join('\n')}`),
        );
    });
  });
}

async function startServer(dataDir: string): Promise<Start> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const lines = await runUntil([server], env, (line) => line.includes('"readyMs"'));
  const fields: Record<string, number> = {};
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as Record<string, unknown>;
    for (const [key, value] of Object.entries(entry)) if (/Ms$/.test(key)) fields[key] = value as number;
  }
  return fields as unknown as Start;
}

/** A process that prints one line and is stopped: Node's own start-up. */
async function bareNode(): Promise<Start> {
  const lines = await runUntil(
    [
      '-e',
      'const c = process.cpuUsage(); console.log(JSON.stringify({ readyMs: performance.now(), cpuMs: (c.user + c.system) / 1000 })); setInterval(() => {}, 1000);',
    ],
    process.env,
    () => true,
  );
  return JSON.parse(lines[0]!) as Start;
}

/**
 * PGlite alone opening `pgDir` with the server's own options (server/db/pglite.ts), timed from
 * just before the open to its first answer, so loading tsx and the module is not counted.
 */
async function barePglite(pgDir: string): Promise<Start> {
  const script = `
    import { openPglite } from './server/db/pglite.ts';
    const t0 = performance.now(), c0 = process.cpuUsage();
    const opened = await openPglite(${JSON.stringify(pgDir)});
    await opened.pglite.query('SELECT 1');
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ readyMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 }));
    await opened.close();
    setInterval(() => {}, 1000);`;
  const lines = await runUntil(
    ['--import', 'tsx', '--input-type=module', '-e', script],
    process.env,
    (line) => line.startsWith('{"readyMs"'),
  );
  return JSON.parse(lines.at(-1)!) as Start;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

function row(name: string, starts: Start[], target?: number) {
  const pick = (key: keyof Start) => {
    const values = starts.map((s) => s[key]).filter((v): v is number => typeof v === 'number');
    return values.length ? String(Math.round(median(values))) : '';
  };
  const min = Math.round(Math.min(...starts.map((s) => s.readyMs)));
  return [
    name,
    pick('readyMs'),
    String(min),
    pick('cpuMs'),
    pick('configMs'),
    pick('loadMs'),
    pick('openMs'),
    pick('migrateMs'),
    target ? `≤ ${target}` : '',
  ];
}

async function main() {
  if (!existsSync(server)) {
    console.error('bench:startup: dist/server/server.mjs is missing; run `npm run build:server` first');
    process.exit(1);
  }
  const loadBefore = loadavg();
  const work = await mkdtemp(join(tmpdir(), 'mifeng-bench-startup-'));
  const nodeStarts: Start[] = [];
  const firsts: Start[] = [];
  const restarts: Start[] = [];
  const pglites: Start[] = [];
  try {
    for (let i = 0; i < STARTS; i++) {
      const dataDir = join(work, `data-${i}`);
      nodeStarts.push(await bareNode());
      firsts.push(await startServer(dataDir));
      restarts.push(await startServer(dataDir));
      pglites.push(await barePglite(join(dataDir, 'pglite')));
      process.stderr.write('.');
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  process.stderr.write('\n');
  const loadAfter = loadavg();
  const header = ['', 'readyMs', 'min', 'cpuMs', 'configMs', 'loadMs', 'openMs', 'migrateMs', 'target'];
  const rows = [
    header,
    row('bare node', nodeStarts),
    row('PGlite open alone', pglites),
    row('first start', firsts, 3000),
    row('restart', restarts, 1500),
  ];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    console.log(
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    );
  const fmt = (l: number[]) => l.map((n) => n.toFixed(2)).join(' ');
  console.log(
    `medians of ${STARTS} starts each; load average ${fmt(loadBefore)} before, ${fmt(loadAfter)} after`,
  );
}

await main();
