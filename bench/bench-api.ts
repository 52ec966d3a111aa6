/**
 * `npm run bench:api`: autocannon on loopback against the API server and, as the
 * ceiling, a bare Fastify server on the same machine — on PGlite and on PostgreSQL.
 *
 * - GET  /api/v1/envelopes/:id   a recipient re-reading a letter (JWT, rate limit, DB read)
 * - POST /api/v1/envelopes       fresh signed envelopes prepared beforehand (a sealed template
 *                                re-signed under a new id each, so every upload is distinct and
 *                                its SM2 signature is verified by the server)
 * - bare GET / bare POST         Fastify with one trivial route each (JSON parse for POST)
 * - bare pg GET                  (PostgreSQL) Fastify running the read query of GET /envelopes/:id
 *                                through `pg` directly: the ceiling for a route that asks the
 *                                database once, with no auth, limits, validation or ORM
 * - bare pg GET + token check    the same, after the API's per-request token-version read: the
 *                                cost of checking revocation on every request
 *
 * Each server runs in its own process (`node --import tsx`), autocannon in this one. Prints a
 * table of req/s, p50/p99 latency and the ratio to the bare ceiling, and the targets.
 *
 * Options (environment): BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 50),
 * BENCH_POST_AMOUNT (uploads per database, default 6000), BENCH_DATABASES (pglite,postgres),
 * BENCH_VERIFY_WORKERS (signature worker threads in the API, default 1), MIFENG_TEST_PG_URL (the
 * PostgreSQL server; a scratch database is created and dropped), BENCH_ROUTES (get,post),
 * BENCH_CPU_PROF (a directory: the API runs under `node --cpu-prof` and writes its profile there
 * on exit; summarize with `node bench/cpuprofile-top.mjs <file>`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { httpRequest } from '../harness/http';
import { freePort } from '../harness/net';
import { createScratchDatabase } from '../harness/postgres-admin';
import { setRandomSource, sm2Sign } from '../shared/crypto';
import { base64urlEncode } from '../shared/encoding';
import {
  type Envelope,
  generateIdentity,
  type Identity,
  sealEnvelope,
  sealKeyBackup,
  signedBytes,
} from '../shared/protocol';

const root = new URL('..', import.meta.url).pathname;
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const POST_AMOUNT = Number(process.env.BENCH_POST_AMOUNT ?? 6000);
const DATABASES = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',');
const ROUTES = (process.env.BENCH_ROUTES ?? 'get,post').split(',');
const CPU_PROF = process.env.BENCH_CPU_PROF;

setRandomSource((n) => new Uint8Array(nodeRandomBytes(n)));

// ---------------------------------------------------------------------------------------------
// The bare ceiling server (this file, run with --bare).

if (process.argv.includes('--bare')) {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ bodyLimit: 256 * 1024 });
  app.get('/bare', async () => ({ ok: true }));
  app.post('/bare', async (request, reply) => {
    reply.code(201);
    return { id: (request.body as { envelope?: { id?: string } }).envelope?.id ?? null };
  });
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  process.send?.('ready');
  await new Promise(() => {});
}

if (process.argv.includes('--bare-pg')) {
  const { default: Fastify } = await import('fastify');
  const { default: pg } = await import('pg');
  // The same pool size and the same statement as the API's read (envelopes-repository.ts).
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const reader = process.env.BENCH_READER ?? '';
  const app = Fastify();
  // `checked`: first the per-request token-version read of the API's authentication, so the two
  // routes differ by exactly that query.
  const read = async (id: string, checked: boolean) => {
    if (checked) {
      await pool.query({
        name: 'token-version',
        text: 'SELECT token_version FROM users WHERE id = $1',
        values: [reader],
      });
    }
    return pool.query({
      name: 'read',
      text: `SELECT e.sender_id, e.sender_key_id, e.expires_at, e.revoked_at, e.body, u.name AS sender_name,
                    (r.user_id IS NOT NULL) AS is_recipient, r.opened_at
             FROM envelopes e
             JOIN users u ON u.id = e.sender_id
             LEFT JOIN envelope_recipients r ON r.envelope_id = e.id AND r.user_id = $1
             WHERE e.id = $2`,
      values: [reader, id],
    });
  };
  app.get<{ Params: { id: string }; Querystring: { checked?: string } }>(
    '/bare/envelopes/:id',
    async (request, reply) => {
      const { rows } = await read(request.params.id, request.query.checked !== undefined);
      const row = rows[0];
      if (!row) return reply.code(404).send({ error: 'not found' });
      reply.type('application/json; charset=utf-8');
      return reply.send(
        `{"envelope":${row.body},"sender":${JSON.stringify({ user: row.sender_id, name: row.sender_name })}}`,
      );
    },
  );
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  await new Promise(() => {});
}

// ---------------------------------------------------------------------------------------------

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function startBare(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bench-api.ts', '--bare'], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/bare`, child);
  return { url, child };
}

/** The bare pg server on `databaseUrl`, reading envelopes as `reader`; ready once `probe` answers. */
async function startBarePg(
  databaseUrl: string,
  reader: string,
  probe: string,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bench-api.ts', '--bare-pg'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, BENCH_READER: reader },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}${probe}`, child);
  return { url, child };
}

