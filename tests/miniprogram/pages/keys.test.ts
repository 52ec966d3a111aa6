/**
 * Keys through the pages: registering with the WeChat login (wx.login + the getPhoneNumber button,
 * through the fake WeChat server), the strength meter refusing weak master keys, unlocking on a
 * restarted app (wrong key, then right key), locking after time in the background, and the Me page
 * (fingerprint, changing the master key, language, logging out).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { Phone, sleep } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

const D = { name: '赵大', phone: '13900139001', masterKey: 'Dragon boat 端午 at 5 bells' };
const E = { name: 'Emma', phone: '13900139002', masterKey: 'Eleven owls read 3 maps!' };

describe('keys through the pages', () => {
  let server: TestServer;
  let d: Phone;
  let e: Phone;
  let letterId = '';

  before(async () => {
    await buildOnce();
    server = await startServer();
  });
  after(async () => {
    await server?.close();
  });

  it('registers with wx.login and the getPhoneNumber button, refusing weak and mismatched keys', async () => {
    d = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl, loginMode: 'wechat' });
    d.state.nextLoginCode = async () => {
      const code = `login-${randomBytes(6).toString('hex')}`;
      server.wechat.addLoginCode(code, 'openid-dragon');
      return code;
    };
    server.wechat.addPhoneCode('phone-code-dragon', D.phone);
    const page = d.open('/pages/register/register');
    await page.waitFor(() => page.data.ready === true, 'the register form');
    assert.ok(!page.$('.phone-input'), 'no typed phone with the WeChat login');
    assert.ok(page.$('.phone-button'));
    // Both warnings are on the page, in plain words.
    assert.match(page.text('.warning-lost'), /没有任何人能帮你找回/);
    assert.match(page.text('.warning-sealed'), /永远无法打开/);
    await page.tap('.agree-box');

    await page.fire('.phone-button', 'getphonenumber', {
      code: 'phone-code-dragon',
      errMsg: 'getPhoneNumber:ok',
    });
    await page.waitFor(() => page.data.phoneVerified !== '', 'the phone to be verified');
    assert.match(page.text('.phone-verified'), /\*/);

    await page.input('.name-input', D.name);
    for (const weak of ['12345678', 'password123', 'short']) {
      await page.input('.key-input', weak);
      assert.equal(page.data.strengthOk, false, `${weak} must be refused`);
    }
    await page.tap('.ack');
    await page.tap('.submit');
    assert.notEqual(page.data.error, '', 'a weak key is refused with a reason');
    assert.equal(d.state.navigations.length, 0);

    await page.input('.key-input', D.masterKey);
    await page.input('.key2-input', `${D.masterKey}!`);
    await page.tap('.submit');
    assert.equal(page.data.error, '两次输入的主密钥不一致');

    await page.input('.key2-input', D.masterKey);
    await page.tap('.submit');
    await page.waitFor(() => d.state.navigations.some((n) => n.url === '/pages/inbox/inbox'), 'registration');
    assert.equal(page.data.progress, 100, 'the progress indicator went through every step');
    assert.equal(page.data.masterKey, '', 'the typed master key is cleared');
    assert.equal(server.wechat.calls.jscode2session >= 1, true);
    assert.equal(server.wechat.calls.getuserphonenumber, 1);
  });

  it('sends a letter from D to E', async () => {
    e = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl, backgroundLockMs: 60 });
    await registerThroughPage(e, E);
    letterId = idOf(await sendThroughPage(d, { content: 'locker 4471', to: [E], expiry: 'THREE_DAYS' }));
  });

  it('on a restarted app the letter is locked until the master key is entered; a wrong key says so', async () => {
    const restarted = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      storage: e.state.storage,
    });
    const open = restarted.open('/pages/open/open', { id: letterId });
    await open.waitFor(() => open.data.state === 'locked', 'the locked state');
    assert.match(open.text(), /请先解锁/);
    await open.tap('.unlock-button');
    assert.equal(restarted.lastNavigation()?.url, '/pages/unlock/unlock');

    const unlock = restarted.open('/pages/unlock/unlock');
    await unlock.input('.key-input', 'Eleven owls read 4 maps!');
    await unlock.tap('.submit');
    await unlock.waitFor(() => unlock.data.error !== '', 'the wrong key to be refused');
    assert.equal(unlock.text('.unlock-error'), '主密钥不对，请再试一次。');

    await unlock.input('.key-input', E.masterKey);
    await unlock.tap('.submit');
    await unlock.waitFor(() => restarted.lastNavigation()?.type === 'navigateBack', 'going back');
    unlock.unload();
    open.call('onShow');
    await open.waitFor(() => open.data.state === 'open', 'the letter to open');
    assert.equal((open.data.letter as { content: string }).content, 'locker 4471');
  });

  it('drops the private key after a while in the background', async () => {
    const open = e.open('/pages/open/open', { id: letterId });
    await open.waitFor(() => open.data.state === 'open', 'the letter to open');
    const keyring = e.module<{ isUnlocked(): boolean }>('services/keyring/index.js');
    assert.equal(keyring.isUnlocked(), true);
    e.appHide();
    await sleep(120);
    assert.equal(keyring.isUnlocked(), false, 'the timer dropped the key while in the background');
    assert.equal(open.data.letter, null, 'the open letter left the page with the key');
    assert.equal(open.data.state, 'locked');
    assert.doesNotMatch(open.html(), /locker 4471/);
    e.appShow();
    const again = e.open('/pages/open/open', { id: letterId });
    await again.waitFor(() => again.data.state !== 'loading', 'an answer');
    assert.equal(again.data.state, 'locked');
  });

  it('Me: shows the fingerprint others see, changes the master key, switches language, logs out', async () => {
    const asE = e.open('/pages/open/open', { id: letterId });
    // E is locked now; unlock through the service the unlock page uses.
    await e.module<{ unlock(k: string): Promise<unknown> }>('services/keyring/index.js').unlock(E.masterKey);
    asE.call('onShow');
    await asE.waitFor(() => asE.data.state === 'open', 'the letter to open');
    const seenByE = (asE.data.letter as { senderFingerprint: string }).senderFingerprint;

    const me = d.open('/pages/me/me');
    await me.waitFor(() => me.data.fingerprint !== '', 'the fingerprint');
    assert.equal(me.data.fingerprint, seenByE, 'the sender reads aloud what the recipient sees');
    assert.match(me.text('.profile-name'), /赵大/);

    const newKey = 'New moon, 12 lanterns, 1 bridge';
    await me.tap('.change-toggle');
    await me.input('.new-key', newKey);
    await me.input('.new-key2', newKey);
    await me.tap('.change-submit');
    await me.waitFor(() => d.state.toasts.includes('主密钥已更新'), 'the change to finish');

    // The old key no longer opens the backup; the new one does (on a fresh start of D's app).
    const fresh = new Phone({
      apiBaseUrl: server.url,
      publicUrl: server.publicUrl,
      loginMode: 'wechat',
      storage: d.state.storage,
    });
    const keyring = fresh.module<{ unlock(k: string): Promise<unknown> }>('services/keyring/index.js');
    await assert.rejects(keyring.unlock(D.masterKey), (err: Error) => err.name === 'WrongMasterKey');
    await keyring.unlock(newKey);

    await me.tap('.language-toggle');
    assert.match(me.text(), /My key fingerprint/);
    assert.deepEqual(d.state.tabBar, ['Inbox', 'Sent', 'Me']);
    await me.tap('.language-toggle');
    assert.match(me.text(), /我的密钥指纹/);

    await me.tap('.logout-button');
    await me.waitFor(() => !d.state.storage.has('mifeng.token'), 'the token to be forgotten');
    assert.equal(d.lastNavigation()?.url, '/pages/inbox/inbox');
    const keyringD = d.module<{ isUnlocked(): boolean }>('services/keyring/index.js');
    assert.equal(keyringD.isUnlocked(), false);
  });
});
