/**
 * No forced registration: a visitor sees what Mifeng is, looks around every tab, and is asked to
 * register only when writing or opening a letter; the register page hides WeChat's home button
 * and lets them go back to looking around.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

describe('a visitor who has not registered', () => {
  let server: TestServer;
  let visitor: Phone;

  before(async () => {
    await buildOnce();
    server = await startServer();
    visitor = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
  });
  after(() => server?.close());

  it('sees what Mifeng is on the first screen, and is not sent to register', async () => {
    const inbox = visitor.open('/pages/inbox/inbox');
    await inbox.waitFor(() => inbox.data.loading === false, 'the inbox');
    assert.equal(inbox.data.visitor, true);
    assert.match(inbox.text(), /只有收信人能打开的密信/);
    assert.match(inbox.text(), /不注册也可以先看看/);
    assert.deepEqual(visitor.state.navigations, [], 'no reLaunch to the register page');
  });

  it('looks around the sent and Me tabs, each saying what registering is for', async () => {
    const sent = visitor.open('/pages/sent/sent');
    await sent.waitFor(() => sent.data.loading === false, 'the sent list');
    assert.match(sent.text(), /注册后写的密信会列在这里/);
    const me = visitor.open('/pages/me/me');
    await me.waitFor(() => me.data.loading === false, 'the Me page');
    assert.equal(me.data.visitor, true);
    assert.match(me.text(), /你还没有注册/);
    assert.equal(me.$$('.logout-button').length, 0);
    await me.tap('.language-toggle');
    assert.match(me.text(), /Not registered yet/, 'the language switch works for a visitor');
    await me.tap('.language-toggle');
    assert.deepEqual(visitor.state.navigations, []);
    await me.tap('.register-button');
    assert.equal(
      visitor.lastNavigation()?.url,
      `/pages/register/register?redirect=${encodeURIComponent('/pages/me/me')}`,
    );
  });

  it('is asked to register on writing a letter; the register page has no home button but a way back', async () => {
    const compose = visitor.open('/pages/compose/compose');
    await compose.waitFor(() => visitor.lastNavigation()?.type === 'reLaunch', 'the register page');
    assert.match(visitor.lastNavigation()!.url, /^\/pages\/register\/register\?redirect=/);
    const register = visitor.open(visitor.lastNavigation()!.url);
    await register.waitFor(() => register.data.ready === true, 'the register form');
    assert.equal(visitor.state.homeButtonHidden, true);
    await register.tap('.later-link');
    assert.deepEqual(visitor.lastNavigation(), { type: 'switchTab', url: '/pages/inbox/inbox' });
  });
});
