/**
 * Edges of the compose and open pages: what compose refuses and how it says so, the custom expiry
 * date, opening by the in-app scanner, and a person who has not registered yet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { Phone, sleep } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

const F = { name: 'Fang', phone: '13700137001', masterKey: 'Four quiet foxes, 1 fern' };
const G = { name: 'Gao', phone: '13700137002', masterKey: 'Green gate 88 & grey goose' };

describe('compose and open, at the edges', () => {
  let server: TestServer;
  let f: Phone;
  let g: Phone;

  before(async () => {
    await buildOnce();
    server = await startServer();
    f = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    // G alone seals the key backup with the protocol's real default iterations (100 000); every
    // other test phone uses the minimum (10 000) to keep the suite fast.
    g = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl, backupIterations: null });
    await registerThroughPage(f, F);
    await registerThroughPage(g, G);
    const profile = g
      .module<{ currentProfile(): { backup: { iter: number } } }>('services/session/index.js')
      .currentProfile();
    assert.equal(profile.backup.iter, 100_000);
  });
  after(async () => {
    await server?.close();
  });

  it('compose refuses to seal without content, without a recipient, or with a bad custom date', async () => {
    const compose = f.open('/pages/compose/compose');
    await compose.waitFor(() => compose.data.ready === true, 'the compose form');
    await compose.tap('.seal-button');
    assert.equal(compose.text('.compose-error'), '请填写密信内容');

    await compose.input('.content-input', 'safe 2-14-33');
    await compose.tap('.seal-button');
    assert.equal(compose.text('.compose-error'), '请至少添加一位收信人');

    await compose.tap('.add-button');
    assert.equal(compose.text('.recipient-error'), '请填写名字和手机号');
    await compose.input('.add-row .name-input', F.name);
    await compose.input('.add-row .phone-input', F.phone);
    await compose.tap('.add-button');
    await compose.waitFor(() => compose.data.recipientError !== '', 'adding oneself to be refused');
    assert.match(compose.text('.recipient-error'), /你自己/);
    for (let i = 0; i < 2; i++) {
      await compose.input('.add-row .name-input', G.name);
      await compose.input('.add-row .phone-input', G.phone);
      await compose.tap('.add-button');
      await compose.waitFor(
        () => (compose.data.recipients as { status: string }[]).every((r) => r.status !== 'checking'),
        'the lookup',
      );
    }
    assert.equal((compose.data.recipients as unknown[]).length, 1, 'the same person is listed once');
    assert.equal(compose.text('.recipient-error'), '这个人已经在列表里了');

    // Custom date: the picker is bounded by today … today + 364 days; a past day is refused.
    await compose.fire('.expiry-picker', 'change', { value: '2020-01-01' });
    assert.equal(compose.data.expiry, 'CUSTOM');
    assert.match(compose.text('.expiry-text'), /365 天以内/);
    await compose.tap('.seal-button');
    assert.match(compose.text('.compose-error'), /365 天以内/);
    const end = compose.data.dateEnd as string;
    await compose.fire('.expiry-picker', 'change', { value: end });
    assert.match(compose.text('.expiry-text'), new RegExp(`到期：${end}`));
    await compose.tap('.expiry-PERMANENT');
    assert.equal(compose.text('.expiry-text'), '永不过期（可随时撤回）');
  });

  it('compose prepares the key of each recipient it looks up, before anything is sealed', async () => {
    const lib = f.module<{
      base64urlDecode(text: string): Uint8Array;
      generateIdentity(user: string): { publicKey: Uint8Array };
      sm2PrepareKey(publicKey: Uint8Array): boolean;
    }>('lib/mifeng.js');
    const compose = f.open('/pages/compose/compose');
    await compose.waitFor(() => compose.data.ready === true, 'the compose form');
    await compose.input('.add-row .name-input', G.name);
    await compose.input('.add-row .phone-input', G.phone);
    await compose.tap('.add-button');
    await compose.waitFor(
      () => (compose.data.recipients as { status: string }[]).every((r) => r.status === 'found'),
      'the lookup',
    );
    const { publicKey } = (compose.data.recipients as { publicKey: string }[])[0]!;
    // The page queued the preparation with the lookup's result; one idle step later it is done.
    await sleep(20);
    assert.equal(lib.sm2PrepareKey(lib.base64urlDecode(publicKey)), false, "G's key was prepared");
    assert.equal(
      lib.sm2PrepareKey(lib.generateIdentity('nobody').publicKey),
      true,
      'a key never looked up was not',
    );
  });

  it("opening a letter prepares its checked sender's key while the envelope is fetched", async () => {
    // A sender G's phone has never multiplied by: its one use in the open's verification would
    // leave it without rows, so rows after the open mean it was prepared.
    const h = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    const H = { name: 'He', phone: '13700137004', masterKey: 'Hollow hills, 7 herons' };
    await registerThroughPage(h, H);
    const id = idOf(await sendThroughPage(h, { content: 'prepared sender', to: [G], expiry: 'ONE_MONTH' }));
    const open = g.open(`/pages/open/open?id=${id}`);
    await open.waitFor(() => open.data.state === 'open', 'the letter');
    assert.equal((open.data.letter as { content: string }).content, 'prepared sender');
    const lib = g.module<{
      base64urlDecode(text: string): Uint8Array;
      sm2PrepareKey(publicKey: Uint8Array): boolean;
    }>('lib/mifeng.js');
    const senderKey = h
      .module<{ requireIdentity(): { publicKey: Uint8Array } }>('services/keyring/index.js')
      .requireIdentity().publicKey;
    assert.equal(lib.sm2PrepareKey(senderKey), false, "H's key had its rows when the letter was opened");
  });

  it('opens a letter from the in-app scanner, and refuses a scanned code that is not ours', async () => {
    const id = idOf(await sendThroughPage(f, { content: 'scanner test', to: [G], expiry: 'ONE_MONTH' }));
    const open = g.open('/pages/open/open');
    assert.equal(open.data.state, 'scan');
    g.state.scanResult = 'https://example.com/not-a-letter';
    await open.tap('.scan-button');
    await open.waitFor(() => open.data.state === 'invalid_link', 'the refusal');
    g.state.scanResult = `${server.publicUrl}/s/${id}`;
    const again = g.open('/pages/open/open');
    await again.tap('.scan-button');
    await again.waitFor(() => again.data.state === 'open', 'the letter');
    assert.equal((again.data.letter as { content: string }).content, 'scanner test');
  });

  it('someone not registered is asked to register, and comes back to the letter afterwards', async () => {
    const id = idOf(await sendThroughPage(f, { content: 'for later', to: [G] }));
    const newcomer = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    const open = newcomer.open('/pages/open/open', { id });
    await open.waitFor(() => open.data.state === 'unregistered', 'the unregistered state');
    assert.match(open.text(), /你还没有注册/);
    await open.tap('.register-button');
    const nav = newcomer.lastNavigation()!;
    assert.equal(nav.type, 'reLaunch');
    assert.equal(
      nav.url,
      `/pages/register/register?redirect=${encodeURIComponent(`/pages/open/open?id=${id}`)}`,
    );
    await registerThroughPage(
      newcomer,
      { name: 'Hu', phone: '13700137003', masterKey: 'Hundred hills, 3 herons' },
      nav.url,
      '/pages/open/open',
    );
    assert.equal(newcomer.lastNavigation()?.url, `/pages/open/open?id=${id}`);
  });
});
