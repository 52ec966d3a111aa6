/**
 * Key changes (`PUT /me/keys` with a statement, `POST /me/keys/reset` after a fresh sign-in), the
 * key history served with every key, and every backup kept (`GET /me/keys`). A stolen token alone
 * can neither change nor reset a key. On PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  AuthResponse,
  GetEnvelopeResponse,
  KeyHistory,
  KeysSetResponse,
  LookupResponse,
  MyKeysResponse,
  UserKeyResponse,
} from '../../../shared/api';
import { base64urlEncode } from '../../../shared/encoding';
import {
  generateIdentity,
  type Identity,
  type KeyChange,
  keyId,
  signKeyChange,
  unlockKeyBackup,
  verifyKeyChange,
} from '../../../shared/protocol';
import { forEachDatabase, useDatabase } from '../databases';
import {
  changeKeys,
  registerUser,
  rowCounts,
  sealFor,
  sendLetter,
  type TestServer,
  type TestUser,
  testBackup,
  useServer,
} from '../helper';

type ErrorBody = { error: { code: string; message: string } };

/** `PUT /me/keys` for `next` with whatever statement is given (or none), as raw HTTP. */
function putKeys(server: TestServer, user: TestUser, next: Identity, statement?: unknown) {
  return server.request<KeysSetResponse>('PUT', '/api/v1/me/keys', {
    token: user.token,
    body: {
      name: user.name,
      publicKey: base64urlEncode(next.publicKey),
      backup: testBackup(next),
      ...(statement === undefined ? {} : { statement }),
    },
  });
}

function reset(server: TestServer, token: string | undefined, user: TestUser, next: Identity) {
  return server.request<KeysSetResponse>('POST', '/api/v1/me/keys/reset', {
    token,
    body: { name: user.name, publicKey: base64urlEncode(next.publicKey), backup: testBackup(next) },
  });
}

function codeOf(reply: { body: unknown }): string {
  return (reply.body as ErrorBody).error.code;
}

/** Checks a history the way a phone does: each signed change verifies under the key before it. */
function chainHolds(user: string, history: KeyHistory): boolean {
  return history.every((event, i) => {
    if (event.kind !== 'signed-change') return event.statement === null;
    const before = history[i - 1];
    if (!before || !event.statement) return false;
    return verifyKeyChange(event.statement, {
      user,
      oldPublicKey: Buffer.from(before.publicKey, 'base64url'),
      newPublicKey: Buffer.from(event.publicKey, 'base64url'),
    });
  });
}

