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
import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FakeWeChat, startFakeWeChat } from '../server/fake-wechat';
import type { TestUser } from '../server/helper';
import { type BuiltImage, type ImageCommand, run, runDockerfile } from './dockerfile';
import { freePort, letterFlow, productionEnv, type Server, whenReady } from './production-flow';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('Dockerfile, run outside a container on a fresh clone', { timeout: 20 * 60_000 }, () => {
  let work: string;
  let image: BuiltImage;
  let wechat: FakeWeChat;
  let port: number;
  let server: Server | undefined;
  let env: Record<string, string>;
  let flow: ReturnType<typeof letterFlow>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'mifeng-image-'));
    // The image's user (uid 1000) must reach its files, as it would in the image.
    await chmod(work, 0o755);
    wechat = await startFakeWeChat();
    port = await freePort();
    env = productionEnv(wechat, port);
    flow = letterFlow(wechat, port);
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
    server = await start(image.cmd, env);
    assert.equal(server.ready.origin, 'template');
    await run(image.healthcheck.argv, {
      cwd: image.healthcheck.cwd,
      env: { ...image.healthcheck.env, ...env },
    });
  });

  let alice: TestUser;
  let bob: TestUser;
  let letterId: string;

  it('registers two users through WeChat, sends a letter, and the recipient opens it', async () => {
    alice = await flow.register('Alice', '13800138001');
    bob = await flow.register('Bob', '13800138002');
    letterId = await flow.sendLetter(alice, bob);
    await flow.assertOpens(bob, letterId);
  });

  it('stops on SIGTERM with status 0, and starts again on the same data with the letter there', async () => {
    assert.equal(await server!.stop(), 0);
    server = await start(image.cmd, env);
    assert.equal(server.ready.origin, 'existing');
    await flow.assertOpens(bob, letterId);
    assert.equal(await server.stop(), 0);
    // The health check fails once the server is gone.
    await assert.rejects(
      run(image.healthcheck.argv, {
        cwd: image.healthcheck.cwd,
        env: { ...image.healthcheck.env, ...env },
      }),
    );
  });
});

/** Spawns the image's CMD and waits for its readiness line (`readyMs`) in the JSON log. */
function start(cmd: ImageCommand, extraEnv: Record<string, string>): Promise<Server> {
  const [program, ...args] = cmd.argv;
  const child = spawn(program === 'node' ? process.execPath : program!, args, {
    cwd: cmd.cwd,
    env: { PATH: process.env.PATH ?? '', ...cmd.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cmd.uid !== undefined ? { uid: cmd.uid, gid: cmd.gid } : {}),
  });
  return whenReady(child, () => child.kill('SIGTERM'));
}
