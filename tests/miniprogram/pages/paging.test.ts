/**
 * Paging in the inbox and sent pages, against the real server over real HTTP: A sends B one letter
 * more than a page holds (ENVELOPE_PAGE_SIZE + 1), sealed on A's phone by the same letter service
 * the compose page uses and uploaded for real. B's inbox shows one page, the bottom of the list
 * loads the rest (no duplicates, newest first), a further bottom changes nothing, and a pull-down
 * reloads the first page (a letter sent meanwhile on top) and stops the pull-down. A's sent box
 * pages the same way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ENVELOPE_PAGE_SIZE } from '../../../shared/api/envelopes';
import { twoRegisteredPhones } from '../harness/flows';
import { type PageHandle, type Phone, sleep } from '../harness/mini-program';
import type { TestServer } from '../harness/server';

const A = { name: '王小明', phone: '13600136001', masterKey: 'Ash tree, 7 rivers & 1 moon' };
const B = { name: 'Li Hua', phone: '13600136002', masterKey: 'Birch-leaf 42 under snow!' };

/** What the letter service of the built mini program offers, as far as this test uses it. */
interface LetterService {
  resolveRecipient(name: string, phone: string): Promise<Record<string, unknown> & { status: string }>;
  sealAndSend(draft: {
    content: string;
    remark: string;
    recipients: unknown[];
    expiry: 'PERMANENT';
  }): Promise<{ id: string }>;
}

interface Row {
  id: string;
  title: string;
}

const rows = (page: PageHandle) => page.data.items as Row[];
const ids = (page: PageHandle) => rows(page).map((r) => r.id);

/** The `GET /envelopes` requests a phone made for `box`, in order. */
function listRequests(device: Phone, box: 'inbox' | 'sent'): string[] {
  return device.state.requests
    .filter((r) => r.method === 'GET' && r.url.includes(`/api/v1/envelopes?box=${box}`))
    .map((r) => r.url);
}

/** Counts wx.stopPullDownRefresh calls on a phone (the double's own does nothing). */
function countPullDownStops(device: Phone): () => number {
  let stops = 0;
  device.wx.stopPullDownRefresh = () => {
    stops++;
  };
  return () => stops;
}

