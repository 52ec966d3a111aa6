/**
 * Subscribing to "new letter" messages before any letter came: registration asks in its submit tap
 * and the inbox offers it to a new user; a refused prompt grants nothing, and refusing still
 * registers and still sends the letter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { registerThroughPage, sendThroughPage } from '../harness/flows';
import { type PageHandle, Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

const K = { name: 'Kai', phone: '13700137501', masterKey: 'Kestrel kiln 61 & kelp' };
const L = { name: 'Lan', phone: '13700137502', masterKey: 'Lantern loch 83 & lime' };
const M = { name: 'Mei', phone: '13700137503', masterKey: 'Marble moor 29 & maple' };

const TEMPLATES = {
  WECHAT_TEMPLATE_NEW_LETTER: 'tmplNewLetter000001',
  WECHAT_TEMPLATE_OPENED: 'tmplOpened000000002',
};

describe('subscribing from the inbox', () => {
  let server: TestServer;
  let k: Phone;
  let l: Phone;

  before(async () => {
    await buildOnce();
    server = await startServer(TEMPLATES);
    k = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    l = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(k, K);
    await registerThroughPage(l, L);
  });
  after(async () => {
    await server?.close();
  });

  async function inbox(phone: Phone): Promise<PageHandle> {
    const page = phone.open('/pages/inbox/inbox');
    await page.waitFor(() => page.data.loading === false && page.data.canNotify === true, 'the offer');
    return page;
  }

  /** The messages of `kind` the server may still send to `phone`'s user. */
  async function grants(phone: Phone, kind: string): Promise<number> {
    const user = phone
      .module<{ currentProfile(): { user: { id: string } } }>('services/session/index.js')
      .currentProfile().user.id;
    const row = await server.app.prisma.notificationGrant.findFirst({ where: { userId: user, kind } });
    return row?.count ?? 0;
  }

  it('registration asks in its tap: accepted counts once registered, refused still registers', async () => {
    assert.deepEqual(k.state.subscribeRequests[0], [TEMPLATES.WECHAT_TEMPLATE_NEW_LETTER]);
    assert.equal(await grants(k, 'new_letter'), 1);
    const m = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    m.state.subscribeAnswer = 'reject';
    await registerThroughPage(m, M);
    assert.deepEqual(m.state.subscribeRequests, [[TEMPLATES.WECHAT_TEMPLATE_NEW_LETTER]]);
    assert.equal(await grants(m, 'new_letter'), 0);
  });

  it('an empty inbox offers new-letter messages; refusing grants nothing, accepting grants one', async () => {
    const before = await grants(k, 'new_letter');
    k.state.subscribeAnswer = 'reject';
    const refused = await inbox(k);
    assert.equal((refused.data.items as unknown[]).length, 0);
    await refused.tap('.notify-button');
    await refused.waitFor(() => refused.data.canNotify === false, 'the prompt to be answered');
    assert.deepEqual(k.state.subscribeRequests.at(-1), [TEMPLATES.WECHAT_TEMPLATE_NEW_LETTER]);
    assert.equal(await grants(k, 'new_letter'), before);
    refused.unload();

    k.state.subscribeAnswer = 'accept';
    const accepted = await inbox(k);
    await accepted.tap('.notify-button');
    await accepted.waitFor(() => accepted.data.canNotify === false, 'the prompt to be answered');
    assert.equal(await grants(k, 'new_letter'), before + 1);
    accepted.unload();
  });

  it('refusing the prompt of compose still sends the letter', async () => {
    l.state.subscribeAnswer = 'reject';
    const before = l.state.subscribeRequests.length;
    await sendThroughPage(l, { content: 'bell 4-4-2', to: [K] });
    assert.deepEqual(l.state.subscribeRequests.slice(before), [[TEMPLATES.WECHAT_TEMPLATE_OPENED]]);
    assert.equal(await grants(l, 'opened'), 0);
    assert.equal(await server.app.prisma.envelope.count(), 1);
  });
});