async function startApi(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const profile = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'server/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DEV_LOGIN: 'on',
      LOG_LEVEL: 'warn',
      PURGE_INTERVAL_SECONDS: '0',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      // Every upload of the POST run comes from one sender: quotas on, but out of reach.
      QUOTA_ACTIVE_LETTERS: '1000000',
      QUOTA_LETTERS_PER_DAY: '1000000',
      QUOTA_STORED_BYTES: String(2 ** 40),
      VERIFY_WORKERS: process.env.BENCH_VERIFY_WORKERS ?? '1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/readyz`, child);
  return { url, child };
}

async function call<T>(
  url: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<T> {
  const res = await httpRequest<T>(url, method, path, {
    ...(token ? { token } : {}),
    ...(body === undefined ? {} : { body }),
  });
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}

interface BenchUser {
  id: string;
  token: string;
  identity: Identity;
}

let phoneCounter = 0;
async function register(url: string, name: string): Promise<BenchUser> {
  phoneCounter += 1;
  const login = await call<{ token: string; user: { id: string } }>(url, 'POST', '/api/v1/auth/dev', null, {
    openid: `bench-${name}-${nodeRandomBytes(4).toString('hex')}`,
  });
  await call(url, 'POST', '/api/v1/me/phone', login.token, {
    phone: `1370000${String(phoneCounter).padStart(4, '0')}`,
  });
  const identity = generateIdentity(login.user.id);
  const backup = sealKeyBackup(identity, 'bench master key', { iterations: 10_000 });
  await call(url, 'PUT', '/api/v1/me/keys', login.token, {
    name,
    publicKey: base64urlEncode(identity.publicKey),
    backup,
  });
  return { id: login.user.id, token: login.token, identity };
}

/** `count` distinct, validly signed envelopes from one sealed template (new id, createdAt, sig). */
function prepareUploads(template: Envelope, sender: Identity, count: number): string[] {
  const bodies: string[] = [];
  const createdAt = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const unsigned = { ...template, id: base64urlEncode(nodeRandomBytes(16)), createdAt };
    const { sig: _old, ...rest } = unsigned;
    const sig = base64urlEncode(sm2Sign(sender.privateKey, signedBytes(rest)));
    bodies.push(JSON.stringify({ envelope: { ...rest, sig } }));
  }
  return bodies;
}

/** CPU seconds (user + system) used so far by the processes `pids` (Linux /proc; 0 elsewhere). */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // gone
    }
  }
  return ticks / 100; // USER_HZ
}

/** The local PostgreSQL server's processes (postmaster and backends), if it runs on this machine. */
function postgresPids(): number[] {
  const pids: number[] = [];
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
      } catch {
        // gone
      }
    }
  } catch {
    // no /proc
  }
  return pids;
}

