/**
 * Version 3 letters lose a recipient's wrap on the server once that recipient can no longer fetch
 * them — their last open used, the letter removed from their inbox, their account deleted — while
 * the stored letter still verifies and opens for everyone else; each reader is handed only its own
 * wrap. Version 2 letters stay exactly as received.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { GetEnvelopeResponse } from '../../../shared/api';
import {
  type Envelope,
  type EnvelopeV3,
  openEnvelope,
  parseEnvelope,
  recipientWrapHash,
  verifyEnvelopeSignature,
} from '../../../shared/protocol';
import { forEachDatabase, useDatabase } from '../databases';
import {
  codeOf,
  registerUser,
  rowCounts,
  sealFor,
  sendLetter,
  type TestUser,
  testConfig,
  useServer,
} from '../helper';

forEachDatabase((target) => {
  describe('wrap purge (envelope version 3)', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({
      database: db().database,
      config: testConfig({ VERIFY_WORKERS: '1' }),
    }));
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;

    before(async () => {
      alice = await registerUser(server(), { name: 'Alice' });
      bob = await registerUser(server(), { name: 'Bob' });
      carol = await registerUser(server(), { name: 'Carol' });
    });

    const get = (id: string, user: TestUser) =>
      server().request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${id}`, { token: user.token });
    const stored = async (id: string) =>
      (await db().prisma.envelope.findUniqueOrThrow({ where: { id }, select: { body: true } })).body;
    const wrapOf = (envelope: Envelope, user: TestUser) =>
      envelope.recipients.find((r) => r.user === user.id)!.wrap!;

    /** The letter as `reader` fetches it: opened with their key, after checking alice's signature. */
    async function openAs(id: string, reader: TestUser) {
      const got = await get(id, reader);
      assert.equal(got.status, 200, got.text);
      const envelope = parseEnvelope(JSON.stringify(got.body.envelope));
      assert.ok(verifyEnvelopeSignature(envelope, alice.identity.publicKey));
      return {
        envelope,
        opened: openEnvelope(JSON.stringify(envelope), {
          reader: reader.identity,
          senderPublicKey: alice.identity.publicKey,
        }),
      };
    }

    /**
     * What must hold once `gone`'s wrap is purged from letter `sealed`: the stored text has neither
     * their wrap nor anyone's entry changed but theirs, still verifies, and opens for `still`.
     */
    async function assertPurged(sealed: Envelope, gone: TestUser, still: TestUser) {
      const text = await stored(sealed.id);
      assert.ok(text, 'the letter is still stored');
      assert.ok(!text.includes(wrapOf(sealed, gone)), "the purged recipient's wrap is gone");
      const envelope = parseEnvelope(text) as EnvelopeV3;
      assert.ok(
        verifyEnvelopeSignature(envelope, alice.identity.publicKey),
        'the stored letter still verifies',
      );
      const entry = envelope.recipients.find((r) => r.user === gone.id)!;
      const original = sealed.recipients.find((r) => r.user === gone.id)!;
      assert.deepEqual(entry, { user: gone.id, key: original.key, wrapHash: recipientWrapHash(original) });
      for (const r of envelope.recipients) {
        if (r.user !== gone.id)
          assert.deepEqual(
            r,
            sealed.recipients.find((s) => s.user === r.user),
          );
      }
      assert.equal((await openAs(sealed.id, still)).opened.content, 'the vault code is 0451');
    }

    it("purges a recipient's wrap with their last open; the others still verify and open it", async () => {
      const sealed = sealFor(alice, [bob, carol], { maxOpens: 1 });
      assert.equal(sealed.v, 3);
      await sendLetter(server(), alice, sealed);
      assert.ok((await stored(sealed.id))!.includes(wrapOf(sealed, bob)));

      // Bob's last open hands him his wrap, and only his.
      const { envelope, opened } = await openAs(sealed.id, bob);
      assert.equal(opened.content, 'the vault code is 0451');
      assert.deepEqual(
        envelope.recipients.map((r) => [r.user, r.wrap !== undefined]),
        [
          [alice.id, false],
          [bob.id, true],
          [carol.id, false],
        ],
      );
      // The sender's reads are not counted: alice checks the stored letter for everyone else.
      await assertPurged(sealed, bob, alice);
      const again = await get(sealed.id, bob);
      assert.equal(again.status, 410);
      assert.equal(codeOf(again), 'opens_used');
      // Carol's last open burns it: ciphertext and every wrap go.
      assert.equal((await openAs(sealed.id, carol)).opened.content, 'the vault code is 0451');
      assert.equal(await stored(sealed.id), null);
    });

    it('purges the wrap of a recipient who removes the letter', async () => {
      const sealed = sealFor(alice, [bob, carol]);
      await sendLetter(server(), alice, sealed);
      const removed = await server().request('POST', `/api/v1/envelopes/${sealed.id}/remove`, {
        token: bob.token,
      });
      assert.equal(removed.status, 204);
      await assertPurged(sealed, bob, carol);
      assert.equal((await get(sealed.id, bob)).status, 410, 'told they removed it');
    });

    it('purges the wrap of a recipient who deletes their account', async () => {
      const dan = await registerUser(server(), { name: 'Dan' });
      const sealed = sealFor(alice, [dan, carol]);
      await sendLetter(server(), alice, sealed);
      const deleted = await server().request('DELETE', '/api/v1/me', { token: dan.token });
      assert.equal(deleted.status, 204, deleted.text);
      await assertPurged(sealed, dan, carol);
    });

    it('of two racing last opens exactly one wins; two recipients finishing at once are both purged', async () => {
      const dan = await registerUser(server(), { name: 'Dan' });
      const sealed = sealFor(alice, [bob, carol, dan], { maxOpens: 1 });
      await sendLetter(server(), alice, sealed);
      const replies = await Promise.all([get(sealed.id, bob), get(sealed.id, bob), get(sealed.id, carol)]);
      const bobs = replies.slice(0, 2).map((r) => r.status);
      assert.deepEqual(bobs.sort(), [200, 410], `bob: ${bobs}`);
      assert.equal(replies[2]!.status, 200);
      const text = (await stored(sealed.id))!;
      assert.ok(!text.includes(wrapOf(sealed, bob)) && !text.includes(wrapOf(sealed, carol)));
      assert.ok(text.includes(wrapOf(sealed, dan)));
      assert.ok(verifyEnvelopeSignature(parseEnvelope(text), alice.identity.publicKey));
      assert.equal((await openAs(sealed.id, dan)).opened.content, 'the vault code is 0451');
    });

    it('keeps a version 2 letter exactly as received, every wrap included', async () => {
      const sealed = sealFor(alice, [bob, carol], { maxOpens: 1, version: 2 });
      await sendLetter(server(), alice, sealed);
      assert.equal((await get(sealed.id, bob)).status, 200);
      assert.equal(await stored(sealed.id), JSON.stringify(sealed));
      assert.deepEqual((await get(sealed.id, carol)).body.envelope, sealed);
    });

    it('refuses an upload with a purged entry, and stores nothing', async () => {
      const sealed = sealFor(alice, [bob]) as EnvelopeV3;
      const [own, theirs] = sealed.recipients;
      const purged = {
        ...sealed,
        recipients: [own, { user: theirs!.user, key: theirs!.key, wrapHash: recipientWrapHash(theirs!) }],
      };
      assert.ok(verifyEnvelopeSignature(parseEnvelope(JSON.stringify(purged)), alice.identity.publicKey));
      const before = await rowCounts(db().database);
      const refused = await server().request('POST', '/api/v1/envelopes', {
        token: alice.token,
        body: { envelope: purged },
      });
      assert.equal(refused.status, 400);
      assert.equal(codeOf(refused), 'validation_failed');
      assert.match(refused.text, /recipients\/1\/wrap/);
      assert.deepEqual(await rowCounts(db().database), before);
    });
  });
});
