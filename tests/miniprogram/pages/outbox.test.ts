/**
 * Sending never loses a letter and never stores one twice. A proxy in front of the real server
 * plays the failures of docs/operations.md on `POST /envelopes` — an upload stored but its answer
 * lost, 503 with Retry-After, 502, no network at all — and slows recipient lookups. The pages and
 * the server are the real ones.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { registerThroughPage } from '../harness/flows';
import { type PageHandle, Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

/** What the proxy does with the next uploads, in order; `pass` once the list is empty. */
type Fault = 'stored-answer-lost' | '503' | '502' | 'offline';

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

interface Upload {
  id: string;
  sig: string;
  answered: number | 'none';
}

async function startProxy(target: string) {
  const state = {
    faults: [] as Fault[],
    lookupDelayMs: 0,
    /** A phone number whose lookups fail (500), so compose cannot tell who it is. */
    lookupFailsFor: null as string | null,
    uploads: [] as Upload[],
    offline: false,
  };
  const forward = async (req: import('node:http').IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !HOP_BY_HOP.has(k)) headers[k] = v;
    return fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      ...(body.length ? { body } : {}),
    });
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const isUpload = req.method === 'POST' && req.url === '/api/v1/envelopes';
    if (req.url === '/api/v1/recipients/lookup' && state.lookupDelayMs) {
      await new Promise((r) => setTimeout(r, state.lookupDelayMs));
    }
    if (req.url === '/api/v1/recipients/lookup' && state.lookupFailsFor) {
      const { phone } = JSON.parse(body.toString()) as { phone: string };
      if (phone === state.lookupFailsFor) {
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({ error: { code: 'internal', message: 'Internal server error' } }),
        );
      }
    }
    if (isUpload) {
      const { envelope } = JSON.parse(body.toString()) as { envelope: { id: string; sig: string } };
      const upload: Upload = { id: envelope.id, sig: envelope.sig, answered: 'none' };
      state.uploads.push(upload);
      const fault = state.offline ? 'offline' : state.faults.shift();
      if (fault === 'offline') return void req.socket.destroy();
      if (fault === 'stored-answer-lost') {
        await (await forward(req, body)).text();
        return void req.socket.destroy();
      }
      if (fault === '503' || fault === '502') {
        upload.answered = Number(fault);
        res.writeHead(Number(fault), {
          'content-type': 'application/json',
          ...(fault === '503' ? { 'retry-after': '1' } : {}),
        });
        return void res.end(
          fault === '503' ? JSON.stringify({ error: { code: 'unavailable', message: 'try later' } }) : '',
        );
      }
      const upstream = await forward(req, body);
      upload.answered = upstream.status;
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      return void res.end(await upstream.text());
    }
    const upstream = await forward(req, body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const retryAfter = upstream.headers.get('retry-after');
    if (retryAfter) headers['retry-after'] = retryAfter;
    res.writeHead(upstream.status, headers);
    res.end(await upstream.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const W = { name: 'Wei', phone: '13700137001', masterKey: 'White rabbit, 3 wells' };
const R = { name: 'Rui', phone: '13700137002', masterKey: 'Red kites over 9 towers' };
const NOBODY = { name: 'Nobody', phone: '13700137999' };

describe('sending: retries, the outbox, and nobody left out silently', () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let writer: Phone;
  let reader: Phone;

  before(async () => {
    await buildOnce();
    server = await startServer();
    proxy = await startProxy(server.url);
    writer = new Phone({ apiBaseUrl: proxy.url, publicUrl: server.publicUrl });
    reader = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    await registerThroughPage(writer, W);
    await registerThroughPage(reader, R);
  });
  after(async () => {
    await proxy?.close();
    await server?.close();
  });

  async function compose(device: Phone, content: string, to: { name: string; phone: string }[]) {
    const page = device.open('/pages/compose/compose');
    await page.waitFor(() => page.data.ready === true, 'the compose form');
    await page.input('.content-input', content);
    for (const person of to) {
      await page.input('.add-row .name-input', person.name);
      await page.input('.add-row .phone-input', person.phone);
      await page.tap('.add-button');
    }
    return page;
  }

  async function sealed(device: Phone, page: PageHandle): Promise<string> {
    const before = device.state.navigations.length;
    await page.tap('.seal-button');
    await page.waitFor(
      () =>
        device.state.navigations.slice(before).some((n) => n.type === 'redirectTo' || n.type === 'switchTab'),
      'the page after sealing',
    );
    return device.state.navigations.at(-1)!.url;
  }

  async function opensFor(device: Phone, id: string): Promise<string> {
    const open = device.open('/pages/open/open', { id });
    await open.waitFor(() => open.data.state !== 'loading', 'the letter');
    return String(open.data.state);
  }

  it('an upload stored but its answer lost is sent again, and the 409 confirmed: one letter', async () => {
    proxy.state.uploads = [];
    proxy.state.faults = ['stored-answer-lost'];
    const page = await compose(writer, 'answer lost', [R]);
    await page.waitFor(() => (page.data.recipients as { status: string }[])[0]?.status === 'found', 'Rui');
    const url = await sealed(writer, page);
    assert.match(url, /^\/pages\/share\/share\?id=/);
    const ups = proxy.state.uploads;
    assert.equal(ups.length, 2, 'sent twice');
    assert.equal(ups[1]!.answered, 409, 'the second attempt found it stored');
    assert.equal(ups[0]!.id, ups[1]!.id, 'the same envelope, not a re-sealed one');
    assert.equal(ups[0]!.sig, ups[1]!.sig);
    assert.equal(await opensFor(reader, ups[0]!.id), 'open');
  });

  it('503 with Retry-After and 502 are waited out and sent again', async () => {
    proxy.state.uploads = [];
    proxy.state.faults = ['503', '502'];
    const page = await compose(writer, 'busy server', [R]);
    await page.waitFor(() => (page.data.recipients as { status: string }[])[0]?.status === 'found', 'Rui');
    const started = Date.now();
    await sealed(writer, page);
    assert.ok(Date.now() - started >= 1000, 'waited the Retry-After second');
    assert.deepEqual(
      proxy.state.uploads.map((u) => u.answered),
      [503, 502, 201],
    );
    assert.equal(new Set(proxy.state.uploads.map((u) => u.sig)).size, 1);
  });

  it('with no network the sealed letter is kept, and the next launch sends that same envelope', async () => {
    proxy.state.uploads = [];
    proxy.state.offline = true;
    const page = await compose(writer, 'kept for later', [R]);
    await page.waitFor(() => (page.data.recipients as { status: string }[])[0]?.status === 'found', 'Rui');
    const url = await sealed(writer, page);
    assert.equal(url, '/pages/sent/sent', 'sent to the sent list, not back to a draft to seal again');
    assert.match(writer.state.modals.at(-1)?.content ?? '', /网络恢复后会自动发送/);
    const attempts = proxy.state.uploads;
    assert.ok(attempts.length >= 2, 'retried before keeping it');
    assert.equal(new Set(attempts.map((u) => u.id)).size, 1);
    const queued = writer.state.storage.get('mifeng.outbox') as { envelope: { id: string; sig: string } }[];
    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.envelope.id, attempts[0]!.id);

    // WeChat closed; opened again later with the network back.
    proxy.state.offline = false;
    proxy.state.uploads = [];
    const again = new Phone({
      apiBaseUrl: proxy.url,
      publicUrl: server.publicUrl,
      storage: writer.state.storage,
    });
    again.launch();
    const inbox = again.open('/pages/inbox/inbox');
    await inbox.waitFor(
      () => proxy.state.uploads.some((u) => u.answered === 201),
      'the queued letter to go out',
    );
    assert.equal(proxy.state.uploads[0]!.id, attempts[0]!.id);
    assert.equal(proxy.state.uploads[0]!.sig, attempts[0]!.sig, 'the very envelope sealed before');
    await inbox.waitFor(
      () => (again.state.storage.get('mifeng.outbox') as unknown[] | undefined)?.length === 0,
      'the outbox to empty',
    );
    assert.equal(await opensFor(reader, attempts[0]!.id), 'open');
  });

  it('sealing waits for a lookup still running, so that recipient is not dropped', async () => {
    proxy.state.lookupDelayMs = 600;
    proxy.state.uploads = [];
    const page = await compose(writer, 'wait for me', [R]);
    assert.equal((page.data.recipients as { status: string }[])[0]?.status, 'checking');
    await sealed(writer, page);
    proxy.state.lookupDelayMs = 0;
    const id = proxy.state.uploads.at(-1)!.id;
    assert.equal(await opensFor(reader, id), 'open', 'sealed to the recipient still being checked');
  });

  it('names everyone who will not receive the letter, and sends only after a yes', async () => {
    proxy.state.uploads = [];
    // Nobody could not be looked up (someone not registered yet is not left out: the letter waits).
    proxy.state.lookupFailsFor = NOBODY.phone;
    const page = await compose(writer, 'some left out', [R, NOBODY]);
    await page.waitFor(
      () => (page.data.recipients as { status: string }[]).every((r) => r.status !== 'checking'),
      'both lookups',
    );
    writer.state.modalAnswers.push(false);
    await page.tap('.seal-button');
    await page.waitFor(() => page.data.busy === false && writer.state.modals.length > 0, 'the question');
    const modal = writer.state.modals.at(-1)!;
    assert.match(modal.content ?? '', /“Nobody”（查找失败）收不到这封密信/);
    assert.match(modal.content ?? '', /找到的 1 人/);
    assert.equal(proxy.state.uploads.length, 0, 'nothing sent on "back"');

    writer.state.modalAnswers.push(true);
    const url = await sealed(writer, page);
    assert.match(url, /^\/pages\/share\/share\?id=/);
    assert.equal(proxy.state.uploads.length, 1);
    proxy.state.lookupFailsFor = null;
  });
});
