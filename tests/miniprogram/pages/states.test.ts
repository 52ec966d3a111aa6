/**
 * The open page's failure states, each in its own words: a tampered envelope (its signature no
 * longer verifies), an expired one (the server's 410), and no network. A small proxy in front of
 * the real server alters the one answer each case needs; everything else is the real thing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from '../harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

type Mode = 'pass' | 'tamper' | 'expired' | 'offline';

/** Headers that describe one connection, not the request; fetch refuses some of them. */
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

/** Forwards to the real server; `mode` changes what GET /api/v1/envelopes/<id> answers. */
async function startProxy(target: string): Promise<{ url: string; mode: Mode; close(): Promise<void> }> {
  const state = { mode: 'pass' as Mode };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const isFetch = req.method === 'GET' && /^\/api\/v1\/envelopes\/[A-Za-z0-9_-]{22}$/.test(req.url ?? '');
    if (isFetch && state.mode === 'offline') {
      req.socket.destroy();
      return;
    }
    if (isFetch && state.mode === 'expired') {
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'expired', message: 'This letter has expired' } }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !HOP_BY_HOP.has(k)) headers[k] = v;
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    });
    let body = await upstream.text();
    if (isFetch && state.mode === 'tamper' && upstream.status === 200) {
      const answer = JSON.parse(body) as { envelope: { ct: string } };
      const ct = answer.envelope.ct;
      const at = Math.floor(ct.length / 2);
      answer.envelope.ct = `${ct.slice(0, at)}${ct[at] === 'A' ? 'B' : 'A'}${ct.slice(at + 1)}`;
      body = JSON.stringify(answer);
    }
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(value: Mode) {
      state.mode = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the open page when something is wrong', () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let reader: Phone;
  let id = '';

  before(async () => {
    await buildOnce();
    server = await startServer();
    proxy = await startProxy(server.url);
    const writer = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
    reader = new Phone({ apiBaseUrl: proxy.url, publicUrl: server.publicUrl });
    const R = { name: 'Ren', phone: '13600136002', masterKey: 'Red kites over 9 towers' };
    await registerThroughPage(writer, {
      name: 'Wu',
      phone: '13600136001',
      masterKey: 'White rabbit, 3 wells',
    });
    await registerThroughPage(reader, R);
    id = idOf(await sendThroughPage(writer, { content: 'vault 7-7-1', to: [R] }));
  });
  after(async () => {
    await proxy?.close();
    await server?.close();
  });

  const cases: [Mode, string, RegExp][] = [
    ['tamper', 'tampered', /密信校验失败/],
    ['expired', 'expired', /密信已过期/],
    ['offline', 'network', /网络不太好/],
  ];
  for (const [mode, state, words] of cases) {
    it(`${mode}: shows "${state}" in words, never a code`, async () => {
      proxy.mode = mode;
      const open = reader.open('/pages/open/open', { id });
      await open.waitFor(() => open.data.state !== 'loading', 'an answer');
      assert.equal(open.data.state, state);
      assert.match(open.text(), words);
      assert.doesNotMatch(open.text(), /tampered|bad_signature|expired|network|malformed/);
      assert.equal(open.data.letter, null);
      if (state === 'network') {
        proxy.mode = 'pass';
        await open.tap('.retry-button');
        await open.waitFor(() => open.data.state === 'open', 'the letter after a retry');
      }
    });
  }
});
