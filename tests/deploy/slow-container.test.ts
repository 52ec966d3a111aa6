/**
 * The Dockerfile built and run by a real container engine (podman, rootful): the image built
 * from a fresh clone on a Node base made from this machine's files (tests/deploy/podman.ts;
 * nothing can be pulled here), then run with the production environment and a named volume on
 * /data (the embedded database): it runs as uid 1000, its HEALTHCHECK passes, two users register
 * through (a fake) WeChat, one sends the other a letter, the other opens it; `podman stop`
 * (SIGTERM) ends it with status 0; a second container on the same volume finds the letter.
 *
 * The containers share the host's network, so the fake WeChat on a loopback port is reachable
 * and the server listens on one; RUN steps share it too, for npm to reach the registry. No npm
 * cache is mounted into the build: the runtime stage's `npm cache clean --force` would empty a
 * bind mount, and on an overlay mount (`:O`) of the host's cache it failed with ENOTEMPTY.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FakeWeChat, startFakeWeChat } from '../server/fake-wechat';
import type { TestUser } from '../server/helper';
import { requireService } from '../support/services';
import { BASE_IMAGE, podman, podmanArgv, podmanUnavailable, RUN_FLAGS } from './podman';
import { freePort, letterFlow, productionEnv, type Server, whenReady } from './production-flow';

const root = fileURLToPath(new URL('../../', import.meta.url));
const skip = await requireService('podman', podmanUnavailable);

describe('Dockerfile, built and run by podman', { skip, timeout: 25 * 60_000 }, () => {
  const suffix = randomBytes(4).toString('hex');
  const tag = `localhost/mifeng-test:${suffix}`;
  const volume = `mifeng-test-data-${suffix}`;
  const name = `mifeng-test-${suffix}`;
  let work: string;
  let wechat: FakeWeChat;
  let port: number;
  let server: Server | undefined;
  let env: Record<string, string>;
  let flow: ReturnType<typeof letterFlow>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'mifeng-container-'));
    wechat = await startFakeWeChat();
    port = await freePort();
    env = productionEnv(wechat, port);
    flow = letterFlow(wechat, port);
  });
  after(async () => {
    server?.child.kill('SIGKILL');
    await podman(['rm', '--force', '--ignore', name]).catch(() => {});
    await podman(['volume', 'rm', '--force', volume]).catch(() => {});
    await podman(['rmi', '--force', tag]).catch(() => {});
    await wechat?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('builds the image from a fresh clone, on the local Node base', async () => {
    const context = join(work, 'clone');
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, context]);
    const load = loadavg()[0]!.toFixed(1);
    const started = Date.now();
    await podman([
      'build',
      // Docker's image format: OCI images have no HEALTHCHECK.
      '--format',
      'docker',
      // No image per step: the build stage's (~1 GB with devDependencies) would stay behind,
      // untagged, after every run.
      '--layers=false',
      ...RUN_FLAGS,
      '--network',
      'host',
      '--build-arg',
      `NODE_IMAGE=${BASE_IMAGE}`,
      '--tag',
      tag,
      context,
    ]);
    console.log(`# podman build: ${((Date.now() - started) / 1000).toFixed(0)} s (load average ${load})`);
  });

  it('runs as uid 1000 from the template on a fresh volume, and passes HEALTHCHECK', async () => {
    server = await start();
    assert.equal(server.ready.origin, 'template');
    assert.equal((await podman(['exec', name, 'node', '-p', 'process.getuid()'])).trim(), '1000');
    await podman(['healthcheck', 'run', name]);
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

  it('stops on SIGTERM with status 0, and a new container on the same volume has the letter', async () => {
    assert.equal(await server!.stop(), 0);
    server = await start();
    assert.equal(server.ready.origin, 'existing');
    await flow.assertOpens(bob, letterId);
    assert.equal(await server.stop(), 0);
  });

  /**
   * `podman run` in the foreground: its output is the server's log, its exit status the
   * server's. Values reach the container by name only (`--env KEY`), so no secret is in argv.
   */
  function start(): Promise<Server> {
    const [program, ...args] = podmanArgv([
      'run',
      '--rm',
      '--name',
      name,
      ...RUN_FLAGS,
      '--network',
      'host',
      '--volume',
      `${volume}:/data`,
      ...Object.keys(env).flatMap((key) => ['--env', key]),
      tag,
    ]);
    const child = spawn(program!, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return whenReady(child, () => {
      podman(['stop', '--time', '30', name]).catch((error) => console.log(`# ${error.message}`));
    });
  }
});
