/**
 * Trust in keys against a malicious server, through the built pages: a proxy in front of the real
 * API (harness/malicious-server.ts) answers as a dishonest operator would. A and B pin each other
 * with their first letters; then the server swaps B's key at lookup (compose refuses to seal until
 * A accepts the change on the key-change screen), swaps A's key on a letter it forged for B (open
 * warns before any content), B verifies A in person by scanning A's key QR code (the mark shows in
 * open and inbox, and goes when A's key changes), serves B an older or a foreign contact book
 * (refused), and a token stolen from A is refused for a key change without a statement and after A
 * logs out.
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import jsQR from 'jsqr';
import type { EnvelopeJson, GetEnvelopeResponse, KeyHistory, LookupResponse } from '../../../shared/api';
import { setRandomSource } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import {
  formatFingerprint,
  generateIdentity,
  type Identity,
  keyId,
  keyQrPayload,
  sealEnvelope,
} from '../../../shared/protocol';
import { buildOnce } from '../harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { type MaliciousServer, type SeenRequest, startMaliciousServer } from '../harness/malicious-server';
import { type PageHandle, Phone } from '../harness/mini-program';
import { publishKeyInName, startServer, type TestServer } from '../harness/server';

const A = { name: '王小明', phone: '13800138001', masterKey: 'Ash tree, 7 rivers & 1 moon' };
const B = { name: 'Li Hua', phone: '13800138002', masterKey: 'Birch-leaf 42 under snow!' };

let server: TestServer;
let proxy: MaliciousServer;
let a: Phone;
let b: Phone;
/** The users' ids and real public keys, as the server knows them. */
const real: Record<'A' | 'B', { user: string; publicKey: string }> = {
  A: { user: '', publicKey: '' },
  B: { user: '', publicKey: '' },
};
let firstLetter = '';

const isLookup = (r: SeenRequest) => r.method === 'POST' && r.path === '/api/v1/recipients/lookup';
const isFetch = (id: string) => (r: SeenRequest) =>
  r.method === 'GET' && r.path === `/api/v1/envelopes/${id}`;
const isContacts = (r: SeenRequest) => r.path === '/api/v1/me/contacts';

/** The history a dishonest server serves with a key of its own: the real one, then a "reset". */
function resetTo(history: KeyHistory, key: Identity): KeyHistory {
  return [
    ...history,
    {
      keyId: keyId(key.publicKey),
      publicKey: base64urlEncode(key.publicKey),
      kind: 'reset',
      at: new Date().toISOString(),
      statement: null,
    },
  ];
}

async function me(device: Phone): Promise<{ user: string; publicKey: string }> {
  const page = device.open('/pages/me/me');
  await page.waitFor(() => page.data.fingerprint !== '' && page.data.loading === false, 'the own key');
  const session = device.module<{ currentProfile(): { user: { id: string }; publicKey: string } }>(
    'services/session/index.js',
  );
  const profile = session.currentProfile();
  page.unload();
  return { user: profile.user.id, publicKey: profile.publicKey };
}

/** Opens a letter on `device` and waits for an answer. */
async function openLetter(device: Phone, id: string): Promise<PageHandle> {
  const open = device.open('/pages/open/open', { id });
  await open.waitFor(() => open.data.state !== 'loading', 'an answer');
  return open;
}

/** A letter the server forges "from" A to B: sealed and signed with the server's own key. */
function forgeFromA(id: string, forger: Identity, content: string): EnvelopeJson {
  return sealEnvelope(
    {
      sender: { user: real.A.user, privateKey: forger.privateKey, publicKey: forger.publicKey },
      recipients: [{ user: real.B.user, publicKey: base64urlDecode(real.B.publicKey) }],
      content,
      remark: '',
      expiresAt: new Date(Date.now() + 86_400_000),
    },
    { id: base64urlDecode(id) },
  ) as EnvelopeJson;
}

