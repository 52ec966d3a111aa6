/**
 * Every phone checks the key transparency log, through the built pages, against a malicious
 * server: a proxy in front of the real API (harness/malicious-server.ts) answers as a dishonest
 * operator holding the log's own signing key would.
 *
 * - A key swapped at lookup and left out of the log: the sender's phone refuses to seal to it.
 * - A key swapped at the very first lookup and published in the log: the sender cannot tell, but
 *   the victim's phone raises the alarm at its next launch.
 * - A letter signed by a key left out of the log: nothing of it is shown.
 * - Burn after reading, its sender's key served without a place in the log (or no sender at all):
 *   refused from the letter's status, before the fetch that would use the open, which stays. A
 *   fetch naming another key than the status did is refused as tampered.
 * - A rotated log key: followed from the built-in key through rotations signed link by link only.
 * - Two views of the log (split view), each signed by the log key: a letter carries the head its
 *   sender checked its recipients' keys against, and the reader's phone finds it inconsistent
 *   with its own and shows the fork.
 * - A rewritten history, signed by the log key: the consistency proof against the head the phone
 *   kept fails, the phone keeps the evidence and shows a forked log from then on.
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type {
  EnvelopeJson,
  GetEnvelopeResponse,
  KeyInclusion,
  LogEntry,
  LookupResponse,
} from '../../../shared/api';
import { setRandomSource, sm2GenerateKeyPair, sm2PublicKey } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { formatFingerprint, generateIdentity, type Identity, keyId } from '../../../shared/protocol';
import {
  consistencyRanges,
  encodeLeaf,
  inclusionRanges,
  type LogLeaf,
  leafHash,
  nodeHash,
  type SignedTreeHead,
  signLogKeyRotation,
  signTreeHead,
  splitPoint,
} from '../../../shared/transparency';
import { buildOnce } from '../harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../harness/flows';
import { TEST_LOG_SIGNING_KEY } from '../harness/log-key';
import {
  type Answer,
  type MaliciousServer,
  type SeenRequest,
  startMaliciousServer,
} from '../harness/malicious-server';
import { type PageHandle, Phone } from '../harness/mini-program';
import { publishKeyInName, startServer, type TestServer } from '../harness/server';

const A = { name: '王小明', phone: '13800138001', masterKey: 'Ash tree, 7 rivers & 1 moon' };
const B = { name: 'Li Hua', phone: '13800138002', masterKey: 'Birch-leaf 42 under snow!' };
const C = { name: '陈静', phone: '13800138003', masterKey: 'Cypress 8 owls at dawn?' };

let server: TestServer;
let proxy: MaliciousServer;
let a: Phone;
let b: Phone;
let c: Phone;
const ids: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };

const isLookup = (r: SeenRequest) => r.method === 'POST' && r.path === '/api/v1/recipients/lookup';
const uploads = () => proxy.seen.filter((r) => r.method === 'POST' && r.path === '/api/v1/envelopes');

/** The log's signing key pair, which the dishonest operator holds. */
const logKeyPair = () => {
  const privateKey = base64urlDecode(TEST_LOG_SIGNING_KEY);
  return { privateKey, publicKey: sm2PublicKey(privateKey) };
};

function userOf(device: Phone): string {
  return device
    .module<{ currentProfile(): { user: { id: string } } }>('services/session/index.js')
    .currentProfile().user.id;
}

/** Starts `device`'s app again from its storage, as after closing WeChat: a new launch. */
function relaunch(device: Phone): Phone {
  return new Phone({ ...device.options, storage: new Map(device.state.storage) });
}

/** The counted fetches of letter `id` the proxy passed on. */
const fetchesOf = (id: string) =>
  proxy.seen.filter((r) => r.method === 'GET' && r.path === `/api/v1/envelopes/${id}`);

/**
 * A rewrite naming `forger`'s key as letter `id`'s sender, in its status and its fetch alike: a
 * dishonest server telling one story. The key is not in the log.
 */
