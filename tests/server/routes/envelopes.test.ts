/**
 * `/envelopes`: pagination, key rotation after sending, access rules, revoke, query validation, and
 * the sender's name and masked phone kept as they were at sending.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { GetEnvelopeResponse, ListEnvelopesResponse } from '../../../shared/api';
import { ENVELOPE_PAGE_SIZE } from '../../../shared/api';
import { base64urlEncode } from '../../../shared/encoding';
import { envelopeMaxOpens, generateIdentity, parseEnvelope, sealEnvelope } from '../../../shared/protocol';
import { forEachDatabase, useDatabase } from '../databases';
import {
  changeKeys,
  registerUser,
  sealFor,
  sendLetter,
  type TestUser,
  testConfig,
  uploadKeys,
  useServer,
} from '../helper';

forEachDatabase((target) => {
  describe('envelopes', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({
      database: db().database,
      config: testConfig({ VERIFY_WORKERS: '1' }),
    }));
    let alice: TestUser;
    let bob: TestUser;
    const sent: string[] = [];

    before(async () => {
      alice = await registerUser(server(), { name: 'Alice' });
      bob = await registerUser(server(), { name: 'Bob' });
      for (let i = 0; i < ENVELOPE_PAGE_SIZE + 5; i++) {
        const e = sealFor(alice, [bob], { now: new Date(Date.now() - 60_000 + i * 1000), expiresAt: null });
        const r = await server().request('POST', '/api/v1/envelopes', {
          token: alice.token,
          body: { envelope: e },
        });
        assert.equal(r.status, 201, r.text);
        sent.push(e.id);
      }
    });

    it('stores version 2 letters with their read limit, and version 1 letters, exactly as sealed', async () => {
      const seal = (version: 1 | 2) =>
        sealEnvelope(
          {
            sender: alice.identity,
            recipients: [{ user: carol.id, publicKey: carol.identity.publicKey }],
            content: `version ${version}`,
            expiresAt: null,
            ...(version === 2 ? { maxOpens: 1 } : {}),
          },
          { version },
        );
      // Someone the other tests do not count letters for.
      const carol = await registerUser(server(), { name: 'Dora' });
      for (const envelope of [seal(2), seal(1)]) {
        const r = await server().request('POST', '/api/v1/envelopes', {
          token: alice.token,
          body: { envelope },
        });
        assert.equal(r.status, 201, r.text);
        const got = await server().request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${envelope.id}`, {
          token: carol.token,
        });
        assert.deepEqual(got.body.envelope, envelope);
        assert.equal(envelopeMaxOpens(parseEnvelope(got.body.envelope)), envelope.v === 2 ? 1 : null);
      }
    });

    it('refuses a body naming a member twice, and stores nothing', async () => {
      const envelope = sealFor(alice, [bob]);
      const text = JSON.stringify({ envelope });
      for (const raw of [
        // A junk signature before the real one: JSON.parse alone would keep the real one.
        text.replace('{"envelope":{', `{"envelope":{"sig":"${envelope.sig.slice(0, -4)}AAAA",`),
        text.replace('{"envelope":', '{"envelope":{},"envelope":'),
      ]) {
        const r = await server().request<{ error: { code: string } }>('POST', '/api/v1/envelopes', {
          token: alice.token,
          raw,
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.error.code, 'malformed', r.text);
      }
      const got = await server().request('GET', `/api/v1/envelopes/${envelope.id}`, { token: alice.token });
      assert.equal(got.status, 404);
      const bad = await server().request<{ error: { code: string } }>('POST', '/api/v1/envelopes', {
        token: alice.token,
        raw: '{"envelope":',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(bad.body.error.code, 'malformed_json');
    });

    it('lists pages newest first with a cursor, and nothing twice', async () => {
      const first = await server().request<ListEnvelopesResponse>('GET', '/api/v1/envelopes?box=inbox', {
        token: bob.token,
      });
      assert.equal(first.status, 200);
      assert.equal(first.body.items.length, ENVELOPE_PAGE_SIZE);
      assert.ok(first.body.nextCursor);
      const second = await server().request<ListEnvelopesResponse>(
        'GET',
        `/api/v1/envelopes?box=inbox&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
        { token: bob.token },
      );
      assert.equal(second.body.items.length, 5);
      assert.equal(second.body.nextCursor, null);
      const ids = [...first.body.items, ...second.body.items].map((i) => i.id);
      assert.deepEqual(ids, [...sent].reverse());
      assert.deepEqual(first.body.items[0]!.recipients.map((r) => r.name).sort(), ['Alice', 'Bob']);
      const aliceInbox = await server().request<ListEnvelopesResponse>('GET', '/api/v1/envelopes?box=inbox', {
        token: alice.token,
      });
      assert.equal(aliceInbox.body.items.length, 0, 'own letters are in sent, not inbox');
    });

    it('rejects a bad box or cursor with 400 naming the field', async () => {
      const box = await server().request('GET', '/api/v1/envelopes?box=trash', { token: bob.token });
      assert.equal(box.status, 400);
      assert.match((box.body as { error: { message: string } }).error.message, /^querystring\/box: /);
      const cursor = await server().request('GET', '/api/v1/envelopes?box=sent&cursor=garbage', {
        token: bob.token,
      });
      assert.equal(cursor.status, 400);
      assert.match((cursor.body as { error: { message: string } }).error.message, /cursor/);
      const id = await server().request('GET', '/api/v1/envelopes/short', { token: bob.token });
      assert.equal(id.status, 400);
      assert.match((id.body as { error: { message: string } }).error.message, /^params\/id: /);
    });

    it('after the sender rotates keys, old envelopes come with the key that signed them', async () => {
      const old = sent[0]!;
      const oldKey = base64urlEncode(alice.identity.publicKey);
      const changed = await uploadKeys(
        server(),
        alice.token,
        'Alice',
        generateIdentity(alice.id),
        alice.identity,
      );
      alice.token = changed.token;
      const got = await server().request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${old}`, {
        token: bob.token,
      });
      assert.equal(got.status, 200);
      assert.equal(got.body.sender.publicKey, oldKey);
      // Sealing with the retired key is now refused.
      const stale = sealFor(alice, [bob]);
      const refused = await server().request('POST', '/api/v1/envelopes', {
        token: alice.token,
        body: { envelope: stale },
      });
      assert.equal(refused.status, 400);
      assert.equal((refused.body as { error: { code: string } }).error.code, 'sender_key_mismatch');
    });

    it('records the first fetch as a delivery and the first confirmation as an open, each once', async () => {
      const id = sent[1]!;
      const row = (userId: string) =>
        db().prisma.envelopeRecipient.findUniqueOrThrow({
          where: { envelopeId_userId: { envelopeId: id, userId } },
        });
      await server().request('GET', `/api/v1/envelopes/${id}`, { token: bob.token });
      const first = await row(bob.id);
      assert.ok(first.deliveredAt);
      assert.equal(first.openedAt, null, 'a fetch is not an open');
      const asSender = await server().request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${id}`, {
        token: alice.token,
      });
      assert.deepEqual(asSender.body.opens, []);
      assert.deepEqual(
        asSender.body.deliveries?.map((d) => d.user),
        [bob.id],
      );

      await new Promise((r) => setTimeout(r, 20));
      const confirm = () => server().request('POST', `/api/v1/envelopes/${id}/opened`, { token: bob.token });
      assert.equal((await confirm()).status, 204);
      const opened = await row(bob.id);
      assert.ok(opened.openedAt);
      assert.ok(opened.openedAt > first.deliveredAt, 'opened after it was delivered');
      assert.equal(opened.deliveredAt?.getTime(), first.deliveredAt.getTime());
      await new Promise((r) => setTimeout(r, 20));
      assert.equal((await confirm()).status, 204, 'idempotent');
      assert.equal(
        (await row(bob.id)).openedAt?.getTime(),
        opened.openedAt.getTime(),
        'the first open counts',
      );
      const after = await server().request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${id}`, {
        token: alice.token,
      });
      assert.deepEqual(
        after.body.opens?.map((o) => [o.user, o.at]),
        [[bob.id, opened.openedAt.toISOString()]],
      );
      assert.deepEqual(after.body.deliveries, []);

      const senderOwn = await server().request('POST', `/api/v1/envelopes/${id}/opened`, {
        token: alice.token,
      });
      assert.equal(senderOwn.status, 404, "the sender's own reads are not opens");
      assert.equal((await row(alice.id)).openedAt, null);
    });

    it('revoke is idempotent for the sender and 404 for anyone else', async () => {
      const id = sent[2]!;
      const stranger = await registerUser(server());
      assert.equal(
        (await server().request('DELETE', `/api/v1/envelopes/${id}`, { token: stranger.token })).status,
        404,
      );
      assert.equal(
        (await server().request('DELETE', `/api/v1/envelopes/${id}`, { token: alice.token })).status,
        204,
      );
      assert.equal(
        (await server().request('DELETE', `/api/v1/envelopes/${id}`, { token: alice.token })).status,
        204,
      );
      const list = await server().request<ListEnvelopesResponse>('GET', '/api/v1/envelopes?box=sent', {
        token: alice.token,
      });
      const all = list.body.items.concat();
      assert.ok(all.some((i) => i.id === id && i.state === 'revoked') || list.body.nextCursor);
    });

    it("letters keep the sender's name and masked phone of the day they were sent", async () => {
      const carol = await registerUser(server(), { name: 'Carol', phone: '13812345678' });
      const dave = await registerUser(server(), { name: 'Dave' });
      const before = sealFor(carol, [dave]);
      assert.equal((await sendLetter(server(), carol, before)).id, before.id);
      await changeKeys(server(), carol, carol.identity, 'Carol Renamed');
      const after = sealFor(carol, [dave]);
      await sendLetter(server(), carol, after);

      const senderOf = async (id: string) =>
        (await server().request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${id}`, { token: dave.token }))
          .body.sender;
      assert.deepEqual(
        [await senderOf(before.id), await senderOf(after.id)].map(({ name, phoneMasked }) => [
          name,
          phoneMasked,
        ]),
        [
          ['Carol', '*******5678'],
          ['Carol Renamed', '*******5678'],
        ],
      );
      const inbox = await server().request<ListEnvelopesResponse>('GET', '/api/v1/envelopes?box=inbox', {
        token: dave.token,
      });
      assert.deepEqual(
        inbox.body.items.map((i) => [i.id, i.sender]),
        [
          [after.id, { user: carol.id, name: 'Carol Renamed', phoneMasked: '*******5678' }],
          [before.id, { user: carol.id, name: 'Carol', phoneMasked: '*******5678' }],
        ],
      );
    });
  });
});
