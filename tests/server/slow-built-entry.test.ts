/**
 * The built server's entry (server/built-entry.ts) with its code cache: the server is built as
 * `npm run build` builds it (bundle, then a start that writes the cache), into its own folder
 * under dist/, and started on one data directory with the cache as written, damaged, made for
 * another build, refused by V8, and missing. Every start answers, says in its start log what it
 * did with the cache, and gives the same answers: health, readiness, and a signed-in user read
 * back from the database.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../harness/net';
import { bundleServer, writeCodeCache } from '../../scripts/build-server.mjs';
import {
  type CodeCacheState,
  readCodeCache,
  writeCodeCache as writeCacheFile,
} from '../../server/code-cache';
import { authContract, meContract } from '../../shared/api';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Answers {
  health: { status: number; body: unknown };
  ready: number;
  me: unknown;
}

describe('built server with its code cache', { timeout: 900_000 }, () => {
  // Two levels below the repository, as dist/server is, so the bundle finds prisma/ and the template.
  const outdir = join(root, 'dist', `code-cache-test-${process.pid}`);
  const cachePath = join(outdir, 'server.cjs.cache');
  let dataDir: string;
  let bundle: Buffer;
  let expected: Answers;

  before(async () => {
    await bundleServer({ outdir });
    await writeCodeCache({ outdir });
    bundle = await readFile(join(outdir, 'server.cjs'));
    dataDir = await mkdtemp(join(tmpdir(), 'mifeng-built-entry-'));
  });
  after(async () => {
    await rm(outdir, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Starts the built server, asks it the three questions, stops it (SIGTERM, exit 0). */
  async function start(): Promise<{ codeCache: CodeCacheState; answers: Answers }> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DEV_LOGIN: 'on',
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const child = spawn(process.execPath, [join(outdir, 'server.mjs')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const line = buffered.split('\n').find((l) => l.includes('"readyMs"'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      });
      void exited.then((code) =>
        reject(new Error(`server exited (${code}) before it was ready:\n${buffered}`)),
      );
    });
    const base = `http://127.0.0.1:${port}`;
    const health = await fetch(`${base}/healthz`);
    const readyz = await fetch(`${base}/readyz`);
    await readyz.arrayBuffer();
    const login = await fetch(`${base}${authContract.dev.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: 'code-cache' }),
    });
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    const me = await fetch(`${base}${meContract.get.path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(me.status, 200);
    const answers = {
      health: { status: health.status, body: await health.json() },
      ready: readyz.status,
      me: await me.json(),
    };
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    return { codeCache: ready.codeCache as CodeCacheState, answers };
  }

  it('uses the cache the build wrote', async () => {
    assert.ok('data' in readCodeCache(cachePath, bundle));
    const { codeCache, answers } = await start();
    assert.equal(codeCache, 'used');
    assert.equal(answers.health.status, 200);
    assert.equal(answers.ready, 200);
    expected = answers;
  });

  it('starts without a damaged cache', async () => {
    const written = await readFile(cachePath);
    const damaged = Buffer.from(written);
    damaged[Math.floor(written.length / 2)]! ^= 0xff;
    await writeFile(cachePath, damaged);
    const { codeCache, answers } = await start();
    assert.equal(codeCache, 'invalid');
    assert.deepEqual(answers, expected);
    await writeFile(cachePath, written);
  });

  it('starts without the cache of another build', async () => {
    const written = await readFile(cachePath);
    // Intact, but made for a bundle of the same length with one byte changed.
    const other = Buffer.from(bundle);
    other[other.length - 2] = other[other.length - 2] === 0x20 ? 0x0a : 0x20;
    writeCacheFile(cachePath, other, written.subarray(72));
    const { codeCache, answers } = await start();
    assert.equal(codeCache, 'invalid');
    assert.deepEqual(answers, expected);
    await writeFile(cachePath, written);
  });

  it('starts when V8 refuses the cache', async () => {
    const written = await readFile(cachePath);
    // Intact for this bundle, but not V8's data (as after a Node upgrade: V8 checks its version).
    writeCacheFile(cachePath, bundle, randomBytes(written.length - 72));
    const { codeCache, answers } = await start();
    assert.equal(codeCache, 'rejected');
    assert.deepEqual(answers, expected);
    await writeFile(cachePath, written);
  });

  it('starts without a cache', async () => {
    await rm(cachePath);
    const { codeCache, answers } = await start();
    assert.equal(codeCache, 'missing');
    assert.deepEqual(answers, expected);
  });
});
