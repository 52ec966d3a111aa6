/**
 * The key worker through the pages: register (key generation too), unlock and the Me page's key
 * change run PBKDF2 in the BUILT worker file (workers/kdf/index.js), which the wx double runs in a real thread
 * (harness/worker-double.ts); so does sealing a letter to many recipients on the compose page. The
 * pages fall back to the logic thread when there is no wx.createWorker or iOS reclaims the worker,
 * and leaving a page terminates its worker. The meter refuses guessable keys with a hint and offers
 * a generated passphrase.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { findJsc, KEY_WORKER_PROBE } from '../../../harness/jsc.mjs';
import { envelopesContract } from '../../../shared/api';
import { type Identity, openEnvelope } from '../../../shared/protocol';
import { callApi, registerUser, type TestUser } from '../../server/helper';
import { buildOnce } from '../harness/build';
import { composeThroughPage, idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { DIST, Phone, sleep } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';
import type { WorkerRecord } from '../harness/worker-double';

const H = { name: '黄小华', phone: '13500135001', masterKey: 'Heron at the 3rd lock, 9 reeds' };

type Message = { type?: string; op?: string; phase?: string; name?: string };

function kinds(messages: unknown[]): string[] {
  return (messages as Message[]).map((m) => m.type ?? m.op ?? '?');
}

type Lib = {
  setRandomSource(source: (n: number) => Uint8Array): void;
  generateIdentity(user: string): Identity;
  base64urlEncode(bytes: Uint8Array): string;
  unlockKeyBackup(backup: unknown, publicKey: Uint8Array, masterKey: string): Uint8Array;
  sealRandomLength(recipients: number, surplusNonces?: number): number;
  openEnvelope(
    envelope: unknown,
    options: { reader: Identity; senderPublicKey: Uint8Array },
  ): { content: string };
};

/** The built lib (dist/miniprogram/lib/mifeng.js), drawing from Node's CSPRNG. */
function builtLib(): Lib {
  const lib = createRequire(import.meta.url)(join(DIST, 'lib', 'mifeng.js')) as Lib;
  lib.setRandomSource((n) => webcrypto.getRandomValues(new Uint8Array(n)));
  return lib;
}

/**
 * The built key worker answering `request` in `jsc --useJIT=false`, as on iOS: the time from
 * loading it to its last reply, and its replies.
 */