/**
 * Makes the server answer letter `id` with a forgery signed by `forger`, served as A's key, in the
 * letter's status (checked before the fetch) and its fetch alike. The forger's key is published in
 * the log in A's name first: a key left out of it would not even get as far as the key-change
 * warning (tests/miniprogram/pages/transparency.test.ts).
 */
async function serveForgery(id: string, forger: Identity, content: string): Promise<void> {
  const log = await publishKeyInName(server, real.A.user, forger.publicKey);
  proxy.rewrite = (r, answer) => {
    const status = r.method === 'GET' && r.path === `/api/v1/envelopes/${id}/status`;
    if ((!isFetch(id)(r) && !status) || answer.status !== 200) return undefined;
    const body = answer.body as Partial<GetEnvelopeResponse> & Pick<GetEnvelopeResponse, 'sender'>;
    if (!status) body.envelope = forgeFromA(id, forger, content);
    body.sender = {
      ...body.sender,
      publicKey: base64urlEncode(forger.publicKey),
      keyId: keyId(forger.publicKey),
      keyHistory: resetTo(body.sender.keyHistory, forger),
      log,
    };
    return answer;
  };
}

describe('trust in keys, against a malicious server', () => {
  before(async () => {
    setRandomSource((n) => webcrypto.getRandomValues(new Uint8Array(n)));
    await buildOnce();
    server = await startServer();
    proxy = await startMaliciousServer(server.url);
    a = new Phone({ apiBaseUrl: proxy.url, publicUrl: server.publicUrl });
    b = new Phone({ apiBaseUrl: proxy.url, publicUrl: server.publicUrl });
    await registerThroughPage(a, A);
    await registerThroughPage(b, B);
    real.A = await me(a);
    real.B = await me(b);
  });
  after(async () => {
    setRandomSource(null);
    await proxy?.close();
    await server?.close();
  });

  it('first letters: a new contact shows as such, and is pinned once sealed and opened', async () => {
    const compose = a.open('/pages/compose/compose');
    await compose.waitFor(() => compose.data.ready === true, 'the compose form');
    await compose.input('.add-row .name-input', B.name);
    await compose.input('.add-row .phone-input', B.phone);
    await compose.tap('.add-button');
    await compose.waitFor(
      () => (compose.data.recipients as { trust?: string }[])[0]?.trust === 'new',
      'B as new',
    );
    assert.match(compose.text('.recipient'), /首次联系/);
    compose.unload();

    firstLetter = idOf(await sendThroughPage(a, { content: '保险柜密码 8841-2207', to: [B] }));
    const open = await openLetter(b, firstLetter);
    assert.equal(open.data.state, 'open');
    assert.equal((open.data.letter as { content: string }).content, '保险柜密码 8841-2207');
    // The name as A had it when sending, with A's masked phone, so two people of one name differ.
    assert.match(open.text('.sender-name'), /王小明\*{7}8001/);

    const again = a.open('/pages/compose/compose');
    await again.waitFor(() => again.data.ready === true, 'the compose form');
    await again.input('.add-row .name-input', B.name);
    await again.input('.add-row .phone-input', B.phone);
    await again.tap('.add-button');
    await again.waitFor(
      () => (again.data.recipients as { trust?: string }[])[0]?.trust === 'pinned',
      'B pinned',
    );
    assert.match(again.text('.recipient'), /密钥未变/);
    // Both books are on the server, sealed: the server holds bytes it cannot read.
    const puts = proxy.seen.filter((r) => isContacts(r) && r.method === 'PUT');
    assert.ok(puts.length >= 2);
    for (const put of puts) assert.doesNotMatch(JSON.stringify(put.body), new RegExp(real.B.user));
  });

  it("B's key swapped at lookup: compose refuses to seal until A accepts the change, seeing both fingerprints", async () => {
    const mallory = generateIdentity(real.B.user);
    // Published in the log in B's name, as a server must to get past the log check.
    const log = await publishKeyInName(server, real.B.user, mallory.publicKey);
    proxy.rewrite = (r, answer) => {
      if (!isLookup(r) || answer.status !== 200) return undefined;
      const body = answer.body as LookupResponse;
      answer.body = {
        ...body,
        publicKey: base64urlEncode(mallory.publicKey),
        keyId: keyId(mallory.publicKey),
        keyHistory: resetTo(body.keyHistory, mallory),
        log,
      };
      return answer;
    };
    const compose = a.open('/pages/compose/compose');
    await compose.waitFor(() => compose.data.ready === true, 'the compose form');
    await compose.input('.content-input', '新的保险柜密码 1234');
    await compose.input('.add-row .name-input', B.name);
    await compose.input('.add-row .phone-input', B.phone);
    await compose.tap('.add-button');
    const rows = () => compose.data.recipients as { trust?: string }[];
    await compose.waitFor(() => rows()[0]?.trust === 'changed', 'the changed key');
    assert.match(compose.text('.recipient'), /密钥已变更/);

    const uploads = () =>
      proxy.seen.filter((r) => r.method === 'POST' && r.path === '/api/v1/envelopes').length;
    const before = uploads();
    await compose.tap('.seal-button');
    assert.match(compose.text('.compose-error'), /Li Hua 的密钥变了/);
    assert.equal(uploads(), before, 'nothing was sealed or sent');

    await compose.tap('.review-button');
    const review = compose.text('.key-review');
    assert.match(review, /Li Hua 的密钥变了/);
    assert.ok(review.includes(formatFingerprint(base64urlDecode(real.B.publicKey))), 'the old fingerprint');
    assert.ok(review.includes(formatFingerprint(mallory.publicKey)), 'the new fingerprint');
    assert.match(review, /没有旧密钥的签名/, 'a reset is the strong warning');
    await compose.tap('.cancel-key-button');
    assert.equal(compose.data.review, null);
    await compose.tap('.seal-button');
    assert.equal(uploads(), before, 'still nothing sent after "not now"');

    await compose.tap('.review-button');
    await compose.tap('.accept-key-button');
    await compose.waitFor(() => rows()[0]?.trust === 'pinned', 'the accepted key pinned');
    await compose.tap('.seal-button');
    await compose.waitFor(() => uploads() > before, 'the letter to be sent');
    const sent = proxy.seen.filter((r) => r.method === 'POST' && r.path === '/api/v1/envelopes').at(-1)!;
    const envelope = (sent.body as { envelope: EnvelopeJson }).envelope;
    assert.equal(envelope.recipients.find((x) => x.user === real.B.user)?.key, keyId(mallory.publicKey));
    proxy.rewrite = null;
  });

  it("A's key swapped on a letter the server forged: open leads with the warning, shows no content (English too)", async () => {
    const mallory = generateIdentity(real.A.user);
    await serveForgery(firstLetter, mallory, 'forged: send the money to 6222');
    const open = await openLetter(b, firstLetter);
    assert.equal(open.data.state, 'key_changed');
    assert.equal(open.data.letter, null);
    assert.doesNotMatch(open.html(), /forged|6222/);
    assert.match(open.text(), /发信人的密钥变了/);
    assert.ok(open.text().includes(formatFingerprint(base64urlDecode(real.A.publicKey))));
    assert.ok(open.text().includes(formatFingerprint(mallory.publicKey)));
    await open.tap('.reject-key-button');
    assert.equal(b.lastNavigation()?.url, '/pages/inbox/inbox');

    b.module<{ setLocale(l: string): void }>('i18n/index.js').setLocale('en');
    const english = await openLetter(b, firstLetter);
    assert.equal(english.data.state, 'key_changed');
    assert.match(english.text(), /The sender's key has changed/);
    assert.match(english.text(), /Nothing vouches for this change/);
    b.module<{ setLocale(l: string): void }>('i18n/index.js').setLocale('zh');
    proxy.rewrite = null;
    // The real letter still opens as before: nothing was pinned from the forgery.
    const genuine = await openLetter(b, firstLetter);
    assert.equal(genuine.data.state, 'open');
  });

  it('an answer naming a member twice (a junk signature before the real one) is refused, not read leniently', async () => {
    // JSON.parse keeps the last "sig", which is the real one: only the strict reading notices.
    proxy.rewrite = (r, answer) => {
      if (!isFetch(firstLetter)(r) || answer.status !== 200) return undefined;
      return {
        ...answer,
        raw: JSON.stringify(answer.body).replace('"envelope":{', '"envelope":{"sig":"MEUCIQ",'),
      };
    };
    const open = await openLetter(b, firstLetter);
    proxy.rewrite = null;
    assert.equal(open.data.state, 'tampered');
    assert.equal(open.data.letter, null);
    const genuine = await openLetter(b, firstLetter);
    assert.equal(genuine.data.state, 'open');
  });

  it("B verifies A by scanning the key QR code on A's Me page; a wrong code is refused", async () => {
    const mine = a.open('/pages/me/me');
    await mine.waitFor(() => a.state.canvases.has('#key-qr') && mine.data.keyQr !== '', 'the key QR code');
    const canvas = a.state.canvases.get('#key-qr')!;
    const scanned = jsQR(canvas.data, canvas.width, canvas.height)?.data ?? '';
    assert.equal(scanned, keyQrPayload({ user: real.A.user, publicKey: base64urlDecode(real.A.publicKey) }));
    assert.equal(mine.data.fingerprint, formatFingerprint(base64urlDecode(real.A.publicKey)));

    const verify = b.open('/pages/me/me');
    await verify.waitFor(() => verify.data.loading === false, 'the Me page');
    b.state.scanResult = keyQrPayload(generateIdentity(real.A.user));
    await verify.tap('.verify-button');
    await verify.waitFor(() => verify.data.verifyText !== '', 'the outcome');
    assert.match(verify.text('.verify-result'), /不一致/);

    b.state.scanResult = 'https://example.com/not-a-key';
    await verify.tap('.verify-button');
    await verify.waitFor(() => /不是密封的密钥二维码/.test(String(verify.data.verifyText)), 'not a key');

    b.state.scanResult = scanned;
    await verify.tap('.verify-button');
    await verify.waitFor(() => verify.data.verifyOk === true, 'the verification');
    assert.match(verify.text('.verify-result'), /核验成功/);

    const open = await openLetter(b, firstLetter);
    assert.match(open.text('.sender-name'), /✓ 已核验/);
    const inbox = b.open('/pages/inbox/inbox');
    await inbox.waitFor(
      () => inbox.data.loading === false && (inbox.data.items as unknown[]).length > 0,
      'the inbox',
    );
    assert.match(inbox.text('.letter-row'), /王小明\*{7}8001✓ 已核验/);
  });

  it("a verified contact's key changes: the warning says the mark goes, and after accepting it is gone", async () => {
    const mallory = generateIdentity(real.A.user);
    await serveForgery(firstLetter, mallory, 'forged again');
    const open = await openLetter(b, firstLetter);
    assert.equal(open.data.state, 'key_changed');
    assert.match(open.text(), /“已核验”标记会取消/);
    await open.tap('.accept-key-button');
    await open.waitFor(() => open.data.state === 'open', 'the letter under the accepted key');
    assert.doesNotMatch(open.text('.sender-name'), /已核验/);
    proxy.rewrite = null;
    const inbox = b.open('/pages/inbox/inbox');
    await inbox.waitFor(
      () => inbox.data.loading === false && (inbox.data.items as unknown[]).length > 0,
      'the inbox',
    );
    assert.doesNotMatch(inbox.text('.letter-row'), /已核验/);
  });

  it("an older copy of B's contact book, or A's, is refused, and nothing is opened against it", async () => {
    const puts = proxy.seen.filter((r) => isContacts(r) && r.method === 'PUT' && r.authorization);
    const bToken = b.state.storage.get('mifeng.token');
    const oldest = puts.find((r) => r.authorization === `Bearer ${bToken}`)!.body as {
      blob: string;
      counter: number;
    };
    const aToken = a.state.storage.get('mifeng.token');
    const aBook = puts.filter((r) => r.authorization === `Bearer ${aToken}`).at(-1)!.body as {
      blob: string;
      counter: number;
    };
    const relock = async () => {
      // A new unlock opens the book afresh from the server.
      const keyring = b.module<{ lock(): void; unlock(k: string): Promise<unknown> }>(
        'services/keyring/index.js',
      );
      keyring.lock();
      await keyring.unlock(B.masterKey);
    };
    for (const [what, served] of [
      ['an older copy', oldest],
      ["A's book", { blob: aBook.blob, counter: 99 }],
    ] as const) {
      proxy.intercept = (r) =>
        isContacts(r) && r.method === 'GET' ? { status: 200, body: served } : undefined;
      await relock();
      const open = await openLetter(b, firstLetter);
      assert.equal(open.data.state, 'contacts', what);
      assert.match(open.text(), /联系人名单校验失败/);
      assert.equal(open.data.letter, null);
    }
    proxy.intercept = null;
    await relock();
    // The current copy opens again, still pinning the key B accepted before.
    assert.equal((await openLetter(b, firstLetter)).data.state, 'key_changed');
  });

  it('a book that cannot be opened (as after a key reset) can be started over, after a warning', async () => {
    const bToken = b.state.storage.get('mifeng.token');
    const stored = proxy.seen
      .filter((r) => isContacts(r) && r.method === 'PUT' && r.authorization === `Bearer ${bToken}`)
      .at(-1)!.body as { counter: number };
    const aToken = a.state.storage.get('mifeng.token');
    const foreign = proxy.seen
      .filter((r) => isContacts(r) && r.method === 'PUT' && r.authorization === `Bearer ${aToken}`)
      .at(-1)!.body as { blob: string };
    // The server keeps B's counter but hands out a blob B's key cannot open, until B writes anew.
    let startedOver = false;
    proxy.intercept = (r) => {
      if (!isContacts(r)) return undefined;
      if (r.method === 'PUT') startedOver = true;
      if (r.method === 'PUT' || startedOver) return undefined;
      return { status: 200, body: { blob: foreign.blob, counter: stored.counter } };
    };
    const keyring = b.module<{ lock(): void; unlock(k: string): Promise<unknown> }>(
      'services/keyring/index.js',
    );
    keyring.lock();
    await keyring.unlock(B.masterKey);
    const open = await openLetter(b, firstLetter);
    assert.equal(open.data.state, 'contacts');
    b.state.modalAnswers.push(false);
    await open.tap('.contacts-over-button');
    assert.match(b.state.modals.at(-1)?.content ?? '', /服务器在捣乱/);
    assert.equal(startedOver, false, 'nothing is written without confirming');
    await open.tap('.contacts-over-button');
    await open.waitFor(() => open.data.state === 'open', 'the letter, against a new book');
    assert.equal(startedOver, true);
    // A new book: A is a first contact again (and pinned again by this open).
    assert.equal((open.data.letter as { senderVerified: boolean }).senderVerified, false);
    proxy.intercept = null;
  });

  it('a stolen token cannot change the key without a statement, and is refused after A logs out', async () => {
    const stolen = String(a.state.storage.get('mifeng.token'));
    const auth = { authorization: `Bearer ${stolen}`, 'content-type': 'application/json' };
    const thief = generateIdentity(real.A.user);
    const profile = (await (await fetch(`${server.url}/api/v1/me`, { headers: auth })).json()) as {
      backup: unknown;
    };
    const change = await fetch(`${server.url}/api/v1/me/keys`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({
        name: A.name,
        publicKey: base64urlEncode(thief.publicKey),
        backup: profile.backup,
      }),
    });
    assert.equal(change.status, 403);
    assert.equal(((await change.json()) as { error: { code: string } }).error.code, 'key_change_required');

    const page = a.open('/pages/me/me');
    await page.waitFor(() => page.data.loading === false, 'the Me page');
    await page.tap('.logout-button');
    await page.waitFor(() => !a.state.storage.has('mifeng.token'), 'the logout');
    const after = await fetch(`${server.url}/api/v1/me`, { headers: auth });
    assert.equal(after.status, 401);
  });
});