forEachDatabase((target) => {
  describe('key changes', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database }));

    it('refuses a key change without a valid statement by the current key, changing nothing', async () => {
      const alice = await registerUser(server(), { name: 'Alice' });
      const bob = await registerUser(server(), { name: 'Bob' });
      const next = generateIdentity(alice.id);
      const before = await rowCounts(db().database);
      const stale = new Date(Date.now() - 10 * 60_000);
      const cases: [string, unknown, number, string][] = [
        ['no statement (a stolen token alone)', undefined, 403, 'key_change_required'],
        [
          'signed by the new key',
          signKeyChange({ old: { ...next, user: alice.id }, newPublicKey: next.publicKey }),
          409,
          'key_change_stale',
        ],
        [
          'signed by the current key, for another new key',
          signKeyChange({ old: alice.identity, newPublicKey: generateIdentity(alice.id).publicKey }),
          400,
          'key_change_invalid',
        ],
        [
          "bob's current key naming alice's user id",
          signKeyChange({ old: { ...bob.identity, user: alice.id }, newPublicKey: next.publicKey }),
          409,
          'key_change_stale',
        ],
        [
          'made ten minutes ago',
          signKeyChange({ old: alice.identity, newPublicKey: next.publicKey }, { now: stale }),
          400,
          'key_change_invalid',
        ],
        ['not a statement', { hello: 'world' }, 400, 'validation_failed'],
      ];
      for (const [label, statement, status, code] of cases) {
        const reply = await putKeys(server(), alice, next, statement);
        assert.equal(reply.status, status, `${label}: ${reply.text}`);
        assert.equal(codeOf(reply), code, label);
      }
      // A signature over altered members: the old key signed another user id.
      const forged = {
        ...signKeyChange({ old: alice.identity, newPublicKey: next.publicKey }),
        user: bob.id,
      } satisfies KeyChange;
      const reply = await putKeys(server(), alice, next, forged);
      assert.equal(codeOf(reply), 'key_change_invalid');
      assert.deepEqual(await rowCounts(db().database), before);
      const me = await server().request<{ user: { keyId: string } }>('GET', '/api/v1/me', {
        token: alice.token,
      });
      assert.equal(me.body.user.keyId, keyId(alice.identity.publicKey));
    });

    it('a signed change: new key current, old tokens revoked, statement kept and served in the history', async () => {
      const alice = await registerUser(server(), { name: 'Alice' });
      const bob = await registerUser(server(), { name: 'Bob' });
      const oldToken = alice.token;
      const oldIdentity = alice.identity;
      const statement = signKeyChange({
        old: alice.identity,
        newPublicKey: generateIdentity(alice.id).publicKey,
      });
      const next = generateIdentity(alice.id);
      const valid = signKeyChange({ old: alice.identity, newPublicKey: next.publicKey });
      const changed = await putKeys(server(), alice, next, valid);
      assert.equal(changed.status, 200, changed.text);
      assert.equal(changed.body.user.keyId, keyId(next.publicKey));
      assert.ok(Date.parse(changed.body.expiresAt) > Date.now());

      // Every token from before is refused; the one in the answer works.
      assert.equal((await server().request('GET', '/api/v1/me', { token: oldToken })).status, 401);
      assert.equal((await server().request('GET', '/api/v1/me', { token: changed.body.token })).status, 200);
      alice.token = changed.body.token;
      alice.identity = next;

      // The same statement again (a replay), or one by the retired key: stale.
      const replay = await putKeys(server(), alice, next, valid);
      assert.equal(replay.status, 409);
      assert.equal(codeOf(replay), 'key_change_stale');
      const retired = await putKeys(server(), alice, generateIdentity(alice.id), statement);
      assert.equal(codeOf(retired), 'key_change_stale');

      // Bob sees the change, with a statement his phone can check, wherever he gets alice's key.
      const lookup = await server().request<LookupResponse>('POST', '/api/v1/recipients/lookup', {
        token: bob.token,
        body: { name: 'Alice', phone: alice.phone },
      });
      const userKey = await server().request<UserKeyResponse>('GET', `/api/v1/users/${alice.id}/key`, {
        token: bob.token,
      });
      for (const history of [lookup.body.keyHistory, userKey.body.keyHistory]) {
        assert.deepEqual(
          history.map((e) => [e.kind, e.keyId]),
          [
            ['register', keyId(oldIdentity.publicKey)],
            ['signed-change', keyId(next.publicKey)],
          ],
        );
        assert.deepEqual(history[1]!.statement, valid);
        assert.equal(chainHolds(alice.id, history), true);
      }
      assert.equal(lookup.body.keyId, keyId(next.publicKey));
    });

    it('the same key vouching for itself replaces the backup and the name; an old statement time is refused', async () => {
      const carol = await registerUser(server(), { name: 'Carol' });
      const first = signKeyChange({ old: carol.identity, newPublicKey: carol.identity.publicKey });
      const renamed = await server().request<KeysSetResponse>('PUT', '/api/v1/me/keys', {
        token: carol.token,
        body: {
          name: 'Carol Chen',
          publicKey: base64urlEncode(carol.identity.publicKey),
          backup: testBackup(carol.identity, 'a new master key'),
          statement: first,
        },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.body.user.name, 'Carol Chen');
      // Not a key change: the token stays valid and the history has no new event.
      assert.equal((await server().request('GET', '/api/v1/me', { token: carol.token })).status, 200);
      const keys = await server().request<MyKeysResponse>('GET', '/api/v1/me/keys', { token: carol.token });
      assert.deepEqual(
        keys.body.history.map((e) => e.kind),
        ['register'],
      );
      // The same statement again is not later than the last one.
      const again = await putKeys(server(), carol, carol.identity, first);
      assert.equal(again.status, 409);
      assert.equal(codeOf(again), 'key_change_stale');
    });

    it('GET /me/keys keeps every backup, so the old key still unlocks after a change', async () => {
      const dora = await registerUser(server(), { name: 'Dora' });
      const oldIdentity = dora.identity;
      await changeKeys(server(), dora, generateIdentity(dora.id));
      const keys = await server().request<MyKeysResponse>('GET', '/api/v1/me/keys', { token: dora.token });
      assert.equal(keys.status, 200);
      assert.deepEqual(
        keys.body.backups.map((b) => b.keyId),
        [keyId(dora.identity.publicKey), keyId(oldIdentity.publicKey)],
        'newest first',
      );
      const old = keys.body.backups[1]!;
      assert.equal(old.publicKey, base64urlEncode(oldIdentity.publicKey));
      assert.deepEqual(
        unlockKeyBackup(old.backup, oldIdentity.publicKey, 'correct horse battery staple'),
        oldIdentity.privateKey,
      );
      assert.equal(chainHolds(dora.id, keys.body.history), true);
    });

    it("a letter's sender comes with the key that signed it and the history past it", async () => {
      const erin = await registerUser(server(), { name: 'Erin' });
      const finn = await registerUser(server(), { name: 'Finn' });
      const envelope = sealFor(erin, [finn]);
      await sendLetter(server(), erin, envelope);
      const signing = erin.identity;
      await changeKeys(server(), erin, generateIdentity(erin.id));
      const got = await server().request<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${envelope.id}`, {
        token: finn.token,
      });
      assert.equal(got.status, 200);
      assert.equal(got.body.sender.keyId, keyId(signing.publicKey));
      assert.deepEqual(
        got.body.sender.keyHistory.map((e) => e.keyId),
        [keyId(signing.publicKey), keyId(erin.identity.publicKey)],
      );
    });

    it('reset: refused ten minutes after sign-in, allowed right after one, recorded unsigned', async () => {
      const openid = `reset-${Date.now()}`;
      const gus = await registerUser(server(), { name: 'Gus', openid });
      const lost = gus.identity;
      const next = generateIdentity(gus.id);
      const before = await rowCounts(db().database);

      const old = server().app.issueToken(gus.id, 0, new Date(Date.now() - 10 * 60_000)).token;
      const late = await reset(server(), old, gus, next);
      assert.equal(late.status, 403);
      assert.equal(codeOf(late), 'fresh_login_required');
      assert.deepEqual(await rowCounts(db().database), before);

      // Signing in again (the dev login stands in for wx.login) makes the session fresh.
      const login = await server().request<AuthResponse>('POST', '/api/v1/auth/dev', { body: { openid } });
      const same = await reset(server(), login.body.token, gus, lost);
      assert.equal(same.status, 409, 'a reset to the current key is no reset');
      const done = await reset(server(), login.body.token, gus, next);
      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.user.keyId, keyId(next.publicKey));
      for (const token of [gus.token, login.body.token]) {
        assert.equal((await server().request('GET', '/api/v1/me', { token })).status, 401);
      }
      // The new token keeps the sign-in time it came from: it does not make later resets fresh.
      const payload = JSON.parse(Buffer.from(done.body.token.split('.')[1]!, 'base64url').toString());
      const loginPayload = JSON.parse(Buffer.from(login.body.token.split('.')[1]!, 'base64url').toString());
      assert.equal(payload.lat, loginPayload.lat);

      const keys = await server().request<MyKeysResponse>('GET', '/api/v1/me/keys', {
        token: done.body.token,
      });
      assert.deepEqual(
        keys.body.history.map((e) => [e.kind, e.keyId, e.statement]),
        [
          ['register', keyId(lost.publicKey), null],
          ['reset', keyId(next.publicKey), null],
        ],
      );
    });

    it('two changes from the same key at once: one wins, the other is stale', async () => {
      const hana = await registerUser(server(), { name: 'Hana' });
      const a = generateIdentity(hana.id);
      const b = generateIdentity(hana.id);
      const replies = await Promise.all([
        putKeys(server(), hana, a, signKeyChange({ old: hana.identity, newPublicKey: a.publicKey })),
        putKeys(server(), hana, b, signKeyChange({ old: hana.identity, newPublicKey: b.publicKey })),
      ]);
      // The loser is refused as stale, or — when the winner committed before it was even
      // authenticated — because the winner's change revoked its token.
      const statuses = replies.map((r) => r.status).sort();
      assert.equal(statuses[0], 200);
      assert.ok(statuses[1] === 409 || statuses[1] === 401, String(statuses[1]));
      const winner = replies.find((r) => r.status === 200)!;
      const keys = await server().request<MyKeysResponse>('GET', '/api/v1/me/keys', {
        token: winner.body.token,
      });
      assert.equal(keys.body.history.length, 2);
      assert.equal(keys.body.history[1]!.keyId, winner.body.user.keyId);
    });
  });
});