function runWorkerInJsc(
  jsc: string,
  request: Record<string, unknown>,
): { ms: number; replies: (Message & { backup?: unknown; envelope?: unknown })[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mifeng-jsc-worker-'));
  try {
    writeFileSync(join(dir, 'probe.js'), KEY_WORKER_PROBE);
    const out = execFileSync(
      jsc,
      [
        '--useJIT=false',
        join(dir, 'probe.js'),
        '--',
        join(DIST, 'workers', 'kdf', 'index.js'),
        JSON.stringify(request),
      ],
      { encoding: 'utf8' },
    );
    return JSON.parse(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The jsc shell, or null with the test marked skipped (a CI run fails on skipped tests). */
function jscOrSkip(t: TestContext): string | null {
  const jsc = findJsc();
  if (!jsc) t.skip('jsc missing: apt-get install libjavascriptcoregtk-4.0-bin');
  return jsc;
}
describe('the key worker and the strength meter through the pages', () => {
  let server: TestServer;
  let h: Phone;

  before(async () => {
    await buildOnce();
    server = await startServer();
  });
  after(async () => {
    await server?.close();
  });

  it('builds the worker where app.json says, self-contained', () => {
    const appJson = JSON.parse(readFileSync(join(DIST, 'app.json'), 'utf8')) as { workers: string };
    assert.equal(appJson.workers, 'workers');
    const code = readFileSync(join(DIST, 'workers', 'kdf', 'index.js'), 'utf8');
    // A worker may load nothing outside its folder: the bundle requires nothing at all.
    assert.doesNotMatch(code, /\brequire\(/);
    assert.match(code, /worker\.onMessage/);
  });

  it('the built worker seals a backup in JavaScriptCore without JIT (iOS), which the lib opens', (t) => {
    const jsc = jscOrSkip(t);
    if (!jsc) return;
    const lib = builtLib();
    const identity = lib.generateIdentity('jsc');
    const { ms, replies } = runWorkerInJsc(jsc, {
      id: 7,
      op: 'seal',
      privateKey: lib.base64urlEncode(identity.privateKey),
      publicKey: lib.base64urlEncode(identity.publicKey),
      masterKey: H.masterKey,
      iterations: 10_000,
      random: lib.base64urlEncode(webcrypto.getRandomValues(new Uint8Array(28))),
    });
    assert.deepEqual(kinds(replies), ['progress', 'sealed']);
    assert.deepEqual(
      lib.unlockKeyBackup(replies[1]!.backup, identity.publicKey, H.masterKey),
      identity.privateKey,
    );
    console.log(`# jsc --useJIT=false: key worker load + seal (10 000 iterations) ${ms.toFixed(0)} ms`);
  });

  it('the built worker seals a letter in JavaScriptCore without JIT, which a reader opens', (t) => {
    const jsc = jscOrSkip(t);
    if (!jsc) return;
    const lib = builtLib();
    const sender = lib.generateIdentity('sender');
    const readers = Array.from({ length: 9 }, (_, i) => lib.generateIdentity(`reader_${i}`));
    const { ms, replies } = runWorkerInJsc(jsc, {
      id: 8,
      op: 'sealLetter',
      sender: {
        user: sender.user,
        privateKey: lib.base64urlEncode(sender.privateKey),
        publicKey: lib.base64urlEncode(sender.publicKey),
      },
      recipients: readers.map((r) => ({ user: r.user, publicKey: lib.base64urlEncode(r.publicKey) })),
      // ASCII: the jsc shell reads its arguments as Latin-1.
      content: 'Saturday, nine o clock',
      remark: '',
      expiresAt: null,
      head: null,
      maxOpens: null,
      now: new Date().toISOString(),
      random: lib.base64urlEncode(webcrypto.getRandomValues(new Uint8Array(lib.sealRandomLength(9, 2)))),
    });
    assert.deepEqual(kinds(replies), ['letterSealed']);
    const opened = lib.openEnvelope(replies[0]!.envelope, {
      reader: readers[8]!,
      senderPublicKey: sender.publicKey,
    });
    assert.equal(opened.content, 'Saturday, nine o clock');
    console.log(`# jsc --useJIT=false: key worker load + seal to 9 new recipients ${ms.toFixed(0)} ms`);
  });

  it('a worker that runs out of the random bytes drawn for it says so by name', (t) => {
    const jsc = jscOrSkip(t);
    if (!jsc) return;
    const lib = builtLib();
    const sender = lib.generateIdentity('sender');
    const reader = lib.generateIdentity('reader');
    const { replies } = runWorkerInJsc(jsc, {
      id: 9,
      op: 'sealLetter',
      sender: {
        user: sender.user,
        privateKey: lib.base64urlEncode(sender.privateKey),
        publicKey: lib.base64urlEncode(sender.publicKey),
      },
      recipients: [{ user: reader.user, publicKey: lib.base64urlEncode(reader.publicKey) }],
      content: 'short of bytes',
      remark: '',
      expiresAt: null,
      head: null,
      maxOpens: null,
      now: new Date().toISOString(),
      random: lib.base64urlEncode(webcrypto.getRandomValues(new Uint8Array(lib.sealRandomLength(1) - 1))),
    });
    assert.deepEqual(kinds(replies), ['error']);
    // The name services/kdf falls back on: the logic thread then seals with its own draws.
    assert.equal(replies[0]!.name, 'RandomExhausted');
  });

  it('register: refuses guessable keys with a hint, offers a passphrase, seals in the worker', async () => {
    h = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    const page = h.open('/pages/register/register');
    await page.waitFor(() => page.data.ready === true, 'the register form');
    await page.tap('.agree-box');
    await page.input('.name-input', 'Huang Xiaohua');
    await page.input('.phone-input', H.phone);

    const refusals: [string, RegExp][] = [
      ['Huawei@123', /品牌名/],
      ['我的密码是一二三', /中文词句/],
      ['woaini1314', /拼音/],
      ['zhangwei19900520', /拼音|日期/],
      [`hxh${H.phone}`, /名字或手机号|手机号/],
    ];
    for (const [key, hint] of refusals) {
      await page.input('.key-input', key);
      await page.waitFor(() => page.data.strengthText !== '正在检查强度…', `${key} to be rated`);
      assert.equal(page.data.strengthOk, false, `${key} must be refused`);
      assert.match(page.text('.strength-hint'), hint, key);
    }
    await page.tap('.ack');
    await page.tap('.submit');
    assert.match(String(page.data.error), /品牌|中文|拼音|手机号|日期/, 'submitting says why');

    await page.tap('.passphrase-button');
    await page.waitFor(() => page.data.passphrase !== '', 'a generated passphrase');
    const passphrase = String(page.data.passphrase);
    assert.match(passphrase, /^[a-z]+(-[a-z]+){5}$/);
    assert.equal(page.data.masterKey, passphrase);
    assert.equal(page.data.masterKey2, passphrase);
    assert.equal(page.data.strengthOk, true);
    assert.equal(page.data.strengthText, '很强');
    assert.match(page.text('.passphrase-text'), new RegExp(passphrase));

    // Typing over it takes the typed key instead.
    await page.input('.key-input', H.masterKey);
    await page.input('.key2-input', H.masterKey);
    assert.equal(page.data.passphrase, '');
    await page.waitFor(() => page.data.strengthOk === true, 'the typed key to be accepted');

    await page.tap('.submit');
    await page.waitFor(() => page.$('.progress-sweep') !== null, 'the animated progress bar');
    await page.waitFor(() => h.state.navigations.some((n) => n.url === '/pages/inbox/inbox'), 'registration');
    assert.equal(h.state.workers.length, 1);
    const worker = h.state.workers[0]!;
    assert.equal(worker.path, 'workers/kdf/index.js');
    assert.deepEqual(worker.options, { useExperimentalWorker: true });
    // Key generation and PBKDF2 both ran there, each reported as it started.
    assert.deepEqual(kinds(worker.sent), ['create']);
    assert.deepEqual(kinds(worker.received), ['progress', 'progress', 'created']);
    assert.deepEqual(
      (worker.received as Message[]).slice(0, 2).map((m) => m.phase),
      ['keys', 'kdf'],
    );
    assert.equal(worker.terminated, true, 'the worker is terminated once done');
  });

  it('unlock: a wrong key is told apart, the right one opens, both in the worker', async () => {
    const restarted = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: h.state.storage,
    });
    const unlock = restarted.open('/pages/unlock/unlock');
    await unlock.input('.key-input', 'Heron at the 4th lock, 9 reeds');
    await unlock.tap('.submit');
    await unlock.waitFor(() => unlock.data.error !== '', 'the wrong key to be refused');
    assert.equal(unlock.text('.unlock-error'), '主密钥不对，请再试一次。');
    assert.deepEqual(kinds(restarted.state.workers[0]!.received), ['progress', 'error']);
    assert.equal((restarted.state.workers[0]!.received[1] as Message).name, 'WrongMasterKey');

    await unlock.input('.key-input', H.masterKey);
    await unlock.tap('.submit');
    // Opened alone, the page goes home once unlocked.
    await unlock.waitFor(() => restarted.lastNavigation()?.url === '/pages/inbox/inbox', 'going home');
    assert.deepEqual(kinds(restarted.state.workers[1]!.received), ['progress', 'unlocked']);
    assert.ok(restarted.state.workers.every((w) => w.terminated));
    const keyring = restarted.module<{ isUnlocked(): boolean }>('services/keyring/index.js');
    assert.equal(keyring.isUnlocked(), true);
  });

  it('falls back to the logic thread without wx.createWorker (unlock, register), and when iOS reclaims the worker', async () => {
    const old = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl, storage: h.state.storage });
    old.state.workerApi = false;
    const unlock = old.open('/pages/unlock/unlock');
    await unlock.input('.key-input', H.masterKey);
    await unlock.tap('.submit');
    await unlock.waitFor(
      () => old.lastNavigation()?.url === '/pages/inbox/inbox',
      'unlocking without a worker',
    );
    assert.equal(old.state.workers.length, 0);

    // Registering without a worker: keys and backup made on the logic thread, and they unlock.
    const oldToo = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    oldToo.state.workerApi = false;
    const person = { name: 'Old Phone', phone: '13500135002', masterKey: 'Owls nest in 4 old chimneys' };
    await registerThroughPage(oldToo, person);
    assert.equal(oldToo.state.workers.length, 0);
    const restarted = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: oldToo.state.storage,
    });
    await restarted
      .module<{ unlock(k: string): Promise<unknown> }>('services/keyring/index.js')
      .unlock(person.masterKey);

    const reclaimed = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: h.state.storage,
    });
    // Reclaimed as soon as it reports progress: the logic thread does the work instead.
    reclaimed.state.reclaimWorkerAfter = 1;
    const again = reclaimed.open('/pages/unlock/unlock');
    await again.input('.key-input', H.masterKey);
    await again.tap('.submit');
    await again.waitFor(
      () => reclaimed.lastNavigation()?.url === '/pages/inbox/inbox',
      'unlocking after the kill',
    );
    assert.deepEqual(kinds(reclaimed.state.workers[0]!.received), ['progress']);
    const keyring = reclaimed.module<{ isUnlocked(): boolean }>('services/keyring/index.js');
    assert.equal(keyring.isUnlocked(), true);
  });

  it('leaving the register page mid-way terminates the worker and uploads nothing', async () => {
    // The protocol's maximum, so the worker is still busy when the page goes away.
    const leaver = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      backupIterations: 1_000_000,
    });
    const page = leaver.open('/pages/register/register');
    await page.waitFor(() => page.data.ready === true, 'the register form');
    await page.tap('.agree-box');
    await page.input('.name-input', 'Leaver');
    await page.input('.phone-input', '13500135009');
    await page.tap('.passphrase-button');
    await page.waitFor(() => page.data.strengthOk === true, 'a passphrase');
    await page.tap('.ack');
    await page.tap('.submit');
    await page.waitFor(() => leaver.state.workers[0]?.received.length === 1, 'the worker to start');
    page.unload();
    const worker = leaver.state.workers[0] as WorkerRecord;
    assert.equal(worker.terminated, true);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!kinds(worker.received).includes('created'), 'no keys came back');
    assert.ok(!leaver.state.requests.some((r) => r.url.endsWith('/me/keys')), 'nothing was uploaded');
  });

  it('Me: the key change refuses weak keys with a hint and re-seals in the worker', async () => {
    const me = h.open('/pages/me/me');
    await me.waitFor(() => me.data.fingerprint !== '', 'the Me page');
    const before = h.state.workers.length;
    await me.tap('.change-toggle');
    await me.input('.new-key', 'Huawei@2024');
    await me.waitFor(() => me.data.strengthHint !== '', 'a hint');
    assert.match(me.text('.strength-hint'), /品牌名/);
    assert.equal(me.data.strengthOk, false);

    await me.tap('.passphrase-button');
    await me.waitFor(() => me.data.passphrase !== '', 'a generated passphrase');
    const passphrase = String(me.data.passphrase);
    assert.equal(me.data.newKey2, passphrase);
    await me.tap('.change-submit');
    await me.waitFor(() => h.state.toasts.includes('主密钥已更新'), 'the change to finish');
    const worker = h.state.workers[before]!;
    assert.deepEqual(kinds(worker.received), ['progress', 'sealed']);

    const fresh = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: h.state.storage,
    });
    const keyring = fresh.module<{ unlock(k: string): Promise<unknown> }>('services/keyring/index.js');
    await keyring.unlock(passphrase);
  });
});