function forgeSender(id: string, forger: Identity) {
  return (r: SeenRequest, answer: Answer): Answer | undefined => {
    const paths = [`/api/v1/envelopes/${id}`, `/api/v1/envelopes/${id}/status`];
    if (r.method !== 'GET' || !paths.includes(r.path) || answer.status !== 200) return undefined;
    const body = answer.body as { sender?: GetEnvelopeResponse['sender'] };
    if (!body.sender) return undefined;
    body.sender = {
      ...body.sender,
      publicKey: base64urlEncode(forger.publicKey),
      keyId: keyId(forger.publicKey),
    };
    return answer;
  };
}

/** Types a recipient into a fresh compose page and waits for the lookup's outcome. */
async function composeTo(device: Phone, to: { name: string; phone: string }, content: string) {
  const compose = device.open('/pages/compose/compose');
  await compose.waitFor(() => compose.data.ready === true, 'the compose form');
  await compose.input('.content-input', content);
  await compose.input('.add-row .name-input', to.name);
  await compose.input('.add-row .phone-input', to.phone);
  await compose.tap('.add-button');
  await compose.waitFor(
    () => (compose.data.recipients as { status: string }[])[0]?.status === 'found',
    `${to.name} to be found`,
  );
  return compose;
}

async function openLetter(device: Phone, id: string): Promise<PageHandle> {
  const open = device.open('/pages/open/open', { id });
  await open.waitFor(() => open.data.state !== 'loading', 'an answer');
  return open;
}

/** RFC 9162's MTH of leaf hashes [start, end), straight from its recursive definition. */
function mth(hashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  if (end - start === 1) return hashes[start]!;
  const k = splitPoint(end - start);
  return nodeHash(mth(hashes, start, start + k), mth(hashes, start + k, end));
}

/** A whole log the operator made up: leaves, and the proofs and heads it serves for them. */
function fakeLog(leaves: LogLeaf[]) {
  const hashes = leaves.map((leaf) => leafHash(encodeLeaf(leaf)));
  const size = leaves.length;
  const head: SignedTreeHead = signTreeHead(logKeyPair(), {
    size,
    root: mth(hashes, 0, size),
    time: new Date(),
  });
  const proof = (ranges: { start: number; end: number }[]) =>
    ranges.map((r) => base64urlEncode(mth(hashes, r.start, r.end)));
  return {
    head,
    inclusion: (index: number): KeyInclusion => ({
      index,
      leaf: leaves[index]!,
      head,
      proof: proof(inclusionRanges(index, size)),
    }),
    consistency: (first: number) => proof(consistencyRanges(first, size)),
  };
}

