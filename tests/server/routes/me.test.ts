/** `POST /auth/dev`, `GET /me`, `POST /me/phone`, `PUT /me/keys`: registration and its rules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthResponse, MeResponse } from '../../../shared/api';
import { base64urlEncode } from '../../../shared/encoding';
import { generateIdentity, sealKeyBackup } from '../../../shared/protocol';
import { forEachDatabase, useDatabase } from '../databases';
import { registerUser, testConfig, useServer } from '../helper';

forEachDatabase((target) => {
  describe('auth and me', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database }));

    it('dev login creates the user once; the same openid signs in to the same user', async () => {
      const a = await server().request<AuthResponse>('POST', '/api/v1/auth/dev', {
        body: { openid: 'same' },
      });
      const b = await server().request<AuthResponse>('POST', '/api/v1/auth/dev', {
        body: { openid: 'same' },
      });
      assert.equal(a.status, 200);
      assert.equal(a.body.user.id, b.body.user.id);
      assert.deepEqual(a.body.user, {
        id: a.body.user.id,
        name: null,
        phoneMasked: null,
        keyId: null,
        registered: false,
      });
    });

    it('stores the phone only as a hash and a masked form', async () => {
      const user = await registerUser(server(), { phone: '+86 138 1234 5678' });
      const row = await db().prisma.user.findUniqueOrThrow({ where: { id: user.id } });
      assert.equal(row.phoneMasked, '*******5678');
      assert.equal(row.phoneHash?.length, 32);
      const dump = JSON.stringify(await db().prisma.user.findMany());
      assert.equal(dump.includes('12345678'), false);
    });

    it('refuses a phone another account holds (409 phone_taken) and keys before a phone (409 phone_required)', async () => {
      const owner = await registerUser(server());
      const other = await server().request<AuthResponse>('POST', '/api/v1/auth/dev', {
        body: { openid: 'other' },
      });
      const taken = await server().request('POST', '/api/v1/me/phone', {
        token: other.body.token,
        body: { phone: owner.phone },
      });
      assert.equal(taken.status, 409);
      assert.equal((taken.body as { error: { code: string } }).error.code, 'phone_taken');
      const identity = generateIdentity(other.body.user.id);
      const early = await server().request('PUT', '/api/v1/me/keys', {
        token: other.body.token,
        body: {
          name: 'Early',
          publicKey: base64urlEncode(identity.publicKey),
          backup: sealKeyBackup(identity, 'pw', { iterations: 10_000 }),
        },
      });
      assert.equal(early.status, 409);
      assert.equal((early.body as { error: { code: string } }).error.code, 'phone_required');
    });

    it('rejects a public key that is not a curve point (400 invalid_public_key)', async () => {
      const user = await registerUser(server());
      const identity = generateIdentity(user.id);
      const bad = new Uint8Array(identity.publicKey);
      bad[64] = bad[64]! ^ 1;
      const reply = await server().request('PUT', '/api/v1/me/keys', {
        token: user.token,
        body: {
          name: 'X',
          publicKey: base64urlEncode(bad),
          backup: sealKeyBackup(identity, 'pw', { iterations: 10_000 }),
        },
      });
      assert.equal(reply.status, 400);
      assert.equal((reply.body as { error: { code: string } }).error.code, 'invalid_public_key');
    });

    it('names are NFC-normalised; control and invisible format characters are refused naming the field', async () => {
      const login = await server().request<AuthResponse>('POST', '/api/v1/auth/dev', {
        body: { openid: 'names' },
      });
      const token = login.body.token;
      await server().request('POST', '/api/v1/me/phone', { token, body: { phone: '13900001111' } });
      const identity = generateIdentity(login.body.user.id);
      const keys = (name: string) =>
        server().request<MeResponse>('PUT', '/api/v1/me/keys', {
          token,
          body: {
            name,
            publicKey: base64urlEncode(identity.publicKey),
            backup: sealKeyBackup(identity, 'pw', { iterations: 10_000 }),
          },
        });
      for (const name of [
        'Ali\u202Ece',
        'Bo\u200Bb',
        '\u2066Eve',
        'Tab\there',
        'Soft\u00ADhyphen',
        'Bell\u0007',
      ]) {
        const refused = await keys(name);
        assert.equal(refused.status, 400, JSON.stringify(name));
        const error = (refused.body as unknown as { error: { code: string; message: string } }).error;
        assert.equal(error.code, 'validation_failed');
        assert.match(
          error.message,
          /^body\/name: name must not contain control or invisible format characters/,
        );
      }
      const me = await server().request<MeResponse>('GET', '/api/v1/me', { token });
      assert.equal(me.body.user.registered, false, 'nothing was stored');
      // "José" typed with a combining accent is stored precomposed.
      const stored = await keys('  Jose\u0301  ');
      assert.equal(stored.status, 200, stored.text);
      assert.equal(stored.body.user.name, 'Jos\u00e9');
      const lookup = await server().request('POST', '/api/v1/recipients/lookup', {
        token,
        body: { name: 'Jos\u00e9\u202E', phone: '13900001111' },
      });
      assert.equal(lookup.status, 400, 'the lookup uses the same rule');
    });

    it('GET /me returns the profile, key and backup', async () => {
      const user = await registerUser(server(), { name: 'Carol' });
      const me = await server().request<MeResponse>('GET', '/api/v1/me', { token: user.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.user.registered, true);
      assert.equal(me.body.user.name, 'Carol');
      assert.equal(me.body.publicKey, base64urlEncode(user.identity.publicKey));
      assert.equal(me.body.backup?.kdf, 'pbkdf2-hmac-sm3');
    });
  });

  describe('dev login off', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database, config: testConfig({ DEV_LOGIN: 'off' }) }));

    it('answers /auth/dev with 404 and refuses typed phones', async () => {
      const reply = await server().request('POST', '/api/v1/auth/dev', { body: { openid: 'x' } });
      assert.equal(reply.status, 404);
      assert.deepEqual(reply.body, { error: { code: 'not_found', message: 'Not found' } });
      const wechat = await server().request('POST', '/api/v1/auth/wechat', { body: { code: 'c' } });
      assert.equal(wechat.status, 503, 'no WeChat configured: wechat_unavailable');
    });
  });
});
