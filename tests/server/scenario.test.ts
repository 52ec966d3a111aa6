/**
 * The end-to-end scenario, over real HTTP against a real database (PGlite and
 * PostgreSQL): two users and a stranger register through the fake WeChat server; A resolves B,
 * seals with shared/protocol and uploads; B fetches and opens it; the stranger gets 404; A sees B
 * in the opened-by list; revoke → 410; a past-due expiry → 410; the sweeper purges both and the
 * tombstones remain. Afterwards the log holds no token, phone number, code or envelope body.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { purgeExpired } from '../../server/jobs/purge-expired';
import type {
  AuthResponse,
  CreateEnvelopeResponse,
  GetEnvelopeResponse,
  ListEnvelopesResponse,
  LookupResponse,
  MeResponse,
} from '../../shared/api';
import { base64urlDecode, base64urlEncode } from '../../shared/encoding';
import {
  type Envelope,
  type EnvelopeV3,
  generateIdentity,
  openEnvelope,
  purgeWrap,
  sealKeyBackup,
} from '../../shared/protocol';
import { forEachDatabase, useDatabase } from './databases';
import { type FakeWeChat, startFakeWeChat } from './fake-wechat';
import { sealFor, startServer, type TestServer, type TestUser, testConfig } from './helper';

forEachDatabase((target) => {
  describe('scenario: register, seal, open, revoke, expire, purge', () => {
    const db = useDatabase(target);
    let wechat: FakeWeChat;
    let server: TestServer;
    const logLines: string[] = [];
    const secrets: string[] = [];

    before(async () => {
      wechat = await startFakeWeChat();
      server = await startServer({
        database: db().database,
        logLines,
        config: testConfig({
          DEV_LOGIN: 'off',
          WECHAT_APPID: wechat.appId,
          WECHAT_SECRET: wechat.secret,
          WECHAT_API_BASE: wechat.url,
          LOG_LEVEL: 'debug',
        }),
      });
    });
    after(async () => {
      await server?.close();
      await wechat?.close();
    });

    let seq = 0;
    async function registerViaWeChat(name: string, phone: string): Promise<TestUser> {
      seq += 1;
      const loginCode = `login-${seq}-${Date.now()}`;
      const phoneCode = `phone-${seq}-${Date.now()}`;
      wechat.addLoginCode(loginCode, `wx-openid-${seq}-${Date.now()}`);
      wechat.addPhoneCode(phoneCode, phone);
      secrets.push(loginCode, phoneCode, phone);

      const login = await server.request<AuthResponse>('POST', '/api/v1/auth/wechat', {
        body: { code: loginCode },
      });
      assert.equal(login.status, 200, login.text);
      assert.equal(login.body.registered, false);
      const { token } = login.body;
      secrets.push(token);

      const phoned = await server.request<MeResponse>('POST', '/api/v1/me/phone', {
        token,
        body: { code: phoneCode },
      });
      assert.equal(phoned.status, 200, phoned.text);
      assert.equal(phoned.body.user.phoneMasked, `*******${phone.slice(7)}`);

      const identity = generateIdentity(login.body.user.id);
      const backup = sealKeyBackup(identity, `master key of ${name}`, { iterations: 10_000 });
      const keyed = await server.request<MeResponse>('PUT', '/api/v1/me/keys', {
        token,
        body: { name, publicKey: base64urlEncode(identity.publicKey), backup },
      });
      assert.equal(keyed.status, 200, keyed.text);
      assert.equal(keyed.body.user.registered, true);
      assert.deepEqual(keyed.body.backup, backup);
      return { id: login.body.user.id, token, name, phone, identity };
    }

    let alice: TestUser;
    let bob: TestUser;
    let stranger: TestUser;
    let letter: Envelope;
    let shortLived: Envelope;

    it('registers two users and a stranger through WeChat', async () => {
      alice = await registerViaWeChat('Alice', '13800138001');
      bob = await registerViaWeChat('Bob', '13800138002');
      stranger = await registerViaWeChat('Mallory', '13800138003');
      const me = await server.request<MeResponse>('GET', '/api/v1/me', { token: bob.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.user.name, 'Bob');
      assert.equal(me.body.publicKey, base64urlEncode(bob.identity.publicKey));
    });

    it('A resolves B by name and phone, seals and uploads', async () => {
      const found = await server.request<LookupResponse>('POST', '/api/v1/recipients/lookup', {
        token: alice.token,
        body: { name: 'Bob', phone: '+86 138-0013-8002' },
      });
      assert.equal(found.status, 200, found.text);
      assert.equal(found.body.user, bob.id);
      letter = sealFor(alice, [{ user: found.body.user, publicKey: base64urlDecode(found.body.publicKey) }]);
      secrets.push(letter.ct, letter.sig, ...letter.recipients.map((r) => r.wrap!));
      const created = await server.request<CreateEnvelopeResponse>('POST', '/api/v1/envelopes', {
        token: alice.token,
        body: { envelope: letter },
      });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body, { id: letter.id, url: `https://mifeng.test/s/${letter.id}` });
    });

    it('B fetches and opens it; the envelope comes back as uploaded, with only his own wrap', async () => {
      const got = await server.request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${letter.id}`, {
        token: bob.token,
      });
      assert.equal(got.status, 200, got.text);
      assert.deepEqual(got.body.envelope, purgeWrap(letter as EnvelopeV3, alice.id));
      const { keyHistory, log, ...sender } = got.body.sender;
      assert.deepEqual(sender, {
        user: alice.id,
        name: 'Alice',
        phoneMasked: '*******8001',
        publicKey: base64urlEncode(alice.identity.publicKey),
        keyId: letter.senderKey,
      });
      assert.deepEqual(
        keyHistory.map((e) => [e.kind, e.keyId]),
        [['register', letter.senderKey]],
      );
      assert.deepEqual(
        log && [log.leaf.userId, log.leaf.kind, log.leaf.keyId, log.leaf.publicKey],
        [alice.id, 'register', letter.senderKey, base64urlEncode(alice.identity.publicKey)],
        "the sender's key comes with its transparency-log entry",
      );
      assert.equal(got.body.opens, undefined, 'only the sender sees opens');
      assert.equal(got.body.deliveries, undefined, 'only the sender sees deliveries');
      const opened = openEnvelope(got.body.envelope, {
        reader: bob.identity,
        senderPublicKey: base64urlDecode(got.body.sender.publicKey),
      });
      assert.equal(opened.content, 'the vault code is 0451');
      // The fetch alone is a delivery; the open counts once B's app confirms it.
      const delivered = await server.request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${letter.id}`, {
        token: alice.token,
      });
      assert.deepEqual(delivered.body.opens, []);
      assert.deepEqual(
        delivered.body.deliveries?.map((d) => [d.user, d.name]),
        [[bob.id, 'Bob']],
      );
      const confirmed = await server.request('POST', `/api/v1/envelopes/${letter.id}/opened`, {
        token: bob.token,
      });
      assert.equal(confirmed.status, 204);
    });

    it('the stranger gets 404, the same as a missing envelope', async () => {
      const got = await server.request('GET', `/api/v1/envelopes/${letter.id}`, { token: stranger.token });
      const missing = await server.request('GET', '/api/v1/envelopes/AAAAAAAAAAAAAAAAAAAAAA', {
        token: stranger.token,
      });
      assert.equal(got.status, 404);
      assert.deepEqual(got.body, missing.body);
      assert.deepEqual(got.body, { error: { code: 'not_found', message: 'Not found' } });
    });

    it('A sees B in the opened-by list, and both boxes list it', async () => {
      const got = await server.request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${letter.id}`, {
        token: alice.token,
      });
      assert.equal(got.status, 200);
      assert.equal(got.body.opens?.length, 1);
      assert.equal(got.body.opens?.[0]?.user, bob.id);
      assert.equal(got.body.opens?.[0]?.name, 'Bob');
      assert.deepEqual(got.body.deliveries, [], 'an open is no longer a mere delivery');
      const sent = await server.request<ListEnvelopesResponse>('GET', '/api/v1/envelopes?box=sent', {
        token: alice.token,
      });
      assert.equal(sent.body.items[0]?.id, letter.id);
      assert.equal(sent.body.items[0]?.state, 'active');
      const inbox = await server.request<ListEnvelopesResponse>('GET', '/api/v1/envelopes?box=inbox', {
        token: bob.token,
      });
      assert.deepEqual(
        inbox.body.items.map((i) => [i.id, i.sender.name]),
        [[letter.id, 'Alice']],
      );
      const strangerInbox = await server.request<ListEnvelopesResponse>(
        'GET',
        '/api/v1/envelopes?box=inbox',
        {
          token: stranger.token,
        },
      );
      assert.deepEqual(strangerInbox.body, { items: [], nextCursor: null });
    });

    it('revoke → 204, then recipients get 410 revoked', async () => {
      const bobOnly = await server.request('DELETE', `/api/v1/envelopes/${letter.id}`, { token: bob.token });
      assert.equal(bobOnly.status, 404, 'only the sender revokes');
      const revoked = await server.request('DELETE', `/api/v1/envelopes/${letter.id}`, {
        token: alice.token,
      });
      assert.equal(revoked.status, 204);
      const got = await server.request('GET', `/api/v1/envelopes/${letter.id}`, { token: bob.token });
      assert.equal(got.status, 410);
      assert.deepEqual((got.body as { error: { code: string } }).error.code, 'revoked');
    });

    it('an envelope past its expiry → 410 expired', async () => {
      shortLived = sealFor(alice, [bob], { expiresAt: new Date(Date.now() + 1200) });
      secrets.push(shortLived.ct);
      const created = await server.request('POST', '/api/v1/envelopes', {
        token: alice.token,
        body: { envelope: shortLived },
      });
      assert.equal(created.status, 201, created.text);
      await new Promise((r) => setTimeout(r, 1300));
      const got = await server.request('GET', `/api/v1/envelopes/${shortLived.id}`, { token: bob.token });
      assert.equal(got.status, 410);
      assert.equal((got.body as { error: { code: string } }).error.code, 'expired');
    });

    it('the sweeper purges both bodies and keeps the tombstones', async () => {
      const { purged } = await purgeExpired(server.app, { graceMs: 0 });
      assert.deepEqual(purged.sort(), [letter.id, shortLived.id].sort());
      const rows = await db().prisma.envelope.findMany({
        where: { id: { in: [letter.id, shortLived.id] } },
        include: { recipients: true },
      });
      assert.equal(rows.length, 2);
      for (const row of rows) {
        assert.equal(row.body, null);
        assert.ok(row.purgedAt);
        assert.equal(row.recipients.length, 2);
      }
      assert.deepEqual((await purgeExpired(server.app, { graceMs: 0 })).purged, [], 'purged once');
      const sent = await server.request<ListEnvelopesResponse>('GET', '/api/v1/envelopes?box=sent', {
        token: alice.token,
      });
      const states = Object.fromEntries(sent.body.items.map((i) => [i.id, i.state]));
      assert.deepEqual(states, { [letter.id]: 'revoked', [shortLived.id]: 'expired' });
      const got = await server.request('GET', `/api/v1/envelopes/${letter.id}`, { token: alice.token });
      assert.equal(got.status, 410);
    });

    it('logged no token, phone number, WeChat code or envelope body', () => {
      const log = logLines.join('');
      assert.ok(logLines.length > 20, 'requests were logged');
      for (const secret of secrets)
        assert.equal(log.includes(secret), false, `log contains ${secret.slice(0, 12)}…`);
      assert.equal(log.includes('138001380'), false);
    });
  });
});