/** Runs `body` and says how much CPU the API, PostgreSQL and this (autocannon) process used. */
async function measured<T extends autocannon.Result>(
  apiPid: number | undefined,
  body: () => Promise<T>,
): Promise<{ result: T; cpu: { api: number; postgres: number; client: number } }> {
  const pgPids = postgresPids();
  const api0 = cpuSeconds(apiPid ? [apiPid] : []);
  const pg0 = cpuSeconds(pgPids);
  const client0 = process.cpuUsage();
  const result = await body();
  const client = process.cpuUsage(client0);
  const perRequest = (seconds: number) => (1e6 * seconds) / Math.max(1, result.requests.total);
  return {
    result,
    cpu: {
      api: perRequest(cpuSeconds(apiPid ? [apiPid] : []) - api0),
      postgres: perRequest(cpuSeconds(pgPids) - pg0),
      client: perRequest((client.user + client.system) / 1e6),
    },
  };
}

interface Row {
  database: string;
  test: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  ceiling?: number;
  /** CPU µs per request: API process, PostgreSQL (all its processes), autocannon. */
  cpu?: { api: number; postgres: number; client: number };
}

async function run(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ connections: CONNECTIONS, duration: DURATION, ...options });
}

function row(
  database: string,
  test: string,
  result: autocannon.Result,
  ceiling?: number,
  cpu?: Row['cpu'],
): Row {
  const r: Row = {
    database,
    test,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
  if (ceiling !== undefined) r.ceiling = ceiling;
  if (cpu) r.cpu = cpu;
  return r;
}

async function benchDatabase(database: string, bare: { get: number; post: number }): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mifeng-bench-'));
  let dropDb: (() => Promise<void>) | undefined;
  const env: Record<string, string> = { DATA_DIR: dataDir };
  if (database === 'postgres') {
    const scratch = await createScratchDatabase(`mifeng_bench_${nodeRandomBytes(4).toString('hex')}`);
    env.DATABASE_URL = scratch.url;
    dropDb = scratch.drop;
  }
  const api = await startApi(env);
  const rows: Row[] = [];
  try {
    const alice = await register(api.url, 'Alice');
    const bob = await register(api.url, 'Bob');
    const letter = sealEnvelope({
      sender: alice.identity,
      recipients: [{ user: bob.id, publicKey: bob.identity.publicKey }],
      content: 'x'.repeat(1500),
      remark: 'bench',
      expiresAt: new Date(Date.now() + 7 * 86_400_000),
    });
    await call(api.url, 'POST', '/api/v1/envelopes', alice.token, { envelope: letter });
    await call(api.url, 'GET', `/api/v1/envelopes/${letter.id}`, bob.token); // first open recorded

    // Warm-up, then GET.
    if (ROUTES.includes('get'))
      await run({
        url: `${api.url}/api/v1/envelopes/${letter.id}`,
        headers: { authorization: `Bearer ${bob.token}` },
        duration: 2,
      });
    if (ROUTES.includes('get')) {
      if (env.DATABASE_URL) {
        const barePg = await startBarePg(env.DATABASE_URL, bob.id, `/bare/envelopes/${letter.id}`);
        try {
          const url = `${barePg.url}/bare/envelopes/${letter.id}`;
          await run({ url, duration: 2 });
          const ceiling = await measured(barePg.child.pid, () => run({ url }));
          rows.push(row(database, 'bare pg GET', ceiling.result, bare.get, ceiling.cpu));
          const checked = await measured(barePg.child.pid, () => run({ url: `${url}?checked` }));
          rows.push(row(database, 'bare pg GET + token check', checked.result, bare.get, checked.cpu));
        } finally {
          await stop(barePg.child);
        }
      }
      const get = await measured(api.child.pid, () =>
        run({
          url: `${api.url}/api/v1/envelopes/${letter.id}`,
          headers: { authorization: `Bearer ${bob.token}` },
        }),
      );
      rows.push(row(database, 'GET /envelopes/:id', get.result, bare.get, get.cpu));
    }
    if (!ROUTES.includes('post')) return rows;

    // POST: fresh signed envelopes, each uploaded once.
    const bodies = prepareUploads(letter, alice.identity, POST_AMOUNT + 200);
    let next = 0;
    const setupRequest = (request: Record<string, unknown>) => {
      request.body = bodies[next++ % bodies.length];
      return request;
    };
    await run({
      url: `${api.url}/api/v1/envelopes`,
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      amount: 200,
      requests: [{ setupRequest }],
    });
    const post = await measured(api.child.pid, () =>
      run({
        url: `${api.url}/api/v1/envelopes`,
        method: 'POST',
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
        amount: POST_AMOUNT,
        requests: [{ setupRequest }],
      }),
    );
    rows.push(row(database, 'POST /envelopes', post.result, bare.post, post.cpu));
  } finally {
    await stop(api.child);
    await dropDb?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `bench:api — ${CONNECTIONS} connections, ${DURATION} s per GET run, ${POST_AMOUNT} uploads per POST run`,
  );
  const bareServer = await startBare();
  const sampleBody = JSON.stringify({ envelope: { id: 'x'.repeat(22), ct: 'A'.repeat(2400) } });
  let bareRows: Row[];
  try {
    await run({ url: `${bareServer.url}/bare`, duration: 2 });
    const bareGet = await measured(bareServer.child.pid, () => run({ url: `${bareServer.url}/bare` }));
    const barePost = await measured(bareServer.child.pid, () =>
      run({
        url: `${bareServer.url}/bare`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: sampleBody,
      }),
    );
    bareRows = [
      row('—', 'bare GET', bareGet.result, undefined, { ...bareGet.cpu, postgres: 0 }),
      row('—', 'bare POST', barePost.result, undefined, { ...barePost.cpu, postgres: 0 }),
    ];
  } finally {
    await stop(bareServer.child);
  }
  const bare = { get: bareRows[0]!.rps, post: bareRows[1]!.rps };
  const rows = [...bareRows];
  for (const database of DATABASES) rows.push(...(await benchDatabase(database, bare)));

  console.log('');
  console.log(
    `load average before: ${loadBefore}; after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('CPU µs per request: server process / PostgreSQL (all processes) / autocannon');
  console.log('');
  console.log(
    '| database | route | req/s | p50 ms | p99 ms | errors | of bare | CPU µs/req server / pg / client |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ratio = r.ceiling ? `${((100 * r.rps) / r.ceiling).toFixed(1)} %` : '—';
    const cpu = r.cpu
      ? `${Math.round(r.cpu.api)} / ${Math.round(r.cpu.postgres)} / ${Math.round(r.cpu.client)}`
      : '—';
    console.log(
      `| ${r.database} | ${r.test} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${ratio} | ${cpu} |`,
    );
  }
  const pgGet = rows.find((r) => r.database === 'postgres' && r.test.startsWith('GET'));
  const pgCeiling = rows.find((r) => r.database === 'postgres' && r.test === 'bare pg GET');
  if (pgGet && pgCeiling) {
    const share = (100 * pgGet.rps) / pgCeiling.rps;
    console.log('');
    console.log(
      `target (PostgreSQL): GET /envelopes/:id ≥ 50 % of bare pg GET: ${share >= 50 ? 'met' : 'NOT met'} ` +
        `(${share.toFixed(1)} %: ${pgGet.rps} vs ${pgCeiling.rps} req/s; p99 ${pgGet.p99} vs ${pgCeiling.p99} ms)`,
    );
  }
  const pgPost = rows.find((r) => r.database === 'postgres' && r.test.startsWith('POST'));
  if (pgGet && pgPost) {
    const getOk = pgGet.rps >= 0.2 * bare.get && pgGet.p99 <= 25;
    const postOk = pgPost.rps >= 500;
    console.log('');
    console.log(
      `targets (PostgreSQL): GET ≥ 20 % of bare with p99 ≤ 25 ms: ${getOk ? 'met' : 'NOT met'} ` +
        `(${((100 * pgGet.rps) / bare.get).toFixed(1)} %, p99 ${pgGet.p99} ms); ` +
        `POST ≥ 500/s: ${postOk ? 'met' : 'NOT met'} (${pgPost.rps}/s)`,
    );
  }
}

await main();
