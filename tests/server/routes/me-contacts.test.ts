/**
 * `GET` and `PUT /me/contacts`: an opaque sealed blob stored byte for byte, whose counter each
 * write must advance by exactly one, so an older copy cannot be written back over a newer one.
 * On PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type ContactBook, MAX_CONTACT_BOOK_BYTES } from '../../../shared/api';
import { base64urlEncode } from '../../../shared/encoding';
import { forEachDatabase, useDatabase } from '../databases';
import { registerUser, type TestServer, type TestUser, useServer } from '../helper';

type ErrorBody = { error: { code: string; message: string } };

function put(server: TestServer, user: TestUser, blob: string, counter: number) {
  return server.request<ContactBook | ErrorBody>('PUT', '/api/v1/me/contacts', {
    token: user.token,
    body: { blob, counter },
  });
}

function get(server: TestServer, user: TestUser) {
  return server.request<ContactBook>('GET', '/api/v1/me/contacts', { token: user.token });
}

const sealed = (size = 300) => base64urlEncode(new Uint8Array(randomBytes(size)));

forEachDatabase((target) => {
  describe('contact book', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database }));

    it('stores the blob byte for byte and advances the counter by one per write', async () => {
      const alice = await registerUser(server());
      assert.deepEqual((await get(server(), alice)).body, { blob: null, counter: 0 });
      const first = sealed();
      const written = await put(server(), alice, first, 1);
      assert.equal(written.status, 200, written.text);
      assert.deepEqual(written.body, { counter: 1 });
      assert.deepEqual((await get(server(), alice)).body, { blob: first, counter: 1 });
      const row = await db().prisma.contactBook.findUniqueOrThrow({ where: { userId: alice.id } });
      assert.equal(base64urlEncode(new Uint8Array(row.blob)), first);

      const second = sealed(1000);
      assert.equal((await put(server(), alice, second, 2)).status, 200);
      assert.deepEqual((await get(server(), alice)).body, { blob: second, counter: 2 });
    });

    it('refuses an older copy, a replay and a skipped counter (409 contacts_stale), keeping the stored one', async () => {
      const bob = await registerUser(server());
      const v1 = sealed();
      const v2 = sealed();
      await put(server(), bob, v1, 1);
      await put(server(), bob, v2, 2);
      for (const [blob, counter] of [
        [v1, 1],
        [v1, 2],
        [sealed(), 4],
        [sealed(), 1],
      ] as const) {
        const reply = await put(server(), bob, blob, counter);
        assert.equal(reply.status, 409, `counter ${counter}`);
        assert.equal((reply.body as ErrorBody).error.code, 'contacts_stale');
        assert.match((reply.body as ErrorBody).error.message, /stored counter is 2, so send 3/);
      }
      assert.deepEqual((await get(server(), bob)).body, { blob: v2, counter: 2 });
    });

    it('two writes of the same counter at once: exactly one is stored', async () => {
      const carol = await registerUser(server());
      await put(server(), carol, sealed(), 1);
      const a = sealed();
      const b = sealed();
      const replies = await Promise.all([put(server(), carol, a, 2), put(server(), carol, b, 2)]);
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, 409]);
      const stored = (await get(server(), carol)).body;
      assert.equal(stored.counter, 2);
      assert.equal(stored.blob, replies[0]!.status === 200 ? a : b);
    });

    it('each user has their own book', async () => {
      const dan = await registerUser(server());
      const eve = await registerUser(server());
      await put(server(), dan, sealed(), 1);
      assert.deepEqual((await get(server(), eve)).body, { blob: null, counter: 0 });
    });

    it('rejects invalid inputs with an error naming the field, changing nothing', async () => {
      const finn = await registerUser(server());
      const cases: [unknown, RegExp][] = [
        [{ blob: sealed(MAX_CONTACT_BOOK_BYTES + 1), counter: 1 }, /blob/],
        [{ blob: 'not base64url!', counter: 1 }, /blob/],
        [{ blob: '', counter: 1 }, /blob/],
        [{ blob: sealed(), counter: 0 }, /counter/],
        [{ blob: sealed(), counter: 1.5 }, /counter/],
        [{ blob: sealed() }, /counter/],
      ];
      for (const [body, field] of cases) {
        const reply = await server().request('PUT', '/api/v1/me/contacts', { token: finn.token, body });
        assert.equal(reply.status, 400, reply.text);
        assert.equal((reply.body as ErrorBody).error.code, 'validation_failed');
        assert.match((reply.body as ErrorBody).error.message, field);
      }
      const largest = sealed(MAX_CONTACT_BOOK_BYTES);
      assert.equal((await put(server(), finn, largest, 1)).status, 200, 'the largest allowed blob fits');
      assert.deepEqual((await get(server(), finn)).body, { blob: largest, counter: 1 });
    });
  });
});
