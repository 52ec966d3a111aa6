/**
 * The production path, from a fresh clone, through the Dockerfile's own instructions run outside
 * a container (tests/deploy/dockerfile.ts): the build stage (`npm ci`, `npm run build:server`),
 * the runtime stage (`npm ci --omit=dev`, the built server and template copied in, /data owned by
 * uid 1000), then the image's CMD as uid 1000 with NODE_ENV=production: two users register
 * through (a fake) WeChat, one sends the other a letter, the other opens it; HEALTHCHECK passes;
 * SIGTERM stops it cleanly; a second start finds the letter. The production install is checked
 * for what must stay out of it (TypeScript, tsx, the Prisma CLI and Studio, React).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AuthResponse, CreateEnvelopeResponse, GetEnvelopeResponse } from '../../shared/api';
import { base64urlDecode, base64urlEncode } from '../../shared/encoding';
import { generateIdentity, openEnvelope, sealKeyBackup } from '../../shared/protocol';
import { type FakeWeChat, startFakeWeChat } from '../server/fake-wechat';
import { sealFor, type TestUser } from '../server/helper';
import { type BuiltImage, type ImageCommand, run, runDockerfile } from './dockerfile';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('Dockerfile, run outside a container on a fresh clone', { timeout: 20 * 60_000 }, () => {
  let work: string;
  let image: BuiltImage;
  let wechat: FakeWeChat;
  let port: number;
  let server: Server | undefined;
  const env = () => ({
    JWT_SECRET: secrets.jwt,
    PHONE_PEPPER: secrets.pepper,
    LOG_SIGNING_KEY: secrets.logKey,
    PUBLIC_URL: 'https://mifeng.example',
    WECHAT_APPID: wechat.appId,
    WECHAT_SECRET: wechat.secret,
    WECHAT_API_BASE: wechat.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    // Signatures checked in a worker thread: the built worker (dist/server/verify-worker.mjs).
    VERIFY_WORKERS: '1',
  });
  const secrets = {
    jwt: randomBytes(32).toString('base64'),
    pepper: randomBytes(32).toString('base64'),
    logKey: randomBytes(32).toString('base64url'),
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'mifeng-image-'));
    // The image's user (uid 1000) must reach its files, as it would in the image.
    await chmod(work, 0o755);
    wechat = await startFakeWeChat();
    port = await freePort();
  });
  after(async () => {
    server?.child.kill('SIGKILL');
    await wechat?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('builds: every COPY and RUN of both stages succeeds on a fresh clone', async () => {
    const context = join(work, 'clone');
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, context]);
    image = await runDockerfile(join(context, 'Dockerfile'), { context, workDir: work });
  });

  it('installs a lean production tree: no TypeScript runtime, Prisma CLI, Studio or React', async () => {
    const modules = join(image.appDir, 'node_modules');
    const present = new Set([
      ...(await readdir(modules)),
      ...(await readdir(join(modules, '@prisma')).catch(() => [])).map((n) => `@prisma/${n}`),
    ]);
    for (const name of [
      'typescript',
      'tsx',
      'prisma',
      '@prisma/client',
      '@prisma/studio-core',
      'react',
      'react-dom',
      'esbuild',
    ]) {
      assert.ok(!present.has(name), `${name} is not in the production install`);
    }
    const size = execFileSync('du', ['-sm', modules], { encoding: 'utf8' }).split('\t')[0];
    console.log(`# production node_modules: ${size} MB, ${present.size} top-level entries`);
    assert.ok(Number(size) < 150, `production node_modules is ${size} MB`);
  });

  it('starts (CMD, as uid 1000, NODE_ENV=production) from the template, and passes HEALTHCHECK', async () => {
    server = await start(image.cmd, env());
    assert.equal(server.ready.origin, 'template');
    await run(image.healthcheck.argv, {
      cwd: image.healthcheck.cwd,
      env: { ...image.healthcheck.env, ...env() },
    });
  });

  let alice: TestUser;
  let bob: TestUser;
  let letterId: string;

  it('registers two users through WeChat, sends a letter, and the recipient opens it', async () => {
    alice = await register(wechat, 'Alice', '13800138001');
    bob = await register(wechat, 'Bob', '13800138002');
    const letter = sealFor(alice, [bob], { content: 'from a fresh clone' });
    const created = await call<CreateEnvelopeResponse>('POST', '/api/v1/envelopes', alice.token, {
      envelope: letter,
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.url, `https://mifeng.example/s/${letter.id}`);
    letterId = letter.id;
    await assertOpens(bob);
  });

  it('stops on SIGTERM with status 0, and starts again on the same data with the letter there', async () => {
    assert.equal(await server!.stop(), 0);
    server = await start(image.cmd, env());
    assert.equal(server.ready.origin, 'existing');
    await assertOpens(bob);
    assert.equal(await server.stop(), 0);
    // The health check fails once the server is gone.
    await assert.rejects(
      run(image.healthcheck.argv, {
        cwd: image.healthcheck.cwd,
        env: { ...image.healthcheck.env, ...env() },
      }),
    );
  });

  const base = () => `http://127.0.0.1:${port}`;

  async function call<T>(method: string, path: string, token?: string, body?: unknown) {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function register(fake: FakeWeChat, name: string, phone: string): Promise<TestUser> {
    const loginCode = `login-${name}-${Date.now()}`;
    const phoneCode = `phone-${name}-${Date.now()}`;
    fake.addLoginCode(loginCode, `openid-${name}-${Date.now()}`);
    fake.addPhoneCode(phoneCode, phone);
    const login = await call<AuthResponse>('POST', '/api/v1/auth/wechat', undefined, { code: loginCode });
    assert.equal(login.status, 200, login.text);
    const { token } = login.body;
    const phoned = await call('POST', '/api/v1/me/phone', token, { code: phoneCode });
    assert.equal(phoned.status, 200, phoned.text);
    const identity = generateIdentity(login.body.user.id);
    const backup = sealKeyBackup(identity, `master key of ${name}`, { iterations: 10_000 });
    const keyed = await call('PUT', '/api/v1/me/keys', token, {
      name,
      publicKey: base64urlEncode(identity.publicKey),
      backup,
    });
    assert.equal(keyed.status, 200, keyed.text);
    return { id: login.body.user.id, token, name, phone, identity };
  }

  async function assertOpens(reader: TestUser) {
    const got = await call<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${letterId}`, reader.token);
    assert.equal(got.status, 200, got.text);
    const opened = openEnvelope(got.body.envelope, {
      reader: reader.identity,
      senderPublicKey: base64urlDecode(got.body.sender.publicKey),
    });
    assert.equal(opened.content, 'from a fresh clone');
  }
});

interface Server {
  child: ChildProcess;
  /** The start log's "database ready" and readiness lines, merged. */
  ready: { origin?: string; readyMs?: number; cpuMs?: number };
  /** SIGTERM; resolves with the exit status. */
  stop(): Promise<number | null>;
}

/** Spawns the image's CMD and waits for its readiness line (`readyMs`) in the JSON log. */
function start(cmd: ImageCommand, extraEnv: Record<string, string>): Promise<Server> {
  const [program, ...args] = cmd.argv;
  const child = spawn(program === 'node' ? process.execPath : program!, args, {
    cwd: cmd.cwd,
    env: { PATH: process.env.PATH ?? '', ...cmd.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cmd.uid !== undefined ? { uid: cmd.uid, gid: cmd.gid } : {}),
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let output = '';
  const ready: Server['ready'] = {};
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no readiness line in 120 s:\n${output}`)), 120_000);
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Server['ready'];
        if (entry.origin) ready.origin = entry.origin;
        if (entry.readyMs !== undefined) {
          Object.assign(ready, { readyMs: entry.readyMs, cpuMs: entry.cpuMs });
          console.log(`# ready in ${entry.readyMs} ms (${entry.cpuMs} ms CPU), database ${ready.origin}`);
          clearTimeout(timer);
          resolve({
            child,
            ready,
            stop: () => {
              child.kill('SIGTERM');
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it was ready:\n${output}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
