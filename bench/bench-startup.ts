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
 * `configMs`/`loadMs`/`openMs`/`migrateMs` (where the time went). `mainCpuMs` is the CPU time of
 * the main thread alone when the ready line arrives (Linux, /proc; 10 ms ticks): on an idle
 * machine a start takes about that long, since the rest of its CPU time runs on V8's and libuv's
 * other threads meanwhile, so it is the figure to compare under load. Prints the median of each
 * with the load average, and the targets (first start ≤ 3 s, restart ≤ 1.5 s).
 *
 * Options (environment): BENCH_STARTS (starts of each kind, default 5); BENCH_BASELINE, another
 * build's server.mjs to measure in the same run, interleaved start for start (copy an earlier
 * dist/server/ to dist/<name>/, beside dist/server/, so its paths to prisma/ and the template
 * resolve: `BENCH_BASELINE=dist/<name>/server.mjs`).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../harness/net';

const root = fileURLToPath(new URL('..', import.meta.url));
const server = join(root, 'dist', 'server', 'server.mjs');
const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const baseline = process.env.BENCH_BASELINE ? resolve(root, process.env.BENCH_BASELINE) : undefined;

interface Start {
  readyMs: number;
  cpuMs: number;
  configMs?: number;
  loadMs?: number;
  openMs?: number;
  migrateMs?: number;
  mainCpuMs?: number;
}

/** CPU time (ms) the main thread of process `pid` has used: utime + stime of /proc/<pid>/task/<pid>/stat. */
function mainThreadCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from the 3rd: utime is the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * Runs `node args…` until a stdout line satisfies `done`; returns the lines seen and the main
 * thread's CPU time at that moment, then stops it.
 */
function runUntil(
  args: string[],
  env: NodeJS.ProcessEnv,
  done: (line: string) => boolean,
): Promise<{ lines: string[]; mainCpuMs?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buffered = '';
    let finished = false;
    let mainCpuMs: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (!finished && done(line)) {
          finished = true;
          mainCpuMs = child.pid === undefined ? undefined : mainThreadCpuMs(child.pid);
          child.kill('SIGTERM');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (finished) resolve({ lines, ...(mainCpuMs === undefined ? {} : { mainCpuMs }) });
      else
        reject(
          new Error(`node ${args.join(' ')} exited (${code}) before it was ready:\n${lines.join('\n')}`),
        );
    });
  });
}

async function startServer(entry: string, dataDir: string): Promise<Start> {
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
  const { lines, mainCpuMs } = await runUntil([entry], env, (line) => line.includes('"readyMs"'));
  const fields: Record<string, number> = mainCpuMs === undefined ? {} : { mainCpuMs };
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as Record<string, unknown>;
    for (const [key, value] of Object.entries(entry)) if (/Ms$/.test(key)) fields[key] = value as number;
  }
  return fields as unknown as Start;
}

/** A process that prints one line and is stopped: Node's own start-up. */
async function bareNode(): Promise<Start> {
  const { lines } = await runUntil(
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
  const { lines } = await runUntil(
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
    pick('mainCpuMs'),
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
  if (baseline && !existsSync(baseline)) {
    console.error(`bench:startup: BENCH_BASELINE ${baseline} is missing`);
    process.exit(1);
  }
  const loadBefore = loadavg();
  const work = await mkdtemp(join(tmpdir(), 'mifeng-bench-startup-'));
  const nodeStarts: Start[] = [];
  const firsts: Start[] = [];
  const restarts: Start[] = [];
  const baseFirsts: Start[] = [];
  const baseRestarts: Start[] = [];
  const pglites: Start[] = [];
  try {
    for (let i = 0; i < STARTS; i++) {
      const dataDir = join(work, `data-${i}`);
      nodeStarts.push(await bareNode());
      if (baseline) {
        const baseDir = join(work, `baseline-${i}`);
        baseFirsts.push(await startServer(baseline, baseDir));
        baseRestarts.push(await startServer(baseline, baseDir));
      }
      firsts.push(await startServer(server, dataDir));
      restarts.push(await startServer(server, dataDir));
      pglites.push(await barePglite(join(dataDir, 'pglite')));
      process.stderr.write('.');
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  process.stderr.write('\n');
  const loadAfter = loadavg();
  const header = [
    '',
    'readyMs',
    'min',
    'cpuMs',
    'mainCpuMs',
    'configMs',
    'loadMs',
    'openMs',
    'migrateMs',
    'target',
  ];
  const rows = [
    header,
    row('bare node', nodeStarts),
    row('PGlite open alone', pglites),
    ...(baseline
      ? [row('baseline first start', baseFirsts, 3000), row('baseline restart', baseRestarts, 1500)]
      : []),
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
  if (baseline) console.log(`baseline: ${baseline}`);
}

await main();
