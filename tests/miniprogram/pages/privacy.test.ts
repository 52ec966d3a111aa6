/**
 * WeChat's privacy flow through the pages: the agreement before the phone step, the popup that
 * answers onNeedPrivacyAuthorization, every way the phone number button can fail (none leaves the
 * person stuck), and the album refusal told apart from a privacy refusal.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

describe('privacy flow through the pages', () => {
  let server: TestServer;

  before(async () => {
    await buildOnce();
    server = await startServer();
  });
  after(async () => {
    await server?.close();
  });

  function wechatPhone(openid: string): Phone {
    const phone = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl, loginMode: 'wechat' });
    phone.state.nextLoginCode = async () => {
      const code = `login-${randomBytes(6).toString('hex')}`;
      server.wechat.addLoginCode(code, openid);
      return code;
    };
    return phone;
  }

  it('asks for the privacy guide before the phone step, and explains every phone button failure', async () => {
    const device = wechatPhone('openid-privacy-reg');
    device.launch();
    const page = device.open('/pages/register/register');
    await page.waitFor(() => page.data.ready === true, 'the register form');
    await page.waitFor(() => page.data.contractName !== '', 'the guide name');
    assert.match(page.text('.agree'), /我已阅读并同意《密封隐私保护指引》/);
    assert.equal(page.data.agreed, false, 'no phone step before agreeing');

    await page.tap('.agree-link');
    assert.equal(device.state.privacyContractOpened, 1);
    await page.tap('.submit');
    assert.equal(page.data.error, '请先阅读并同意隐私保护指引');

    await page.tap('.agree-box');
    assert.equal(page.data.agreed, true);

    const failures: [Record<string, unknown>, RegExp][] = [
      [{ errMsg: 'getPhoneNumber:fail user deny' }, /可以再点一次按钮授权/],
      [
        { errMsg: 'getPhoneNumber:fail privacy permission is not authorized', errno: 104 },
        /拒绝了隐私保护指引/,
      ],
      [
        { errMsg: 'getPhoneNumber:fail api scope is not declared in the privacy agreement', errno: 112 },
        /联系运营者/,
      ],
      [{ errMsg: 'getPhoneNumber:fail no quota', errno: 1400001 }, /次数暂时用完了/],
      [{ errMsg: 'getPhoneNumber:fail no permission' }, /暂时不能获取手机号（fail no permission）/],
    ];
    for (const [detail, message] of failures) {
      await page.fire('.phone-button', 'getphonenumber', detail);
      assert.match(String(page.data.error), message, JSON.stringify(detail));
      assert.equal(page.data.busy, false, 'the button stays usable');
      assert.equal(page.data.phoneVerified, '');
    }

    // After all that, the button still works.
    server.wechat.addPhoneCode('phone-code-privacy', '13600136001');
    await page.fire('.phone-button', 'getphonenumber', {
      code: 'phone-code-privacy',
      errMsg: 'getPhoneNumber:ok',
    });
    await page.waitFor(() => page.data.phoneVerified !== '', 'the phone to be verified');
    assert.equal(page.data.error, '');
  });

  it('shows the popup when the album needs the guide: declining is not a settings problem, agreeing saves', async () => {
    const device = wechatPhone('openid-privacy-share');
    device.state.privacy = 'unasked';
    device.launch();
    const share = device.open('/pages/share/share', { id: 'AAAAAAAAAAAAAAAAAAAAAA' });
    await share.waitFor(() => share.data.qrReady === true, 'the QR code');

    await share.tap('.save-button');
    // The popup is a component of its own: its elements are reached through it.
    const inPopup = (selector: string) => share.$('.privacy-popup')?.querySelector(selector) ?? null;
    const popup = () => inPopup('.privacy-sheet');
    const tapInPopup = async (selector: string, event = 'tap') => {
      device.activate();
      inPopup(selector)!.dispatchEvent(event, { detail: {} });
      await new Promise((r) => setTimeout(r, 1));
    };
    await share.waitFor(() => popup() !== null, 'the privacy popup');
    assert.match(popup()!.dom.textContent ?? '', /使用这项功能前，请阅读并同意《密封隐私保护指引》/);
    await tapInPopup('.privacy-link');
    assert.equal(device.state.privacyContractOpened, 1);
    await tapInPopup('.privacy-disagree');
    await share.waitFor(() => share.data.saving === false, 'the save to end');
    assert.match(String(share.data.error), /拒绝了隐私保护指引/);
    assert.equal(device.state.settingsOpened, 0, 'the settings page cannot undo a privacy refusal');
    assert.equal(device.state.albumSaved.length, 0);
    assert.equal(popup(), null);

    await share.tap('.save-button');
    await share.waitFor(() => popup() !== null, 'the popup again');
    await tapInPopup('.privacy-agree', 'agreeprivacyauthorization');
    await share.waitFor(() => device.state.albumSaved.length === 1, 'the QR to be saved');
    assert.equal(share.data.error, '');
    assert.deepEqual(device.state.privacyAnswers, [
      'exposureAuthorization',
      'disagree',
      'exposureAuthorization',
      'agree',
    ]);

    // An operator whose guide does not declare the album: said plainly, no popup, no settings.
    const other = wechatPhone('openid-privacy-undeclared');
    other.state.privacy = 'undeclared';
    other.launch();
    const page = other.open('/pages/share/share', { id: 'BBBBBBBBBBBBBBBBBBBBBB' });
    await page.waitFor(() => page.data.qrReady === true, 'the QR code');
    await page.tap('.save-button');
    await page.waitFor(() => page.data.saving === false && page.data.error !== '', 'the refusal');
    assert.match(String(page.data.error), /没有在隐私保护指引里声明相册/);
    assert.equal(other.state.settingsOpened, 0);
  });
});