describe('the inbox and sent pages page through the letters', () => {
  let server: TestServer;
  let a: Phone;
  let b: Phone;
  /** The ids of the letters A sent B, oldest first. */
  const sent: string[] = [];
  /** The letter service on A's phone, and B as a found recipient. */
  let letters: LetterService;
  let toB: Record<string, unknown>;

  /** Seals a letter to B on A's phone and uploads it, as the compose page does. */
  async function send(n: number): Promise<void> {
    a.activate();
    const { id } = await letters.sealAndSend({
      content: `letter ${n}`,
      remark: `#${n}`,
      recipients: [toB],
      expiry: 'PERMANENT',
    });
    sent.push(id);
    // Each letter is sealed at its own millisecond, so newest first is exactly the reverse order.
    await sleep(2);
  }

  before(async () => {
    ({ server, a, b } = await twoRegisteredPhones(A, B));
    letters = a.module<LetterService>('services/letters/index.js');
    toB = await letters.resolveRecipient(B.name, B.phone);
    assert.equal(toB.status, 'found');
    for (let n = 1; n <= ENVELOPE_PAGE_SIZE + 1; n++) await send(n);
  });
  after(async () => {
    await server?.close();
  });

  /** Newest first: what a whole box should list. */
  const newestFirst = () => [...sent].reverse();

  /**
   * One page first, the rest at the bottom, nothing more at a further bottom; returns the page.
   * `rowTitle` is the title every row shows.
   */
  async function pageThrough(device: Phone, box: 'inbox' | 'sent', rowTitle: string): Promise<PageHandle> {
    const page = device.open(`/pages/${box}/${box}`);
    await page.waitFor(() => page.data.loading === false, 'the first page');
    assert.equal(page.data.error, '');
    assert.deepEqual(ids(page), newestFirst().slice(0, ENVELOPE_PAGE_SIZE), 'exactly one page, newest first');
    assert.ok(page.data.nextCursor, 'there is a next page');
    assert.equal(page.$$('.letter-row').length, ENVELOPE_PAGE_SIZE);
    assert.equal(page.text('.more'), '加载更多');
    for (const title of page.$$('.row-title')) assert.equal(title.dom.textContent?.trim(), rowTitle);
    assert.equal(listRequests(device, box).length, 1);

    page.call('onReachBottom');
    await page.waitFor(
      () => rows(page).length > ENVELOPE_PAGE_SIZE && page.data.loading === false,
      'the next page',
    );
    assert.equal(page.data.error, '');
    assert.deepEqual(ids(page), newestFirst(), 'all letters, newest first');
    assert.equal(new Set(ids(page)).size, ids(page).length, 'no letter twice');
    assert.equal(page.data.nextCursor, null, 'that was the last page');
    assert.equal(page.$$('.letter-row').length, sent.length);
    assert.equal(page.$$('.more').length, 0, 'no "load more" after the last page');
    const requests = listRequests(device, box);
    assert.equal(requests.length, 2);
    assert.match(requests[1]!, /[?&]cursor=/);

    // At the end of the list, the bottom again asks the server nothing and changes nothing.
    const before = structuredClone(page.data.items);
    page.call('onReachBottom');
    await sleep(50);
    assert.equal(listRequests(device, box).length, 2);
    assert.deepEqual(page.data.items, before);
    assert.equal(page.data.loading, false);
    return page;
  }

  /** Pull-down: the first page again (a letter sent meanwhile on top), and the pull-down stopped. */
  async function pullDown(device: Phone, page: PageHandle, box: 'inbox' | 'sent'): Promise<void> {
    const stops = countPullDownStops(device);
    const requestsBefore = listRequests(device, box).length;
    page.call('onPullDownRefresh');
    assert.equal(page.data.loading, true, 'the list shows it is loading');
    assert.equal(stops(), 0, 'the pull-down stays until the list is back');
    await page.waitFor(() => stops() === 1, 'the pull-down to stop');
    assert.equal(page.data.loading, false);
    assert.equal(page.data.error, '');
    assert.deepEqual(ids(page), newestFirst().slice(0, ENVELOPE_PAGE_SIZE), 'the first page, replaced');
    assert.ok(page.data.nextCursor, 'more pages again');
    assert.equal(page.$$('.letter-row').length, ENVELOPE_PAGE_SIZE);
    assert.equal(page.text('.more'), '加载更多');
    const requests = listRequests(device, box);
    assert.equal(requests.length, requestsBefore + 1);
    assert.doesNotMatch(requests.at(-1)!, /cursor=/, 'the first page, not the next');

    // And the rest still loads at the bottom, from the new first page on.
    page.call('onReachBottom');
    await page.waitFor(
      () => rows(page).length === sent.length && page.data.loading === false,
      'the rest after the refresh',
    );
    assert.deepEqual(ids(page), newestFirst());
    assert.equal(page.data.nextCursor, null);
  }

  it("B's inbox shows one page, loads the rest at the bottom, and no more after the last", async () => {
    // The sender's name with their masked phone (the last four digits), so namesakes differ.
    const inbox = await pageThrough(b, 'inbox', `来自 ${A.name}*******${A.phone.slice(-4)}`);
    // A writes once more; B pulls down and sees it on top.
    await send(sent.length + 1);
    await pullDown(b, inbox, 'inbox');
    assert.equal(rows(inbox)[0]!.id, sent.at(-1));
  });

  it("A's sent box pages the same way", async () => {
    const sentBox = await pageThrough(a, 'sent', `发给 ${B.name}`);
    for (const id of newestFirst()) assert.ok(sentBox.$(`.row-${id}`), `row ${id} is rendered`);
    await send(sent.length + 1);
    await pullDown(a, sentBox, 'sent');
  });
});
