/**
 * The open page's failure states, each in its own words: a tampered envelope (its signature no
 * longer verifies), an expired one (the server's 410), a version 3 letter served with the reader's
 * own wrap already purged (still signed, but nothing left for them to unwrap), and no network. A small proxy in front of
 * the real server alters the one answer each case needs; everything else is the real thing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recipientWrapHash } from '../../../shared/protocol';
import { buildOnce } from '../harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { type MaliciousServer, startMaliciousServer } from '../harness/malicious-server';
import { Phone } from '../harness/mini-program';
import { startServer, type TestServer } from '../harness/server';

type Mode = 'pass' | 'tamper' | 'expired' | 'purged' | 'offline';

/** Sets what GET /api/v1/envelopes/<id> answers through `proxy`. */
function setMode(proxy: MaliciousServer, mode: Mode): void {
  const isFetch = (r: { method: string; path: string }) =>
    r.method === 'GET' && /^\/api\/v1\/envelopes\/[A-Za-z0-9_-]{22}$/.test(r.path);
  proxy.intercept = (r) => {
    if (!isFetch(r)) return undefined;
    if (mode === 'offline') return 'drop';
    if (mode === 'expired')
      return { status: 410, body: { error: { code: 'expired', message: 'This letter has expired' } } };
    return undefined;
  };
  proxy.rewrite = (r, answer) => {
    if (!isFetch(r) || answer.status !== 200) return undefined;
    if (mode === 'purged') {
      // The reader is served only its own wrap: purge that one, as the server does once it is used.
      const body = answer.body as {
        envelope: { recipients: { user: string; key: string; wrap?: string }[] };
      };
      body.envelope.recipients = body.envelope.recipients.map((r) =>
        r.wrap === undefined ? r : { user: r.user, key: r.key, wrapHash: recipientWrapHash(r) },
      );
      return answer;
    }
    if (mode !== 'tamper') return undefined;
    const body = answer.body as { envelope: { ct: string } };
    const ct = body.envelope.ct;
    const at = Math.floor(ct.length / 2);
    body.envelope.ct = `${ct.slice(0, at)}${ct[at] === 'A' ? 'B' : 'A'}${ct.slice(at + 1)}`;
    return answer;
  };
}

describe('the open page when something is wrong', () => {
  let server: TestServer;
  let proxy: MaliciousServer;
  let reader: Phone;
  let id = '';

  before(async () => {
    await buildOnce();
    server = await startServer();
    proxy = await startMaliciousServer(server.url);
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
    ['purged', 'wrap_purged', /你的那份密钥已删除/],
    ['offline', 'network', /网络不太好/],
  ];
  for (const [mode, state, words] of cases) {
    it(`${mode}: shows "${state}" in words, never a code`, async () => {
      setMode(proxy, mode);
      const open = reader.open('/pages/open/open', { id });
      await open.waitFor(() => open.data.state !== 'loading', 'an answer');
      assert.equal(open.data.state, state);
      assert.match(open.text(), words);
      assert.doesNotMatch(open.text(), /tampered|bad_signature|expired|network|malformed/);
      assert.equal(open.data.letter, null);
      if (state === 'network') {
        setMode(proxy, 'pass');
        await open.tap('.retry-button');
        await open.waitFor(() => open.data.state === 'open', 'the letter after a retry');
      }
    });
  }
});
