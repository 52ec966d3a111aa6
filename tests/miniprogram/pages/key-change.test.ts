/**
 * Changing one's own key through the pages, with the real API: "change my key pair" on the Me page
 * (a key change signed by the current key; a letter sealed to the old key still opens on a
 * restarted phone, the contact book moves to the new key, and the sender's compose shows a signed
 * change), then "forgot master key" on the unlock page (a reset after a fresh sign-in: the account
 * and phone number stay, the old letter can no longer be opened and says why, the contact book
 * starts over, and the sender's compose shows a reset). Inbox and sent rows show the remark only
 * while unlocked. The copy is checked in Chinese and English.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { type PageHandle, Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

const A = { name: '周小安', phone: '13700137001', masterKey: 'Copper kettle, 9 cranes, 2 lakes' };
const B = { name: 'Bai Lu', phone: '13700137002', masterKey: 'Quiet harbour 31 at dawn?' };
const A_NEW = 'Willow bridge: 14 lanterns, no moon';

interface KeyringModule {
  unlock(masterKey: string): Promise<unknown>;
  isUnlocked(): boolean;
  currentIdentity(): { user: string; publicKey: Uint8Array } | null;
}
interface ContactsModule {
  loadContacts(): Promise<{ counter: number; contacts: { user: string; publicKey: string }[] }>;
}
interface Draft {
  status: string;
  trust?: string;
}
interface LettersModule {
  recipientKeyChange(draft: Draft): { kind: 'signed' | 'reset' } | null;
}

type Me = { user: { id: string; name: string; phoneMasked: string }; publicKey: string };

let server: TestServer;
let a: Phone;
let b: Phone;
/** B's letter to A, sealed to A's first key. */
let toOldKey = '';

