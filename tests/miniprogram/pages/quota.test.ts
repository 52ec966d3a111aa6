/**
 * A sender over a quota: the compose page says which limit was reached, in the reader's language,
 * and keeps the letter on the page to send later.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { registerThroughPage, sendThroughPage } from '../harness/flows';
import { Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

const H = { name: 'Hua', phone: '13700137101', masterKey: 'Hidden harbour 42 & heron' };
const J = { name: 'Jin', phone: '13700137102', masterKey: 'Jade jetty 17 & juniper' };

describe('compose over a quota', () => {
  let server: TestServer;
  let h: Phone;

  before(async () => {
    await buildOnce();
    server = await startServer({ QUOTA_LETTERS_PER_DAY: '1' });
    h = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    const j = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(h, H);
    await registerThroughPage(j, J);
  });
  after(async () => {
    await server?.close();
  });

  it('shows the daily limit in Chinese and in English when sending is refused', async () => {
    await sendThroughPage(h, { content: 'first of the day', to: [J] });
    const i18n = h.module<{ setLocale(locale: 'zh' | 'en'): void }>('i18n/index.js');
    const expected = {
      zh: '24 小时内发信数量已达上限，请明天再发',
      en: 'You have sent the most letters allowed in 24 hours; try again tomorrow',
    };
    for (const locale of ['zh', 'en'] as const) {
      i18n.setLocale(locale);
      const compose = h.open('/pages/compose/compose');
      await compose.waitFor(() => compose.data.ready === true, 'the compose form');
      await compose.input('.content-input', 'second of the day');
      await compose.input('.add-row .name-input', J.name);
      await compose.input('.add-row .phone-input', J.phone);
      await compose.tap('.add-button');
      await compose.waitFor(
        () => (compose.data.recipients as { status: string }[])[0]?.status === 'found',
        'the lookup',
      );
      await compose.tap('.seal-button');
      await compose.waitFor(() => compose.data.busy === false && compose.data.error !== '', 'the refusal');
      assert.equal(compose.text('.compose-error'), expected[locale]);
      assert.equal(compose.data.content, 'second of the day', 'the letter stays on the page');
    }
  });
});
