/**
 * A letter's life through the pages: burn after reading (warned before anything is fetched, shown
 * once, gone when the reader leaves, "burned" in the sender's list), three opens counting down,
 * removing from the inbox and the sent box, and deleting the account from the me page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { type PageHandle, Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

interface Row {
  id: string;
  state: string;
  notes: string[];
  removable: boolean;
}

describe('read limits, removing and deleting through the pages', () => {
  let server: TestServer;
  let writer: Phone;
  let reader: Phone;
  const W = { name: 'Wu', phone: '13600136101', masterKey: 'White rabbit, 3 wells' };
  const R = { name: 'Ren', phone: '13600136102', masterKey: 'Red kites over 9 towers' };

  before(async () => {
    await buildOnce();
    server = await startServer();
    writer = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    reader = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(writer, W);
    await registerThroughPage(reader, R);
  });
  after(async () => {
    await server?.close();
  });

  /** The rows of a box page once loaded. */
  async function rows(phone: Phone, box: 'inbox' | 'sent'): Promise<{ page: PageHandle; items: Row[] }> {
    const page = phone.open(`/pages/${box}/${box}`);
    await page.waitFor(() => page.data.loading === false, `the ${box}`);
    return { page, items: page.data.items as Row[] };
  }

  /** Opens of `id` the server counted for the reader. */
  async function opensCounted(id: string): Promise<number> {
    const rows = await server.app.prisma.envelopeRecipient.findMany({ where: { envelopeId: id } });
    return rows.reduce((sum, r) => sum + r.opens, 0);
  }

  it('burn after reading: warned first, shown once, gone on leaving, burned for the sender', async () => {
    const id = idOf(
      await sendThroughPage(writer, { content: 'vault 9-9-1', to: [R], readLimit: 'BURN_AFTER_READING' }),
    );
    const inbox = await rows(reader, 'inbox');
    assert.match(inbox.page.text(), /阅后即焚/);
    inbox.page.unload();

    const open = reader.open('/pages/open/open', { id });
    await open.waitFor(() => open.data.state === 'limited', 'the warning');
    assert.match(open.text(), /阅后即焚：打开后内容只显示这一次/);
    assert.equal(open.data.letter, null);
    assert.equal(await opensCounted(id), 0, 'the warning uses no open');

    await open.tap('.spend-open-button');
    await open.waitFor(() => open.data.state === 'open', 'the letter');
    assert.match(open.text(), /vault 9-9-1/);
    assert.match(open.text(), /这是最后一次/);
    assert.ok(!open.$('.copy-button'), 'no copy to keep it elsewhere');
    assert.equal(await opensCounted(id), 1);

    open.call('onHide');
    assert.equal(open.data.letter, null);
    assert.equal(open.data.state, 'opens_used');
    assert.doesNotMatch(open.text(), /vault 9-9-1/);
    open.unload();

    const again = reader.open('/pages/open/open', { id });
    await again.waitFor(() => again.data.state !== 'loading', 'an answer');
    assert.equal(again.data.state, 'opens_used');
    assert.match(again.text(), /打开次数已用完/);
    again.unload();

    const sent = await rows(writer, 'sent');
    const row = sent.items.find((i) => i.id === id)!;
    assert.equal(row.state, 'burned');
    assert.ok(row.removable);
    assert.match(sent.page.text(), /已焚毁/);
    assert.ok(row.notes.includes('Ren 已用完打开次数'));
    // Opened, said by the list itself: GET /envelopes/:id answers the sender 410 once burned.
    assert.ok(
      row.notes.some((n) => /^Ren 于 .+ 打开$/.test(n)),
      row.notes.join(' | '),
    );
    assert.match(sent.page.text(), /Ren 于 .+ 打开/);
    sent.page.unload();
  });

  it('three opens: each open says how many are left, and the inbox counts down', async () => {
    const id = idOf(await sendThroughPage(writer, { content: 'gate 3-1-4', to: [R], readLimit: 'THREE' }));
    for (const left of [2, 1]) {
      const open = reader.open('/pages/open/open', { id });
      await open.waitFor(() => open.data.state === 'limited', 'the warning');
      assert.match(open.text(), new RegExp(`最多能打开 3 次，你还剩 ${left + 1} 次`));
      await open.tap('.spend-open-button');
      await open.waitFor(() => open.data.state === 'open', 'the letter');
      assert.match(open.text(), new RegExp(`还剩 ${left} 次打开机会`));
      open.unload();
      assert.equal(open.data.letter, null, 'nothing kept after leaving');
    }
    const inbox = await rows(reader, 'inbox');
    assert.ok(inbox.items.find((i) => i.id === id)?.notes.includes('还剩 1 次'));
    inbox.page.unload();
  });

  it('the reader removes a letter from the inbox; the sender sees it and removes it too', async () => {
    const id = idOf(await sendThroughPage(writer, { content: 'shed 5-5-5', to: [R] }));
    const inbox = await rows(reader, 'inbox');
    assert.equal(inbox.items[0]?.id, id);
    await inbox.page.tap('.remove-button');
    await inbox.page.waitFor(
      () => !(inbox.page.data.items as Row[]).some((i) => i.id === id),
      'the row to go',
    );
    assert.match(reader.state.modals.at(-1)?.content ?? '', /发信人会看到“已被收信人删除”/);
    inbox.page.unload();

    const sent = await rows(writer, 'sent');
    const row = sent.items.find((i) => i.id === id)!;
    assert.ok(row.notes.includes('Ren 已删除'));
    assert.equal(row.state, 'burned', 'nobody else could read it');
    await sent.page.tap(`.row-${id} .remove-button`);
    await sent.page.waitFor(() => !(sent.page.data.items as Row[]).some((i) => i.id === id), 'the row to go');
    sent.page.unload();
    const stored = await server.app.prisma.envelope.findUniqueOrThrow({ where: { id } });
    assert.equal(stored.body, null);
    assert.ok(stored.senderRemovedAt);
  });

  it('deletes the account from the me page after a confirmation, and forgets everything local', async () => {
    const me = reader.open('/pages/me/me');
    await me.waitFor(() => me.data.loading === false, 'the profile');
    const before = reader.state.navigations.length;
    await me.tap('.delete-account-button');
    await me.waitFor(() => reader.state.navigations.length > before, 'going home');
    assert.match(reader.state.modals.at(-1)?.content ?? '', /注销后无法恢复/);
    assert.equal(me.data.error, '');
    assert.equal(reader.state.storage.size, 0);
    const deleted = await server.app.prisma.user.findMany({ where: { deletedAt: { not: null } } });
    assert.equal(deleted.length, 1);
    assert.equal(deleted[0]?.phoneHash, null);
    me.unload();
    // The sender's list names the account that is gone instead of leaving a blank.
    const sent = await rows(writer, 'sent');
    assert.ok(sent.items.length > 0);
    for (const row of sent.items as (Row & { title: string })[]) {
      assert.equal(row.title, '发给 已注销的用户');
    }
    assert.match(sent.page.text(), /已注销的用户 已删除/);
    sent.page.unload();
    // The number registers again, as a new account.
    const fresh = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(fresh, R);
  });
});
