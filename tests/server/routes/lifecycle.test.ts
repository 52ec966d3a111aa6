/**
 * A letter's life after sending: read limits (counted per recipient, the last open won by exactly
 * one of two racing fetches, on two instances), burning, removal from the inbox and the sent box,
 * and account deletion (`DELETE /me`).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { connectDatabase } from '../../../server/db/connect';
import type {
  AuthResponse,
  EnvelopeStatus,
  GetEnvelopeResponse,
  ListEnvelopesResponse,
  LogEntry,
} from '../../../shared/api';
import { base64urlEncode } from '../../../shared/encoding';
import {
  type EnvelopeV3,
  keyId,
  openEnvelope,
  parseEnvelope,
  recipientWrapHash,
  sealEnvelope,
  verifyEnvelopeSignature,
} from '../../../shared/protocol';
import { forEachDatabase, useDatabase } from '../databases';
import {
  codeOf,
  registerUser,
  rowCounts,
  sealFor,
  sendLetter,
  startServer,
  type TestServer,
  type TestUser,
  testConfig,
  useServer,
} from '../helper';

forEachDatabase((target) => {
  describe('letter lifecycle', () => {
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

    /** Sends a letter from `from` to `to`, with the read limit signed into it. */
    async function letter(from: TestUser, to: TestUser[], maxOpens: number | null = null) {
      const envelope = sealFor(from, to, { maxOpens });
      await sendLetter(server(), from, envelope);
      return envelope.id;
    }
    const get = (id: string, user: TestUser, via = server()) =>
      via.request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${id}`, { token: user.token });
    const status = (id: string, user: TestUser) =>
      server().request<EnvelopeStatus>('GET', `/api/v1/envelopes/${id}/status`, { token: user.token });
    /** Where `user` stands with letter `id`, without the sender block. */
    const standing = async (id: string, user: TestUser) => {
      const { sender: _, ...rest } = (await status(id, user)).body;
      return rest;
    };
    const remove = (id: string, user: TestUser) =>
      server().request('POST', `/api/v1/envelopes/${id}/remove`, { token: user.token });
    const box = async (user: TestUser, which: 'inbox' | 'sent') =>
      (
        await server().request<ListEnvelopesResponse>('GET', `/api/v1/envelopes?box=${which}`, {
          token: user.token,
        })
      ).body.items;
    const body = async (id: string) =>
      (await db().prisma.envelope.findUniqueOrThrow({ where: { id }, select: { body: true } })).body;

    describe('read limits', () => {
      it('counts each fetch by a recipient, says how many are left, and refuses past the limit', async () => {
        const id = await letter(alice, [bob, carol], 2);
        assert.deepEqual(await standing(id, bob), { state: 'active', maxOpens: 2, opensLeft: 2 });
        const first = await get(id, bob);
        assert.equal(first.status, 200, first.text);
        assert.deepEqual(first.body.reads, { maxOpens: 2, opensLeft: 1 });
        assert.deepEqual((await get(id, bob)).body.reads, { maxOpens: 2, opensLeft: 0 });
        const third = await get(id, bob);
        assert.equal(third.status, 410);
        assert.equal(codeOf(third), 'opens_used');
        assert.deepEqual(await standing(id, bob), { state: 'active', maxOpens: 2, opensLeft: 0 });
        assert.equal((await box(bob, 'inbox')).find((i) => i.id === id)?.opensLeft, 0);

        // The sender's own reads are not counted, and the sent box names who used their opens.
        for (let i = 0; i < 3; i++) assert.equal((await get(id, alice)).status, 200);
        const sent = (await box(alice, 'sent')).find((i) => i.id === id)!;
        assert.deepEqual(
          sent.recipients.map((r) => [r.name, r.status]),
          [
            ['Alice', undefined],
            ['Bob', 'opens_used'],
            ['Carol', undefined],
          ],
        );
        assert.ok(await body(id), 'Carol can still fetch it, so the body stays');
      });

      it('burns the letter once every recipient used their opens; a late confirmation still counts', async () => {
        const id = await letter(alice, [bob, carol], 1);
        assert.equal((await get(id, bob)).status, 200);
        assert.equal((await get(id, carol)).status, 200);
        assert.equal(await body(id), null, 'ciphertext and every wrap are gone');
        const asSender = await get(id, alice);
        assert.equal(asSender.status, 410);
        assert.equal(codeOf(asSender), 'burned');
        assert.equal((await box(alice, 'sent')).find((i) => i.id === id)?.state, 'burned');
        assert.equal((await status(id, carol)).body.state, 'burned');
        const confirmed = await server().request('POST', `/api/v1/envelopes/${id}/opened`, {
          token: carol.token,
        });
        assert.equal(confirmed.status, 204, 'the app confirms after the fetch that burned it');
        // The sent box itself says who got it and who opened it: the fetch above is 410 for the sender.
        const sent = (await box(alice, 'sent')).find((i) => i.id === id)!;
        const seen = sent.recipients.map((r) => [r.name, Boolean(r.deliveredAt), Boolean(r.openedAt)]);
        assert.deepEqual(seen, [
          ['Alice', false, false],
          ['Bob', true, false],
          ['Carol', true, true],
        ]);
        const inbox = (await box(carol, 'inbox')).find((i) => i.id === id);
        assert.ok(
          !inbox || inbox.recipients.every((r) => !r.openedAt && !r.deliveredAt),
          'only for the sender',
        );
        const dave = await registerUser(server());
        const stranger = await server().request('POST', `/api/v1/envelopes/${id}/opened`, {
          token: dave.token,
        });
        assert.equal(stranger.status, 404);
      });

      it('takes the limit from the signed envelope: v3 carries it, v1 has none', async () => {
        const limited = sealFor(alice, [bob], { maxOpens: 3 });
        assert.equal(limited.v, 3);
        await sendLetter(server(), alice, limited);
        const v1 = sealEnvelope(
          {
            sender: alice.identity,
            recipients: [{ user: bob.id, publicKey: bob.identity.publicKey }],
            content: 'old style',
            expiresAt: null,
          },
          { version: 1 },
        );
        await sendLetter(server(), alice, v1);
        const stored = await db().prisma.envelope.findMany({
          where: { id: { in: [limited.id, v1.id] } },
          select: { id: true, maxOpens: true },
        });
        assert.deepEqual(Object.fromEntries(stored.map((e) => [e.id, e.maxOpens])), {
          [limited.id]: 3,
          [v1.id]: null,
        });
        // Changing the signed limit breaks the signature: the server refuses it.
        const altered = { ...sealFor(alice, [bob], { maxOpens: 1 }), maxOpens: null };
        const refused = await server().request('POST', '/api/v1/envelopes', {
          token: alice.token,
          body: { envelope: altered },
        });
        assert.equal(refused.status, 400);
        assert.equal(codeOf(refused), 'bad_signature');
      });

      it('a letter without a limit is handed out any number of times', async () => {
        const id = await letter(alice, [bob]);
        for (let i = 0; i < 4; i++) {
          const got = await get(id, bob);
          assert.equal(got.status, 200);
          assert.equal(got.body.reads, undefined);
        }
        assert.deepEqual(await standing(id, bob), { state: 'active', maxOpens: null, opensLeft: null });
      });

      it('status is 404 for anyone but the sender and the recipients', async () => {
        const id = await letter(alice, [bob], 1);
        const dave = await registerUser(server());
        assert.equal((await status(id, dave)).status, 404);
        assert.deepEqual(await standing(id, alice), { state: 'active', maxOpens: 1, opensLeft: null });
      });

      it('status carries the sender block the fetch carries, before the fetch uses an open', async () => {
        const id = await letter(alice, [bob], 1);
        const dave = await registerUser(server());
        const stranger = await status(id, dave);
        assert.equal(stranger.status, 404);
        assert.equal((stranger.body as { sender?: unknown }).sender, undefined);

        const before = (await status(id, bob)).body;
        assert.equal(before.opensLeft, 1);
        assert.equal(before.sender?.user, alice.id);
        assert.equal(before.sender?.keyId, keyId(alice.identity.publicKey));
        assert.equal(before.sender?.publicKey, base64urlEncode(alice.identity.publicKey));
        assert.ok(before.sender?.log, 'with its inclusion proof');
        assert.equal((await standing(id, bob)).opensLeft, 1, 'asking again used no open');
        assert.deepEqual((await status(id, alice)).body.sender, before.sender, 'the sender sees the same');

        const fetched = await get(id, bob);
        assert.equal(fetched.status, 200);
        assert.deepEqual(fetched.body.sender, before.sender, 'one block, the same on both routes');
        // Burned by that open: a closed letter names no sender, there is nothing left to check.
        const after = (await status(id, bob)).body;
        assert.equal(after.state, 'burned');
        assert.equal(after.sender, undefined);
      });
    });

    describe('removing', () => {
      it('a recipient removes a letter from their inbox: never handed to them again', async () => {
        const id = await letter(alice, [bob, carol]);
        assert.equal((await remove(id, bob)).status, 204);
        assert.equal((await remove(id, bob)).status, 204, 'idempotent');
        assert.ok(!(await box(bob, 'inbox')).some((i) => i.id === id));
        // Following its link again, Bob is told he removed it; to anyone else it stays not found.
        const fetched = await get(id, bob);
        assert.equal(fetched.status, 410);
        assert.equal(codeOf(fetched), 'removed');
        const asked = await status(id, bob);
        assert.equal(asked.status, 410);
        assert.equal(codeOf(asked), 'removed');
        assert.equal(
          (await server().request('POST', `/api/v1/envelopes/${id}/opened`, { token: bob.token })).status,
          404,
        );
        const sent = (await box(alice, 'sent')).find((i) => i.id === id)!;
        assert.deepEqual(
          sent.recipients.map((r) => r.status),
          [undefined, 'removed', undefined],
        );
        assert.equal(sent.state, 'active');
        assert.ok(await body(id), 'Carol still has it');
        assert.equal((await remove(id, carol)).status, 204);
        assert.equal(await body(id), null, 'nobody else can fetch it: burned');
        assert.equal((await box(alice, 'sent')).find((i) => i.id === id)?.state, 'burned');
      });

      it('the sender removes only a closed letter; a stranger gets 404', async () => {
        const id = await letter(alice, [bob]);
        const dave = await registerUser(server());
        assert.equal((await remove(id, dave)).status, 404);
        const before = await rowCounts(db().database);
        const active = await remove(id, alice);
        assert.equal(active.status, 409);
        assert.equal(codeOf(active), 'not_closed');
        assert.deepEqual(await rowCounts(db().database), before);
        assert.ok(await body(id));

        assert.equal(
          (await server().request('DELETE', `/api/v1/envelopes/${id}`, { token: alice.token })).status,
          204,
        );
        assert.equal((await remove(id, alice)).status, 204);
        assert.equal(await body(id), null, 'the body goes at once');
        assert.ok(!(await box(alice, 'sent')).some((i) => i.id === id));
        assert.equal((await get(id, alice)).status, 404);
        // The recipient still sees what happened to it.
        assert.equal((await box(bob, 'inbox')).find((i) => i.id === id)?.state, 'revoked');
        assert.equal(codeOf(await get(id, bob)), 'revoked');
      });

      it('the sender removes an expired letter', async () => {
        const id = await letter(alice, [bob]);
        await db().prisma.envelope.update({
          where: { id },
          data: { expiresAt: new Date(Date.now() - 1000) },
        });
        assert.equal((await remove(id, alice)).status, 204);
        assert.ok(!(await box(alice, 'sent')).some((i) => i.id === id));
      });
    });

    describe('account deletion', () => {
      it('is refused without a fresh WeChat sign-in, and changes nothing', async () => {
        const erin = await registerUser(server(), { name: 'Erin' });
        const stale = server().app.issueToken(erin.id, 0, new Date(Date.now() - 10 * 60_000)).token;
        const before = await rowCounts(db().database);
        const refused = await server().request('DELETE', '/api/v1/me', { token: stale });
        assert.equal(refused.status, 403);
        assert.equal(codeOf(refused), 'fresh_login_required');
        assert.deepEqual(await rowCounts(db().database), before);
        assert.equal((await server().request('GET', '/api/v1/me', { token: erin.token })).status, 200);
      });

      it('purges letters, keys, backups, contacts, phone and sessions; keeps a tombstone leaf', async () => {
        const openid = `delete-${Date.now()}`;
        const fay = await registerUser(server(), { name: 'Fay', openid });
        const gil = await registerUser(server(), { name: 'Gil' });
        const fromFay = await letter(fay, [gil]);
        const toFay = await letter(gil, [fay]);
        const toBoth = await letter(gil, [fay, bob]);
        await server().request('PUT', '/api/v1/me/contacts', {
          token: fay.token,
          body: { blob: base64urlEncode(new Uint8Array([1, 2, 3])), counter: 1 },
        });

        const deleted = await server().request('DELETE', '/api/v1/me', { token: fay.token });
        assert.equal(deleted.status, 204, deleted.text);
        assert.equal((await server().request('GET', '/api/v1/me', { token: fay.token })).status, 401);

        const p = db().prisma;
        const counts = await Promise.all([
          p.envelope.count({ where: { senderId: fay.id } }),
          p.userKey.count({ where: { userId: fay.id } }),
          p.keyBackup.count({ where: { userId: fay.id } }),
          p.keyEvent.count({ where: { userId: fay.id } }),
          p.contactBook.count({ where: { userId: fay.id } }),
        ]);
        assert.deepEqual(counts, [0, 0, 0, 0, 0]);
        const row = await p.user.findUniqueOrThrow({ where: { id: fay.id } });
        assert.deepEqual(
          [row.name, row.phoneHash, row.phoneMasked, row.currentKeyId, row.openid === openid],
          [null, null, null, null, false],
        );
        assert.ok(row.deletedAt);

        // Letters she sent are gone from the inbox; letters she received lost her.
        assert.ok(!(await box(gil, 'inbox')).some((i) => i.id === fromFay));
        assert.equal((await get(fromFay, gil)).status, 404);
        const sent = await box(gil, 'sent');
        assert.equal(sent.find((i) => i.id === toFay)?.state, 'burned', 'she was its only recipient');
        assert.equal(await body(toFay), null);
        assert.equal(
          sent.find((i) => i.id === toBoth)?.recipients.find((r) => r.user === fay.id)?.status,
          'removed',
        );
        assert.ok(await body(toBoth), 'Bob can still read it');

        // The log keeps her leaves and ends them with a tombstone for the key she had.
        const events = await server().request<{ events: LogEntry[] }>('GET', `/api/v1/log/users/${fay.id}`);
        assert.deepEqual(
          events.body.events.map((e) => [e.leaf.kind, e.leaf.keyId]),
          [
            ['register', keyId(fay.identity.publicKey)],
            ['delete', keyId(fay.identity.publicKey)],
          ],
        );

        // The same WeChat account starts afresh, and the phone number registers again.
        const again = await server().request<AuthResponse>('POST', '/api/v1/auth/dev', { body: { openid } });
        assert.notEqual(again.body.user.id, fay.id);
        const back = await registerUser(server(), { name: 'Fay', phone: fay.phone });
        assert.notEqual(back.id, fay.id);
      });
    });
  });

  describe('last open on two instances', () => {
    const db = useDatabase(target);

    /** Runs `body` on two apps over one database (PostgreSQL: two instances, two pools). */
    async function twoInstances(body: (a: TestServer, b: TestServer) => Promise<void>): Promise<void> {
      const second =
        target.kind === 'postgres'
          ? await connectDatabase({ databaseUrl: db().databaseUrl!, dataDir: db().dataDir })
          : db().database;
      const a = await startServer({ database: db().database, config: testConfig() });
      const b = await startServer({ database: second, config: testConfig() });
      try {
        await body(a, b);
      } finally {
        await a.close();
        await b.close();
        if (second !== db().database) await second.close();
      }
    }

    it(
      target.kind === 'postgres'
        ? 'two instances, one database: of concurrent fetches exactly one gets each last open'
        : 'two apps on one PGlite: of concurrent fetches exactly one gets each last open',
      () =>
        twoInstances(async (a, b) => {
          const alice = await registerUser(a, { name: 'Alice' });
          const bob = await registerUser(b, { name: 'Bob' });
          const LETTERS = 6;
          const FETCHES = 8;
          const tally = { won: 0, refused: 0, other: 0 };
          for (let n = 0; n < LETTERS; n++) {
            const envelope = sealFor(alice, [bob], { maxOpens: 1 });
            await sendLetter(a, alice, envelope);
            const replies = await Promise.all(
              Array.from({ length: FETCHES }, (_, i) =>
                (i % 2 ? a : b).request('GET', `/api/v1/envelopes/${envelope.id}`, { token: bob.token }),
              ),
            );
            const won = replies.filter((r) => r.status === 200).length;
            const refused = replies.filter((r) => r.status === 410 && codeOf(r) === 'opens_used').length;
            tally.won += won;
            tally.refused += refused;
            tally.other += FETCHES - won - refused;
            assert.equal(won, 1, `letter ${n}: ${replies.map((r) => r.status).join(',')}`);
            const row = await db().prisma.envelopeRecipient.findUniqueOrThrow({
              where: { envelopeId_userId: { envelopeId: envelope.id, userId: bob.id } },
            });
            assert.equal(row.opens, 1);
            const stored = await db().prisma.envelope.findUniqueOrThrow({ where: { id: envelope.id } });
            assert.equal(stored.body, null);
            assert.ok(stored.burnedAt);
          }
          assert.deepEqual(tally, { won: LETTERS, refused: LETTERS * (FETCHES - 1), other: 0 });
          console.log(`# ${target.name} last-open race: ${JSON.stringify(tally)}`);
        }),
    );

    it(
      target.kind === 'postgres'
        ? 'two instances: recipients using their last open at once each lose their own wrap, none lost'
        : 'two apps on one PGlite: recipients using their last open at once each lose their own wrap',
      () =>
        twoInstances(async (a, b) => {
          const alice = await registerUser(a, { name: 'Alice' });
          const readers: TestUser[] = [];
          for (const name of ['Bob', 'Carol', 'Dan', 'Eve']) readers.push(await registerUser(b, { name }));
          // Fay never reads: the letter stays, so what the racing purges left can be checked.
          const fay = await registerUser(a, { name: 'Fay' });
          const sealed = sealFor(alice, [...readers, fay], { maxOpens: 1 });
          assert.equal(sealed.v, 3);
          await sendLetter(a, alice, sealed);
          // Every reader fetches twice at once, one fetch on each instance: 8 fetches in flight.
          const replies = await Promise.all(
            readers.flatMap((reader) =>
              [a, b].map(async (s) => ({
                reader,
                reply: await s.request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${sealed.id}`, {
                  token: reader.token,
                }),
              })),
            ),
          );
          for (const reader of readers) {
            const mine = replies.filter((r) => r.reader === reader).map((r) => r.reply);
            const won = mine.filter((r) => r.status === 200);
            assert.equal(won.length, 1, `${reader.name}: ${mine.map((r) => r.status).join(',')}`);
            assert.deepEqual(mine.filter((r) => r.status !== 200).map(codeOf), ['opens_used']);
            const opened = openEnvelope(JSON.stringify(won[0]!.body.envelope), {
              reader: reader.identity,
              senderPublicKey: alice.identity.publicKey,
            });
            assert.equal(opened.content, 'the vault code is 0451');
          }
          // Every reader's wrap is gone from the stored text (no purge undid another), Fay's stays,
          // and the letter still verifies and opens for her.
          const stored = await db().prisma.envelope.findUniqueOrThrow({ where: { id: sealed.id } });
          assert.ok(stored.body, 'not burned: Fay can still read it');
          const envelope = parseEnvelope(stored.body) as EnvelopeV3;
          assert.ok(verifyEnvelopeSignature(envelope, alice.identity.publicKey));
          for (const original of sealed.recipients) {
            const entry = envelope.recipients.find((r) => r.user === original.user)!;
            // The sender's own entry (sealed in by the phone) and Fay's keep their wraps.
            if (original.user === fay.id || original.user === alice.id) assert.deepEqual(entry, original);
            else
              assert.deepEqual(entry, {
                user: original.user,
                key: original.key,
                wrapHash: recipientWrapHash(original),
              });
          }
          const hers = await b.request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${sealed.id}`, {
            token: fay.token,
          });
          assert.equal(hers.status, 200, hers.text);
          const opened = openEnvelope(JSON.stringify(hers.body.envelope), {
            reader: fay.identity,
            senderPublicKey: alice.identity.publicKey,
          });
          assert.equal(opened.content, 'the vault code is 0451');
          // Her last open burns it: nobody is left.
          assert.equal(
            (await db().prisma.envelope.findUniqueOrThrow({ where: { id: sealed.id } })).body,
            null,
          );
          console.log(
            `# ${target.name} last-open wrap race: ${readers.length} readers × 2 fetches, one wrap purged each`,
          );
        }),
    );
  });
});
