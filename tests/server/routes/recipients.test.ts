/**
 * `POST /recipients/lookup` and `GET /users/:id/key`: resolution by name + phone, the uniform 404
 * for unregistered and mismatched pairs, and key rotation.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { LookupResponse, MeResponse, UserKeyResponse } from '../../../shared/api';
import { base64urlEncode } from '../../../shared/encoding';
import { generateIdentity, keyId } from '../../../shared/protocol';
import { forEachDatabase, useDatabase } from '../databases';
import { registerUser, type TestUser, uploadKeys, useServer } from '../helper';

forEachDatabase((target) => {
  describe('recipients', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database }));
    let alice: TestUser;
    let bob: TestUser;
    let halfDonePhone: string;

    before(async () => {
      alice = await registerUser(server(), { name: 'Alice' });
      bob = await registerUser(server(), { name: '王 小明' });
      // A user with a phone but no key yet.
      const login = await server().request<{ token: string }>('POST', '/api/v1/auth/dev', {
        body: { openid: 'half' },
      });
      halfDonePhone = '13911112222';
      await server().request('POST', '/api/v1/me/phone', {
        token: login.body.token,
        body: { phone: halfDonePhone },
      });
    });

    const lookup = (name: string, phone: string) =>
      server().request<LookupResponse>('POST', '/api/v1/recipients/lookup', {
        token: alice.token,
        body: { name, phone },
      });

    it('resolves a registered user by name and phone, in any spelling of either', async () => {
      for (const [name, phone] of [
        ['王 小明', bob.phone],
        ['  王   小明 ', `+86 ${bob.phone.slice(0, 3)}-${bob.phone.slice(3, 7)}-${bob.phone.slice(7)}`],
        ['王 小明', `0086${bob.phone}`],
      ] as const) {
        const reply = await lookup(name, phone);
        assert.equal(reply.status, 200, reply.text);
        // `log` (the key's place in the transparency log) is checked in log.test.ts.
        const { keyHistory, log, ...rest } = reply.body as LookupResponse;
        assert.deepEqual(rest, {
          user: bob.id,
          name: '王 小明',
          publicKey: base64urlEncode(bob.identity.publicKey),
          keyId: keyId(bob.identity.publicKey),
        });
        assert.deepEqual(
          keyHistory.map(({ keyId, publicKey, kind, statement }) => ({ keyId, publicKey, kind, statement })),
          [{ keyId: rest.keyId, publicKey: rest.publicKey, kind: 'register', statement: null }],
        );
        assert.equal(log?.leaf.keyId, keyId(bob.identity.publicKey));
      }
    });

    it('answers unregistered, name-mismatched and key-less pairs identically', async () => {
      const replies = await Promise.all([
        lookup('王 小明', '13700000000'), // nobody has this phone
        lookup('Someone Else', bob.phone), // right phone, wrong name
        lookup('Anyone', halfDonePhone), // registered phone without a key
      ]);
      for (const reply of replies) {
        assert.equal(reply.status, 404);
        assert.equal(reply.text, replies[0]!.text);
        assert.deepEqual(replies[0]!.body, {
          error: { code: 'no_such_recipient', message: 'No registered user has this name and phone number' },
        });
      }
    });

    it('rejects a phone that cannot be normalized (400 invalid_phone)', async () => {
      const reply = await lookup('Bob', '12345');
      assert.equal(reply.status, 400);
      assert.equal((reply.body as unknown as { error: { code: string } }).error.code, 'invalid_phone');
    });

    it('GET /users/:id/key answers the current key; rotation keeps the old one stored', async () => {
      const first = await server().request<UserKeyResponse>('GET', `/api/v1/users/${bob.id}/key`, {
        token: alice.token,
      });
      assert.equal(first.status, 200);
      assert.equal(first.body.keyId, keyId(bob.identity.publicKey));

      const rotated = generateIdentity(bob.id);
      const me: MeResponse = await uploadKeys(server(), bob.token, '王 小明', rotated, bob.identity);
      assert.equal(me.user.keyId, keyId(rotated.publicKey));
      const second = await server().request<UserKeyResponse>('GET', `/api/v1/users/${bob.id}/key`, {
        token: alice.token,
      });
      assert.equal(second.body.publicKey, base64urlEncode(rotated.publicKey));
      const keys = await db().prisma.userKey.findMany({
        where: { userId: bob.id },
        orderBy: { createdAt: 'asc' },
      });
      assert.equal(keys.length, 2);
      assert.ok(keys[0]!.retiredAt, 'old key retired, not deleted');
      assert.equal(keys[1]!.retiredAt, null);

      const missing = await server().request('GET', '/api/v1/users/nobody/key', { token: alice.token });
      assert.equal(missing.status, 404);
    });
  });
});