/** `GET` an API path with `device`'s stored token, as the server answers it. */
async function apiGet(device: Phone, path: string): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${device.state.storage.get('mifeng.token')}` },
  });
  assert.equal(res.status, 200, path);
  return res.json();
}

async function openLetter(device: Phone, id: string): Promise<PageHandle> {
  const open = device.open('/pages/open/open', { id });
  await open.waitFor(() => open.data.state !== 'loading', 'an answer');
  return open;
}

/** A restarted copy of A's app (same storage: same account and token), keys locked. */
function restartA(): Phone {
  return new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl, storage: a.state.storage });
}

/** B starts a letter to A and waits for A's row; resolves to the row as compose holds it. */
async function composeToA(): Promise<{ compose: PageHandle; row: Draft }> {
  const compose = b.open('/pages/compose/compose');
  await compose.waitFor(() => compose.data.ready === true, 'the compose form');
  await compose.input('.add-row .name-input', A.name);
  await compose.input('.add-row .phone-input', A.phone);
  await compose.tap('.add-button');
  await compose.waitFor(
    () => (compose.data.recipients as Draft[])[0]?.trust !== undefined,
    'A to be found and checked',
  );
  return { compose, row: (compose.data.recipients as Draft[])[0]! };
}

describe('changing my own key through the pages', () => {
  before(async () => {
    await buildOnce();
    server = await startServer();
    a = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    b = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(a, A);
    await registerThroughPage(b, B);
  });
  after(async () => {
    await server?.close();
  });

  it('letters both ways pin each other; rows show the remark while unlocked', async () => {
    toOldKey = idOf(await sendThroughPage(b, { content: 'gate code 5512', remark: '小区门禁', to: [A] }));
    const opened = await openLetter(a, toOldKey);
    assert.equal(opened.data.state, 'open');
    await sendThroughPage(a, { content: 'thanks', remark: 'reply to the gate', to: [B] });

    const inbox = a.open('/pages/inbox/inbox');
    await inbox.waitFor(() => (inbox.data.items as unknown[]).length === 1, 'the inbox row');
    assert.match(inbox.text('.row-remark'), /备注：小区门禁/);
    assert.match(inbox.text('.row-title'), /来自 Bai Lu/);
    const sent = a.open('/pages/sent/sent');
    await sent.waitFor(() => (sent.data.items as unknown[]).length === 1, 'the sent row');
    assert.match(sent.text('.row-remark'), /reply to the gate/);
    assert.match(sent.text('.row-title'), /发给 Bai Lu/);

    // A locked phone lists no remark.
    const locked = restartA();
    const lockedInbox = locked.open('/pages/inbox/inbox');
    await lockedInbox.waitFor(() => (lockedInbox.data.items as unknown[]).length === 1, 'the inbox row');
    assert.ok(!lockedInbox.$('.row-remark'));
    assert.doesNotMatch(lockedInbox.html(), /小区门禁/);
  });

  it('rotates the key on the Me page: the old letter still opens, the book moves, B sees a signed change', async () => {
    const me = a.open('/pages/me/me');
    await me.waitFor(() => me.data.fingerprint !== '' && me.data.loading === false, 'the own key');
    const before = me.data.fingerprint;
    // No section title repeats its only item.
    assert.match(me.text('.verify-button'), /扫描对方的密钥二维码/);
    assert.doesNotMatch(me.text(), /核验联系人\s*核验联系人/);
    await me.tap('.rotate-toggle');
    assert.match(me.text('.rotate-points'), /以前收到的密信照样能打开/);
    await me.input('.rotate-key', 'not my master key at all 99');
    await me.tap('.rotate-submit');
    await me.waitFor(() => me.data.error !== '', 'the wrong key to be refused');
    assert.equal(me.text('.me-error'), '主密钥不对，请再试一次。');

    await me.input('.rotate-key', A.masterKey);
    await me.tap('.rotate-submit');
    await me.waitFor(() => a.state.toasts.includes('密钥已更换'), 'the rotation');
    await me.waitFor(
      () => me.data.fingerprint !== before && me.data.fingerprint !== '',
      'the new fingerprint',
    );

    // A restarted phone unlocks both keys with the one master key; the old letter opens.
    const restarted = restartA();
    const unlock = restarted.open('/pages/unlock/unlock');
    await unlock.input('.key-input', A.masterKey);
    await unlock.tap('.submit');
    const keyring = restarted.module<KeyringModule>('services/keyring/index.js');
    await unlock.waitFor(() => keyring.isUnlocked(), 'the unlock');
    const open = await openLetter(restarted, toOldKey);
    assert.equal(open.data.state, 'open');
    assert.equal((open.data.letter as { content: string }).content, 'gate code 5512');
    assert.equal((open.data.letter as { senderVerified: boolean }).senderVerified, false);
    // The contact book, sealed to the old key, now opens with the new one and still pins B.
    const book = await restarted.module<ContactsModule>('services/contacts/index.js').loadContacts();
    assert.equal(book.contacts.length, 1);
    const stored = (await apiGet(restarted, '/api/v1/me/contacts')) as { counter: number };
    assert.equal(stored.counter, book.counter);

    const { compose, row } = await composeToA();
    assert.equal(row.trust, 'changed');
    const letters = b.module<LettersModule>('services/letters/index.js');
    assert.equal(letters.recipientKeyChange(row)?.kind, 'signed');
    compose.unload();
  });

  it('"forgot master key" explains what is lost, resets after a fresh sign-in, and keeps the account', async () => {
    const phone = restartA();
    const was = (await apiGet(phone, '/api/v1/me')) as Me;
    const unlock = phone.open('/pages/unlock/unlock');
    await unlock.tap('.forgot-link');
    assert.equal(unlock.data.resetting, true);
    assert.match(unlock.text('.reset-lost'), /再也打不开/);
    assert.match(unlock.text('.reset-book'), /联系人名单/);
    assert.match(unlock.text('.reset-kept'), /手机号不变/);
    assert.match(unlock.text('.reset-warned'), /密钥已变更/);

    await unlock.input('.new-key', '12345678');
    await unlock.waitFor(() => unlock.data.strengthText !== '', 'the meter');
    assert.equal(unlock.data.strengthOk, false, 'a weak key is refused as at registration');
    await unlock.input('.new-key', A_NEW);
    await unlock.waitFor(() => unlock.data.strengthOk === true, 'the new key to be rated');
    await unlock.input('.new-key2', A_NEW);
    await unlock.tap('.reset-submit');
    assert.equal(
      phone.state.requests.some((r) => r.url.endsWith('/me/keys/reset')),
      false,
      'not before the tick',
    );
    assert.equal(unlock.text('.reset-error'), '请先勾选确认');
    await unlock.tap('.ack');
    assert.equal(unlock.data.acknowledged, true);
    const sentBefore = phone.state.requests.length;
    await unlock.tap('.reset-submit');
    await unlock.waitFor(() => phone.state.toasts.includes('密钥已重设'), 'the reset');
    const calls = phone.state.requests.slice(sentBefore).map((r) => `${r.method} ${new URL(r.url).pathname}`);
    const signIn = calls.indexOf('POST /api/v1/auth/dev');
    assert.ok(
      signIn >= 0 && signIn < calls.indexOf('POST /api/v1/me/keys/reset'),
      'a fresh sign-in came first',
    );

    // The same account, name and phone; a new key, recorded as a reset.
    const now = (await apiGet(phone, '/api/v1/me')) as Me;
    assert.equal(now.user.id, was.user.id);
    assert.equal(now.user.name, A.name);
    assert.equal(now.user.phoneMasked, was.user.phoneMasked);
    assert.notEqual(now.publicKey, was.publicKey);
    const keys = (await apiGet(phone, '/api/v1/me/keys')) as { history: { kind: string }[] };
    assert.deepEqual(
      keys.history.map((h) => h.kind),
      ['register', 'signed-change', 'reset'],
    );

    // Unlocked with the new key; the old letter is sealed to a lost key and says so.
    assert.equal(phone.module<KeyringModule>('services/keyring/index.js').isUnlocked(), true);
    const open = await openLetter(phone, toOldKey);
    assert.equal(open.data.state, 'old_key');
    assert.match(open.text(), /这封信用的是你以前的密钥/);
    // The contact book started over, empty.
    const book = await phone.module<ContactsModule>('services/contacts/index.js').loadContacts();
    assert.equal(book.contacts.length, 0);

    // B's compose shows the reset, the stronger warning.
    const { compose, row } = await composeToA();
    assert.equal(row.trust, 'changed');
    assert.equal(b.module<LettersModule>('services/letters/index.js').recipientKeyChange(row)?.kind, 'reset');
    compose.unload();

    // A restarted phone unlocks with the new master key only.
    const later = restartA();
    const keyring = later.module<KeyringModule>('services/keyring/index.js');
    await assert.rejects(keyring.unlock(A.masterKey), (err: Error) => err.name === 'WrongMasterKey');
    await keyring.unlock(A_NEW);
  });

  it('says the same in English', async () => {
    const phone = restartA();
    phone.module<{ setLocale(l: string): void }>('i18n/index.js').setLocale('en');
    const unlock = phone.open('/pages/unlock/unlock');
    assert.match(unlock.text('.forgot-link'), /Forgot your master key\?/);
    await unlock.tap('.forgot-link');
    assert.match(unlock.text('.reset-lost'), /can never be opened again/);
    assert.match(unlock.text('.reset-book'), /contact list/);
    assert.match(unlock.text('.reset-kept'), /phone number stay yours/);
    await phone.module<KeyringModule>('services/keyring/index.js').unlock(A_NEW);
    const open = await openLetter(phone, toOldKey);
    assert.match(open.text(), /Sealed to one of your earlier keys/);
    const me = phone.open('/pages/me/me');
    await me.waitFor(() => me.data.loading === false, 'the Me page');
    await me.tap('.rotate-toggle');
    assert.match(me.text('.rotate-points'), /Letters you received before still open/);
  });
});