describe('every phone checks the transparency log, against a malicious server', () => {
  before(async () => {
    setRandomSource((n) => webcrypto.getRandomValues(new Uint8Array(n)));
    await buildOnce();
    server = await startServer();
    proxy = await startMaliciousServer(server.url);
    const phone = () => new Phone({ apiBaseUrl: proxy.url, publicUrl: server.publicUrl });
    a = phone();
    b = phone();
    c = phone();
    await registerThroughPage(a, A);
    await registerThroughPage(b, B);
    await registerThroughPage(c, C);
    ids.A = userOf(a);
    ids.B = userOf(b);
    ids.C = userOf(c);
  });
  after(async () => {
    setRandomSource(null);
    await proxy?.close();
    await server?.close();
  });

  it('a key swapped at lookup and left out of the log: the sender refuses to seal to it', async () => {
    const mallory = generateIdentity(ids.B);
    for (const [what, withLog] of [
      ["with B's real proof", true],
      ['without any proof', false],
    ] as const) {
      proxy.rewrite = (r, answer) => {
        if (!isLookup(r) || answer.status !== 200) return undefined;
        const body = answer.body as LookupResponse;
        const { log, ...rest } = body;
        answer.body = {
          ...rest,
          publicKey: base64urlEncode(mallory.publicKey),
          keyId: keyId(mallory.publicKey),
          ...(withLog ? { log } : {}),
        };
        return answer;
      };
      const compose = await composeTo(a, B, '只给 Li Hua 看');
      assert.equal((compose.data.recipients as { logProblem?: string }[])[0]?.logProblem, 'not_in_log', what);
      assert.match(compose.text('.recipient'), /未在公开账本登记/, what);
      const before = uploads().length;
      await compose.tap('.seal-button');
      assert.match(compose.text('.compose-error'), /Li Hua 的密钥没有在公开账本里登记/, what);
      assert.equal(uploads().length, before, `${what}: nothing was sealed or sent`);
      compose.unload();
    }
    proxy.rewrite = null;

    // B's real key passes, and the letter goes out.
    const sent = idOf(await sendThroughPage(a, { content: '真正的信', to: [B] }));
    const open = await openLetter(b, sent);
    assert.equal(open.data.state, 'open');
    assert.equal((open.data.letter as { content: string }).content, '真正的信');
  });

  it('a letter signed by a key left out of the log: nothing of it is shown (English too)', async () => {
    const id = idOf(await sendThroughPage(a, { content: 'genuine', to: [C] }));
    const forger = generateIdentity(ids.A);
    proxy.rewrite = forgeSender(id, forger);
    const open = await openLetter(c, id);
    assert.equal(open.data.state, 'not_in_log');
    assert.ok(!fetchesOf(id).length, 'refused from the status, before any fetch');
    assert.equal(open.data.letter, null);
    assert.doesNotMatch(open.html(), /genuine/);
    assert.match(open.text(), /发信人的密钥没有公开登记/);
    c.module<{ setLocale(l: string): void }>('i18n/index.js').setLocale('en');
    const english = await openLetter(c, id);
    assert.match(english.text(), /The sender's key is not in the public log/);
    c.module<{ setLocale(l: string): void }>('i18n/index.js').setLocale('zh');
    proxy.rewrite = null;
    assert.equal((await openLetter(c, id)).data.state, 'open');
  });

  it('burn after reading, sender key not in the log: refused before the fetch, the open is not spent', async () => {
    const id = idOf(
      await sendThroughPage(a, { content: 'once only', to: [C], readLimit: 'BURN_AFTER_READING' }),
    );
    // A's real key, which C pinned, served without its place in the log.
    proxy.rewrite = (r, answer) => {
      const paths = [`/api/v1/envelopes/${id}`, `/api/v1/envelopes/${id}/status`];
      if (r.method !== 'GET' || !paths.includes(r.path) || answer.status !== 200) return undefined;
      delete (answer.body as { sender?: { log?: unknown } }).sender?.log;
      return answer;
    };
    const open = await openLetter(c, id);
    assert.equal(open.data.state, 'not_in_log');
    assert.match(open.text(), /发信人的密钥没有公开登记/);
    assert.doesNotMatch(open.html(), /once only/);
    assert.equal(fetchesOf(id).length, 0, 'the counted fetch never happened');
    // A status that names no sender at all gives nothing to check: refused, still before the fetch.
    proxy.rewrite = (r, answer) => {
      if (r.path !== `/api/v1/envelopes/${id}/status` || answer.status !== 200) return undefined;
      delete (answer.body as { sender?: unknown }).sender;
      return answer;
    };
    assert.equal((await openLetter(c, id)).data.state, 'tampered');
    assert.equal(fetchesOf(id).length, 0, 'still no fetch');
    proxy.rewrite = null;
    const status = await fetch(`${server.url}/api/v1/envelopes/${id}/status`, {
      headers: { authorization: `Bearer ${c.state.storage.get('mifeng.token')}` },
    });
    assert.deepEqual(
      ((await status.json()) as { opensLeft: number }).opensLeft,
      1,
      "C's one open is still there",
    );

    // A server that shows one key before the fetch and another in it: refused, whatever the log says.
    proxy.rewrite = (r, answer) =>
      r.path === `/api/v1/envelopes/${id}` ? forgeSender(id, generateIdentity(ids.A))(r, answer) : undefined;
    const limited = await openLetter(c, id);
    assert.equal(limited.data.state, 'limited');
    await limited.tap('.spend-open-button');
    await limited.waitFor(
      () => limited.data.state !== 'loading' && limited.data.state !== 'limited',
      'an answer',
    );
    assert.equal(limited.data.state, 'tampered');
    assert.doesNotMatch(limited.html(), /once only/);
    proxy.rewrite = null;
  });

  it("a key swapped at the very first lookup and logged: C's phone raises the alarm at its next launch", async () => {
    // Before: C's own launch check finds only C's own key.
    const transparency = (device: Phone) =>
      device.module<{ checkOwnKey(user: string): Promise<LogEntry | null> }>(
        'services/transparency/index.js',
      );
    assert.equal(await transparency(c).checkOwnKey(ids.C), null, 'C made its own register event');

    // B has never written to C: the server hands B a key of its own, published in C's name.
    const mallory: Identity = generateIdentity(ids.C);
    const log = await publishKeyInName(server, ids.C, mallory.publicKey);
    proxy.rewrite = (r, answer) => {
      if (!isLookup(r) || answer.status !== 200) return undefined;
      const body = answer.body as LookupResponse;
      if (body.user !== ids.C) return undefined;
      answer.body = { ...body, publicKey: log.leaf.publicKey, keyId: log.leaf.keyId, log };
      return answer;
    };
    // The server keeps the letter sealed to its key for itself (the real one checks recipients'
    // keys and would refuse it): it answers as if stored.
    proxy.intercept = (r) => {
      if (r.method !== 'POST' || r.path !== '/api/v1/envelopes') return undefined;
      const { id } = (r.body as { envelope: EnvelopeJson }).envelope;
      return { status: 201, body: { id, url: `${server.publicUrl}/s/${id}` } };
    };
    const before = uploads().length;
    await sendThroughPage(b, { content: 'for C only', to: [C] });
    const envelope = (uploads().at(-1)!.body as { envelope: EnvelopeJson }).envelope;
    assert.equal(uploads().length, before + 1);
    assert.equal(
      envelope.recipients.find((r) => r.user === ids.C)?.key,
      keyId(mallory.publicKey),
      'the sender could not tell',
    );
    proxy.rewrite = null;
    proxy.intercept = null;

    // The server then lists C's own key again, after the fact: the published key still counts.
    const cKey = c
      .module<{ currentProfile(): { publicKey: string } }>('services/session/index.js')
      .currentProfile().publicKey;
    await publishKeyInName(server, ids.C, base64urlDecode(cKey));

    // C's next launch: the alarm page replaces whatever was opening.
    const again = relaunch(c);
    again.launch();
    const alarmed = () => again.state.navigations.some((n) => n.url === '/pages/alarm/alarm');
    const started = Date.now();
    while (!alarmed() && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(alarmed(), 'the alarm page was opened at launch');
    const page = again.open('/pages/alarm/alarm');
    await page.waitFor(() => page.data.state !== 'loading', 'the alarm');
    assert.equal(page.data.state, 'alarm');
    assert.match(page.text(), /服务器以你的名义发布了一个密钥/);
    assert.ok(page.text().includes(formatFingerprint(mallory.publicKey)), "the foreign key's fingerprint");
    assert.match(page.text(), /重置密钥/);

    // Unlocking with C's own master key opens C's real key, not the foreign one: still alarmed.
    await page.tap('.alarm-mine-button');
    assert.equal(again.lastNavigation()?.url, '/pages/unlock/unlock');
    await again
      .module<{ unlock(k: string): Promise<unknown> }>('services/keyring/index.js')
      .unlock(C.masterKey);
    page.call('onShow');
    assert.equal(page.data.state, 'alarm');

    // Another launch of A's phone, whose keys are all its own, raises nothing.
    const a2 = relaunch(a);
    await a2.module<{ signIn(): Promise<unknown> }>('services/session/index.js').signIn();
    assert.equal(await transparency(a2).checkOwnKey(ids.A), null);
  });

  it('a rotated log key is followed from the built-in one, only through rotations each signed by the key before', async () => {
    const next = sm2GenerateKeyPair((n) => webcrypto.getRandomValues(new Uint8Array(n)));
    // The log now signs with `next`: the same tree, its heads signed by the new key.
    const resign = (head: SignedTreeHead) =>
      signTreeHead(next, { size: head.size, root: base64urlDecode(head.root), time: new Date(head.time) });
    proxy.rewrite = (r, answer) => {
      if (!isLookup(r) || answer.status !== 200) return undefined;
      const body = answer.body as LookupResponse;
      answer.body = { ...body, log: { ...body.log!, head: resign(body.log!.head) } };
      return answer;
    };
    const serveRotations = (rotations: unknown[]) => {
      proxy.intercept = (r) =>
        r.path === '/api/v1/log/key'
          ? {
              status: 200,
              body: { publicKey: base64urlEncode(next.publicKey), keyId: keyId(next.publicKey), rotations },
            }
          : undefined;
    };
    // A rotation signed by some other key does not count: the head is refused.
    const impostor = sm2GenerateKeyPair((n) => webcrypto.getRandomValues(new Uint8Array(n)));
    serveRotations([signLogKeyRotation(impostor, next.publicKey, new Date())]);
    const refused = await composeTo(b, A, '新账本密钥');
    assert.equal((refused.data.recipients as { logProblem?: string }[])[0]?.logProblem, 'log_bad_head');
    assert.match(refused.text('.recipient'), /账本签名不对/);
    refused.unload();

    serveRotations([signLogKeyRotation(logKeyPair(), next.publicKey, new Date())]);
    const compose = await composeTo(b, A, '新账本密钥');
    assert.equal((compose.data.recipients as { logProblem?: string }[])[0]?.logProblem, undefined);
    compose.unload();
    proxy.rewrite = null;
    proxy.intercept = null;
  });

  it("two views of the log: D's letter carries D's head to B, and B's phone proves the fork", async () => {
    // B has a head of its own from opening letters; D, new, has none yet.
    const bKept = b.state.storage.get('mifeng.logHead') as SignedTreeHead;
    assert.ok(bKept, 'B kept a head');
    const d = new Phone({ apiBaseUrl: proxy.url, publicUrl: server.publicUrl });
    await registerThroughPage(d, {
      name: '杜鹃',
      phone: '13800138004',
      masterKey: 'Dogwood 5 kites over hills',
    });
    // D is shown another log: the same leaves but one, signed by the log key. B's own leaf is in it.
    const real = (await (await fetch(`${server.url}/api/v1/log/leaves?start=0`)).json()) as {
      leaves: LogEntry[];
    };
    const leaves = real.leaves.map((e) => e.leaf);
    const at = leaves.findIndex((l) => l.userId === ids.A);
    const other = generateIdentity(ids.A);
    leaves[at] = {
      ...leaves[at]!,
      publicKey: base64urlEncode(other.publicKey),
      keyId: keyId(other.publicKey),
    };
    const view = fakeLog(leaves);
    const bIndex = leaves.findIndex((l) => l.userId === ids.B);
    proxy.rewrite = (r, answer) => {
      if (
        !isLookup(r) ||
        answer.status !== 200 ||
        r.authorization !== `Bearer ${d.state.storage.get('mifeng.token')}`
      )
        return undefined;
      answer.body = { ...(answer.body as LookupResponse), log: view.inclusion(bIndex) };
      return answer;
    };
    const id = idOf(await sendThroughPage(d, { content: '分叉的证据', to: [B] }));
    proxy.rewrite = null;
    const envelope = (uploads().at(-1)!.body as { envelope: EnvelopeJson }).envelope;
    assert.equal(envelope.v, 3);
    assert.deepEqual(envelope.head, view.head, "D's letter carries the head D checked B against");

    const open = await openLetter(b, id);
    assert.equal(open.data.state, 'log_forked');
    assert.equal(open.data.letter, null);
    assert.doesNotMatch(open.html(), /分叉的证据/);
    assert.match(open.text(), /服务器给了两本对不上的账本/);
    assert.deepEqual(b.state.storage.get('mifeng.logFork'), {
      kept: b.state.storage.get('mifeng.logHead'),
      other: view.head,
    });
  });

  it('a rewritten history signed by the log key: the consistency proof fails and the phone says the log forked', async () => {
    const kept = a.state.storage.get('mifeng.logHead') as SignedTreeHead;
    assert.ok(kept && kept.size > 0, 'A kept a head from its lookups');
    const real = (await (await fetch(`${server.url}/api/v1/log/leaves?start=0`)).json()) as {
      leaves: LogEntry[];
    };
    // The operator rewrites C's registration to a key of its own, and adds one leaf so the new
    // head is larger than the one A kept: a plausible successor, validly signed, in which B's own
    // leaf (which A checks) is still there.
    const mallory = generateIdentity(ids.C);
    const leaves = real.leaves.map((e) => e.leaf);
    const at = leaves.findIndex((l) => l.userId === ids.C);
    leaves[at] = {
      userId: ids.C,
      publicKey: base64urlEncode(mallory.publicKey),
      keyId: keyId(mallory.publicKey),
      kind: 'register',
      time: leaves[at]!.time,
    };
    leaves.push({ ...leaves[at]!, kind: 'reset', time: new Date().toISOString() });
    assert.ok(leaves.length > kept.size);
    const fake = fakeLog(leaves);
    const bIndex = leaves.findIndex((l) => l.userId === ids.B);
    proxy.intercept = (r) =>
      r.path.startsWith('/api/v1/log/consistency?')
        ? {
            status: 200,
            body: { first: kept.size, second: fake.head.size, proof: fake.consistency(kept.size) },
          }
        : undefined;
    proxy.rewrite = (r, answer) => {
      if (!isLookup(r) || answer.status !== 200) return undefined;
      answer.body = { ...(answer.body as LookupResponse), log: fake.inclusion(bIndex) };
      return answer;
    };
    const compose = await composeTo(a, B, '还给 Li Hua');
    assert.equal((compose.data.recipients as { logProblem?: string }[])[0]?.logProblem, 'log_forked');
    assert.ok(
      proxy.seen.some(
        (r) => r.path === `/api/v1/log/consistency?first=${kept.size}&second=${fake.head.size}`,
      ),
      'the phone asked for the consistency proof',
    );
    const before = uploads().length;
    await compose.tap('.seal-button');
    assert.match(compose.text('.compose-error'), /服务器给了两本对不上的密钥账本/);
    assert.equal(uploads().length, before, 'nothing was sealed or sent');
    proxy.intercept = null;
    proxy.rewrite = null;
    assert.equal(a.state.storage.get('mifeng.logHead'), kept, 'the forked head was not kept');
    assert.deepEqual(a.state.storage.get('mifeng.logFork'), { kept, other: fake.head }, 'the evidence');

    // Not retried silently: the real answers no longer pass either, and the next launch says why.
    const next = await composeTo(a, B, 'again');
    assert.equal((next.data.recipients as { logProblem?: string }[])[0]?.logProblem, 'log_forked');
    const again = relaunch(a);
    again.launch();
    const page = again.open('/pages/alarm/alarm');
    await page.waitFor(() => page.data.state !== 'loading', 'the alarm page');
    assert.equal(page.data.state, 'forked');
    assert.match(page.text(), /服务器给了两本对不上的账本/);
  });
});
