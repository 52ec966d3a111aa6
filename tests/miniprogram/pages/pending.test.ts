/**
 * Letters to people not registered yet, through the built pages against the real server: compose
 * keeps a name + number nobody has registered as a "not registered yet" row and sends the letter
 * with it (asking for the subscription messages from within the tap); the sent page lists the
 * waiting entries and cancels one; after the person registers, unlocking the sender's phone seals
 * the letter again for them and delivers it; they open it from their inbox. A recipient the sender
 * had pinned who comes back with a new key (a reset) is not sealed to: the sent page says their key
 * changed and shows the key-change screen; declining delivers nothing, accepting delivers it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base64urlDecode } from '../../../shared/encoding';
import { formatFingerprint } from '../../../shared/protocol';
import { buildOnce } from '../harness/build';
import { registerThroughPage, sendThroughPage } from '../harness/flows';
import { type PageHandle, Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

const A = { name: 'An', phone: '13700137301', masterKey: 'Amber anchor 31 & aster' };
const C = { name: 'Chen', phone: '13700137302', masterKey: 'Cobalt canyon 58 & cedar' };
const D = { name: 'Du', phone: '13700137303', masterKey: 'Dusky delta 64 & daisy' };
const E = { name: 'Eryu', phone: '13700137304', masterKey: 'Ember eagle 72 & elm' };
const E_NEW = 'Frost fern 19 & falcon wing';

const TEMPLATES = {
  WECHAT_TEMPLATE_NEW_LETTER: 'tmplNewLetter000001',
  WECHAT_TEMPLATE_OPENED: 'tmplOpened000000002',
  WECHAT_TEMPLATE_PENDING_READY: 'tmplPendingReady003',
};

describe('letters to people not registered yet', () => {
  let server: TestServer;
  let a: Phone;

  before(async () => {
    await buildOnce();
    server = await startServer(TEMPLATES);
    a = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(a, A);
  });
  after(async () => {
    await server?.close();
  });

  function userOf(device: Phone): string {
    return device
      .module<{ currentProfile(): { user: { id: string } } }>('services/session/index.js')
      .currentProfile().user.id;
  }

  /** `user`'s current public key as the server holds it (base64url). */
  async function keyOf(user: string): Promise<string> {
    const res = await fetch(`${server.url}/api/v1/users/${user}/key`, {
      headers: { authorization: `Bearer ${a.state.storage.get('mifeng.token')}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { publicKey: string }).publicKey;
  }

  async function addRow(compose: PageHandle, person: { name: string; phone: string }, index: number) {
    await compose.input('.add-row .name-input', person.name);
    await compose.input('.add-row .phone-input', person.phone);
    await compose.tap('.add-button');
    await compose.waitFor(
      () => (compose.data.recipients as { status: string }[])[index]?.status === 'missing',
      `${person.name}'s lookup`,
    );
  }

  it('compose says plainly who is not registered yet, sends with them pending, and asks for messages', async () => {
    const i18n = a.module<{ setLocale(locale: 'zh' | 'en'): void }>('i18n/index.js');
    i18n.setLocale('en');
    const preview = a.open('/pages/compose/compose');
    await preview.waitFor(() => preview.data.ready === true, 'the compose form');
    await addRow(preview, C, 0);
    assert.equal(
      preview.text('.recipient-missing .recipient-status'),
      'Not registered yet — they will be able to open it after registering with this number',
    );
    preview.unload();
    i18n.setLocale('zh');

    const compose = a.open('/pages/compose/compose');
    await compose.waitFor(() => compose.data.ready === true, 'the compose form');
    await compose.input('.content-input', 'gate code 7730');
    await compose.input('.remark-input', 'gate');
    await addRow(compose, C, 0);
    await addRow(compose, D, 1);
    assert.equal(
      compose.text('.recipient-missing .recipient-status'),
      '还没有注册——对方用这个手机号注册后就能打开',
    );
    const before = a.state.navigations.length;
    await compose.tap('.seal-button');
    await compose.waitFor(
      () => a.state.navigations.slice(before).some((n) => n.type === 'redirectTo'),
      'the share page',
    );
    // Nobody was "left out": no question asked about them.
    assert.equal(a.state.modals.length, 0);
    assert.deepEqual(a.state.subscribeRequests.at(-1), [
      TEMPLATES.WECHAT_TEMPLATE_OPENED,
      TEMPLATES.WECHAT_TEMPLATE_PENDING_READY,
    ]);
    const grants = await server.app.prisma.notificationGrant.findMany({ orderBy: { kind: 'asc' } });
    assert.deepEqual(
      grants.map((g) => [g.kind, g.count]),
      [
        ['opened', 1],
        ['pending_ready', 1],
      ],
    );
  });

  it('the sent page lists the waiting entries and cancels one', async () => {
    const sent = a.open('/pages/sent/sent');
    await sent.waitFor(() => (sent.data.pending as unknown[]).length === 2, 'the pending entries');
    assert.match(sent.text('.pending-list'), /给 Chen（\*{7}7302）/);
    assert.match(sent.text('.pending-list'), /等待对方注册/);
    const du = (sent.data.pending as { id: string; title: string }[]).find((p) => p.title.includes('Du'))!;
    await sent.tap(`.pending-${du.id} .pending-cancel`);
    await sent.waitFor(() => (sent.data.pending as unknown[]).length === 1, 'the cancelled entry to go');
    assert.equal(a.state.modals.at(-1)?.title, '不再等这位收信人？');
    assert.equal(await server.app.prisma.pendingRecipient.count(), 1);
  });

  it('after Chen registers, unlocking the sender delivers it sealed again, and Chen reads it', async () => {
    const c = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(c, C);
    const [entry] = await server.app.prisma.pendingRecipient.findMany();
    assert.ok(entry!.recipientId, 'matched to Chen at registration');

    // The sender's phone after a restart: locked until the master key is entered.
    const restarted = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: a.state.storage,
    });
    const sent = restarted.open('/pages/sent/sent');
    await sent.waitFor(
      () => (sent.data.pending as { state: string }[])[0]?.state === 'ready',
      'the ready entry',
    );
    assert.match(sent.text('.pending-list'), /对方已注册，解锁后送达/);
    const unlock = restarted.open('/pages/unlock/unlock');
    await unlock.input('.key-input', A.masterKey);
    await unlock.tap('.submit');
    await unlock.waitFor(() => restarted.lastNavigation()?.type === 'navigateBack', 'going back');
    unlock.unload();
    assert.equal(restarted.state.toasts.at(-1), '已送达 1 封等待中的密信');
    const delivered = await server.app.prisma.pendingRecipient.findUniqueOrThrow({
      where: { id: entry!.id },
    });
    assert.ok(delivered.deliveredEnvelopeId);

    const inbox = c.open('/pages/inbox/inbox');
    await inbox.waitFor(() => (inbox.data.items as unknown[]).length === 1, "Chen's inbox");
    const open = c.open('/pages/open/open', { id: delivered.deliveredEnvelopeId! });
    await open.waitFor(() => open.data.state === 'open', 'the letter to open');
    const letter = open.data.letter as { content: string; remark: string; senderName: string };
    assert.equal(letter.content, 'gate code 7730');
    assert.equal(letter.remark, 'gate');
    assert.equal(letter.senderName, A.name);
    // The open page offers new-letter messages; the tap asks WeChat and the server counts it.
    await open.waitFor(() => open.data.canNotify === true, 'the notify button');
    await open.tap('.notify-button');
    await open.waitFor(() => open.data.canNotify === false, 'the request');
    assert.deepEqual(c.state.subscribeRequests.at(-1), [TEMPLATES.WECHAT_TEMPLATE_NEW_LETTER]);

    // A second unlock finds nothing left to deliver.
    const again = restarted.module<{ deliverReady(): Promise<{ delivered: string[] }> }>(
      'services/letters/index.js',
    );
    assert.deepEqual((await again.deliverReady()).delivered, []);
  });

  it('a pinned recipient back with a new key: reviewed on the sent page, declined, then accepted and delivered', async () => {
    const compose = a.open('/pages/compose/compose');
    await compose.waitFor(() => compose.data.ready === true, 'the compose form');
    await compose.input('.content-input', 'the boat leaves at six');
    await addRow(compose, E, 0);
    const before = a.state.navigations.length;
    await compose.tap('.seal-button');
    await compose.waitFor(
      () => a.state.navigations.slice(before).some((n) => n.type === 'redirectTo'),
      'the share page',
    );
    const [entry] = await server.app.prisma.pendingRecipient.findMany({ where: { name: E.name } });

    // Eryu registers; before the sender's next unlock they write to Eryu, which pins Eryu's key.
    const e = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(e, E);
    await sendThroughPage(a, { content: 'welcome, Eryu', to: [E] });
    const eryu = await server.app.prisma.user.findUniqueOrThrow({ where: { id: userOf(e) } });
    const firstKey = await keyOf(eryu.id);

    // Eryu forgets the master key and resets: a new key nothing signed.
    const reset = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: e.state.storage,
    });
    const unlockE = reset.open('/pages/unlock/unlock');
    await unlockE.tap('.forgot-link');
    await unlockE.input('.new-key', E_NEW);
    await unlockE.waitFor(() => unlockE.data.strengthOk === true, 'the new key to be rated');
    await unlockE.input('.new-key2', E_NEW);
    await unlockE.tap('.ack');
    await unlockE.tap('.reset-submit');
    await unlockE.waitFor(() => reset.state.toasts.includes('密钥已重设'), 'the reset');
    const newKey = await keyOf(eryu.id);
    assert.notEqual(newKey, firstKey);

    // The sender unlocks: nothing is sealed to the changed key, and the unlock page says so.
    const restarted = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: a.state.storage,
    });
    const unlock = restarted.open('/pages/unlock/unlock');
    await unlock.input('.key-input', A.masterKey);
    await unlock.tap('.submit');
    // Nothing under it: it goes on to the inbox.
    await unlock.waitFor(() => restarted.lastNavigation() !== undefined, 'going on');
    unlock.unload();
    assert.equal(restarted.state.modals.at(-1)?.title, '有收信人的密钥变了');
    assert.match(String(restarted.state.modals.at(-1)?.content), /Eryu的密钥和你手机上记录的不一样/);
    const undelivered = () =>
      server.app.prisma.pendingRecipient.findUniqueOrThrow({ where: { id: entry!.id } });
    assert.equal((await undelivered()).deliveredAt, null);

    // The sent page marks the entry and shows the key-change screen with both fingerprints.
    const sent = restarted.open('/pages/sent/sent');
    const row = `.pending-${entry!.id}`;
    await sent.waitFor(
      () => (sent.data.pending as { id: string; keyChanged: boolean }[]).some((p) => p.keyChanged),
      'the key-changed entry',
    );
    assert.match(sent.text(`${row} .pending-state`), /密钥变了/);
    assert.equal(sent.text(`${row} .pending-key-note`), 'Eryu 的密钥变了——核对后才会送达');
    await sent.tap(`${row} .pending-review`);
    const review = sent.text('.key-review');
    assert.match(review, /Eryu 的密钥变了/);
    assert.ok(review.includes(formatFingerprint(base64urlDecode(firstKey))), 'the old fingerprint');
    assert.ok(review.includes(formatFingerprint(base64urlDecode(newKey))), 'the new fingerprint');
    assert.match(review, /没有旧密钥的签名/, 'a reset is the strong warning');

    // Declined: nothing delivered, the entry still waits and can still be cancelled.
    await sent.tap('.cancel-key-button');
    assert.equal(sent.data.review, null);
    assert.ok(!sent.$('.key-review'));
    assert.equal((await undelivered()).deliveredAt, null);
    assert.ok(sent.$(`${row} .pending-cancel`));
    const inbox = () =>
      server.app.prisma.envelopeRecipient.count({ where: { userId: eryu.id, removedAt: null } });
    assert.equal(await inbox(), 1, 'only the letter sent to the first key');

    // The same in English.
    const i18n = restarted.module<{ setLocale(locale: 'zh' | 'en'): void }>('i18n/index.js');
    i18n.setLocale('en');
    const english = restarted.open('/pages/sent/sent');
    await english.waitFor(
      () => (english.data.pending as { keyChanged: boolean }[]).some((p) => p.keyChanged),
      'the key-changed entry',
    );
    assert.equal(
      english.text(`${row} .pending-key-note`),
      "Eryu's key changed — review before the letter is delivered",
    );
    english.unload();
    i18n.setLocale('zh');

    // Accepted: that very key is pinned and the letter sealed to it and delivered.
    await sent.tap(`${row} .pending-review`);
    await sent.tap('.accept-key-button');
    await sent.waitFor(() => restarted.state.toasts.includes('已送达 1 封等待中的密信'), 'the delivery');
    const delivered = await undelivered();
    assert.ok(delivered.deliveredEnvelopeId);
    assert.equal(await inbox(), 2);
    await sent.waitFor(
      () =>
        (sent.data.pending as { id: string; state: string }[]).find((p) => p.id === entry!.id)?.state ===
        'delivered',
      'the entry to show delivered',
    );
    const open = reset.open('/pages/open/open', { id: delivered.deliveredEnvelopeId! });
    await open.waitFor(() => open.data.state === 'open', 'the letter to open');
    assert.equal((open.data.letter as { content: string }).content, 'the boat leaves at six');
  });
});