describe('sealing a letter to many recipients', () => {
  const S = { name: '林小封', phone: '13500135100', masterKey: 'Nine kites over 7 grey rooftops' };
  let server: TestServer;
  let sender: Phone;
  /** One more reader than the logic thread seals to: a letter to all of them goes to the worker. */
  const readers: TestUser[] = [];
  const to = (people: TestUser[]) => people.map(({ name, phone }) => ({ name, phone }));

  before(async () => {
    await buildOnce();
    server = await startServer();
    sender = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(sender, S);
    const { LOGIC_THREAD_MAX_RECIPIENTS } = sender.module<{ LOGIC_THREAD_MAX_RECIPIENTS: number }>(
      'services/kdf/index.js',
    );
    for (let i = 0; i <= LOGIC_THREAD_MAX_RECIPIENTS; i++) {
      readers.push(await registerUser(server.api, { name: `Reader ${i}` }));
    }
  });
  after(async () => {
    await server?.close();
  });

  /** The letter `shareUrl` names, fetched and opened by `reader` with the protocol's own code. */
  async function contentFor(reader: TestUser, shareUrl: string): Promise<string> {
    const { envelope } = await callApi(
      server.api,
      envelopesContract.get,
      { params: { id: idOf(shareUrl) } },
      reader.token,
    );
    const { publicKey } = sender
      .module<{ requireIdentity(): Identity }>('services/keyring/index.js')
      .requireIdentity();
    return openEnvelope(envelope, { reader: reader.identity, senderPublicKey: publicKey }).content;
  }

  /** A phone with the sender's account, unlocked (in its worker, when it has one). */
  async function senderAgain(setUp: (phone: Phone) => void): Promise<Phone> {
    const phone = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: sender.state.storage,
    });
    setUp(phone);
    await phone
      .module<{ unlock(k: string): Promise<unknown> }>('services/keyring/index.js')
      .unlock(S.masterKey);
    return phone;
  }

  it('seals it in the worker, and every reader opens it', async () => {
    const before = sender.state.workers.length;
    const url = await sendThroughPage(sender, { content: '给大家：周六九点，老地方见。', to: to(readers) });
    assert.equal(sender.state.workers.length, before + 1);
    const worker = sender.state.workers[before]!;
    assert.deepEqual(kinds(worker.sent), ['sealLetter']);
    assert.deepEqual(kinds(worker.received), ['letterSealed']);
    assert.equal(worker.terminated, true, 'the worker is terminated once done');
    // What the worker sealed is what went out.
    assert.equal((worker.received[0] as { envelope: { id: string } }).envelope.id, idOf(url));
    for (const reader of [readers[0]!, readers.at(-1)!]) {
      assert.equal(await contentFor(reader, url), '给大家：周六九点，老地方见。');
    }
  });

  it('seals a small letter on the logic thread, without starting a worker', async () => {
    const before = sender.state.workers.length;
    const url = await sendThroughPage(sender, { content: '只给两个人', to: to(readers.slice(0, 2)) });
    assert.equal(sender.state.workers.length, before);
    assert.equal(await contentFor(readers[1]!, url), '只给两个人');
  });

  it('seals it on the logic thread without wx.createWorker, and when iOS reclaims the worker', async () => {
    const old = await senderAgain((phone) => {
      phone.state.workerApi = false;
    });
    const url = await sendThroughPage(old, { content: '旧版微信也能发', to: to(readers) });
    assert.equal(old.state.workers.length, 0);
    assert.equal(await contentFor(readers.at(-1)!, url), '旧版微信也能发');

    const reclaimed = await senderAgain(() => {});
    const unlocking = reclaimed.state.workers.length;
    // Reclaimed as soon as it is handed the letter: it never answers.
    reclaimed.state.reclaimWorkerAfter = 0;
    const again = await sendThroughPage(reclaimed, { content: '被系统回收之后', to: to(readers) });
    const worker = reclaimed.state.workers[unlocking]!;
    assert.deepEqual(kinds(worker.sent), ['sealLetter']);
    assert.deepEqual(worker.received, []);
    assert.equal(await contentFor(readers[0]!, again), '被系统回收之后');
  });

  it('leaving the compose page while the worker seals stops it and sends nothing', async () => {
    const compose = await composeThroughPage(sender, { content: '写到一半就走了', to: to(readers) });
    const before = sender.state.workers.length;
    const requests = sender.state.requests.length;
    await compose.tap('.seal-button');
    await compose.waitFor(
      () => sender.state.workers[before]?.sent.length === 1,
      'the worker to get the letter',
    );
    assert.equal(compose.data.busy, true);
    assert.equal(sender.state.loading, '正在手机上加密…');
    compose.unload();
    const worker = sender.state.workers[before]!;
    assert.equal(worker.terminated, true);
    await sleep(100);
    assert.deepEqual(worker.received, [], 'no letter came back');
    assert.equal(sender.state.loading, null, 'the loading toast is gone');
    assert.ok(
      !sender.state.requests.slice(requests).some((r) => r.method === 'POST' && r.url.endsWith('/envelopes')),
      'nothing was uploaded',
    );
    assert.deepEqual(sender.state.storage.get('mifeng.outbox') ?? [], [], 'the outbox holds nothing');
  });
});
