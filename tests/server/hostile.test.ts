/**
 * Hostile input: each attack is answered with the right status and code, and the
 * database is unchanged (row counts before and after). Over real HTTP, on PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { base64urlDecode } from '../../shared/encoding';
import { type Envelope, generateIdentity, sealEnvelope } from '../../shared/protocol';
import { forEachDatabase, useDatabase } from './databases';
import {
  registerUser,
  rowCounts,
  sealFor,
  TEST_JWT_SECRET,
  type TestServer,
  type TestUser,
  testConfig,
  useServer,
} from './helper';

/** A JWT signed by hand, so tests can set any header, payload and key. */
function jwt(header: object, payload: object, secret: string | null, alg = 'sha256'): string {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = secret === null ? '' : createHmac(alg, secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

/** Flips one base64url character of `text` at `index` to another valid one. */
function flip(text: string, index: number): string {
  const c = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + c + text.slice(index + 1);
}

forEachDatabase((target) => {
  describe('hostile input', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({
      database: db().database,
      config: testConfig({ LOOKUP_RATE_LIMIT_PER_MINUTE: '5', BODY_LIMIT: '65536' }),
    }));
    let alice: TestUser;
    let bob: TestUser;
    let existing: Envelope;

    before(async () => {
      alice = await registerUser(server(), { name: 'Alice' });
      bob = await registerUser(server(), { name: 'Bob' });
      existing = sealFor(alice, [bob]);
      const created = await server().request('POST', '/api/v1/envelopes', {
        token: alice.token,
        body: { envelope: existing },
      });
      assert.equal(created.status, 201, created.text);
    });

    /** Sends the request and checks status, code and that no table changed. */
    async function refused(
      s: TestServer,
      request: () => Promise<{ status: number; body: unknown }>,
      status: number,
      code: string,
    ): Promise<string> {
      const before = await rowCounts(db().database);
      const reply = await request();
      const body = reply.body as { error?: { code?: string; message?: string } };
      assert.equal(reply.status, status, JSON.stringify(reply.body));
      assert.equal(body.error?.code, code, JSON.stringify(reply.body));
      assert.doesNotMatch(JSON.stringify(body), /at .*\.(ts|js):\d+/, 'no stack trace');
      assert.deepEqual(await rowCounts(db().database), before, 'database unchanged');
      void s;
      return body.error?.message ?? '';
    }

    const post = (token: string, envelope: unknown) => () =>
      server().request('POST', '/api/v1/envelopes', { token, body: { envelope } });

    it('tampered envelope → 400 bad_signature', async () => {
      const e = sealFor(alice, [bob]);
      await refused(server(), post(alice.token, { ...e, ct: flip(e.ct, 10) }), 400, 'bad_signature');
      await refused(server(), post(alice.token, { ...e, expiresAt: null }), 400, 'bad_signature');
    });

    it('forged signature (another key) → 400 bad_signature', async () => {
      const mallory = generateIdentity(alice.id);
      const forged = sealEnvelope({
        sender: mallory,
        recipients: [{ user: bob.id, publicKey: bob.identity.publicKey }],
        content: 'x',
        expiresAt: null,
      });
      // Same header as a real one by Alice: her key id, her signature replaced by Mallory's.
      const real = sealFor(alice, [bob]);
      await refused(server(), post(alice.token, { ...real, sig: forged.sig }), 400, 'bad_signature');
    });

    it('wrong sender key → 400 sender_key_mismatch', async () => {
      const other = { ...alice, identity: generateIdentity(alice.id) };
      await refused(server(), post(alice.token, sealFor(other, [bob])), 400, 'sender_key_mismatch');
    });

    it('envelope naming another sender → 403 sender_mismatch', async () => {
      await refused(server(), post(alice.token, sealFor(bob, [alice])), 403, 'sender_mismatch');
    });

    it('unknown recipient, or a key that is not theirs → 400 recipient_key_mismatch', async () => {
      const ghost = generateIdentity('ghost-user-id');
      await refused(
        server(),
        post(alice.token, sealFor(alice, [{ user: ghost.user, publicKey: ghost.publicKey }])),
        400,
        'recipient_key_mismatch',
      );
      const stale = generateIdentity(bob.id);
      await refused(
        server(),
        post(alice.token, sealFor(alice, [{ user: bob.id, publicKey: stale.publicKey }])),
        400,
        'recipient_key_mismatch',
      );
    });

    it('reused id → 409 conflict', async () => {
      const again = sealEnvelope(
        {
          sender: alice.identity,
          recipients: [{ user: bob.id, publicKey: bob.identity.publicKey }],
          content: 'other',
          expiresAt: null,
        },
        { id: base64urlDecode(existing.id) },
      );
      await refused(server(), post(alice.token, again), 409, 'conflict');
    });

    it('createdAt far from the server clock → 400 clock_skew; expiry too far → 400 invalid_expiry', async () => {
      const old = new Date(Date.now() - 10 * 60_000);
      await refused(server(), post(alice.token, sealFor(alice, [bob], { now: old })), 400, 'clock_skew');
      const far = new Date(Date.now() + 400 * 86_400_000);
      await refused(
        server(),
        post(alice.token, sealFor(alice, [bob], { expiresAt: far })),
        400,
        'invalid_expiry',
      );
    });

    it('schema violations → 400 validation_failed naming the field', async () => {
      const e = sealFor(alice, [bob]);
      const badWrap = {
        ...e,
        recipients: e.recipients.map((r, i) => (i === 0 ? { ...r, wrap: 'AAAA' } : r)),
      };
      const message = await refused(server(), post(alice.token, badWrap), 400, 'validation_failed');
      assert.match(message, /^body\/envelope\/recipients\/0\/wrap: /);
      const extra = await refused(server(), post(alice.token, { ...e, extra: 1 }), 400, 'validation_failed');
      assert.match(extra, /^body\/envelope/);
      const missing = await refused(
        server(),
        () =>
          server().request('POST', '/api/v1/recipients/lookup', {
            token: alice.token,
            body: { name: 'Bob' },
          }),
        400,
        'validation_failed',
      );
      assert.match(missing, /^body\/phone: /);
    });

    it('oversize body → 413, malformed JSON → 400, wrong content type → 415', async () => {
      const huge = JSON.stringify({ envelope: { ct: 'A'.repeat(70_000) } });
      await refused(
        server(),
        () =>
          server().request('POST', '/api/v1/envelopes', {
            token: alice.token,
            raw: huge,
            headers: { 'content-type': 'application/json' },
          }),
        413,
        'payload_too_large',
      );
      await refused(
        server(),
        () =>
          server().request('POST', '/api/v1/envelopes', {
            token: alice.token,
            raw: '{"envelope": {',
            headers: { 'content-type': 'application/json' },
          }),
        400,
        'malformed_json',
      );
      await refused(
        server(),
        () =>
          server().request('POST', '/api/v1/envelopes', {
            token: alice.token,
            raw: 'envelope=1',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
        415,
        'unsupported_media_type',
      );
    });

    it('missing, expired, forged, alg:none and non-HS256 JWTs → 401 unauthorized', async () => {
      const now = Math.floor(Date.now() / 1000);
      const tokens: (string | undefined)[] = [
        undefined,
        'not-a-jwt',
        jwt(
          { alg: 'HS256', typ: 'JWT' },
          { sub: alice.id, ver: 0, lat: now - 7200, iat: now - 7200, exp: now - 3600 },
          TEST_JWT_SECRET,
        ),
        jwt(
          { alg: 'HS256', typ: 'JWT' },
          { sub: alice.id, ver: 0, lat: now, iat: now },
          'some-other-secret-of-sufficient-length-000000',
        ),
        jwt({ alg: 'none', typ: 'JWT' }, { sub: alice.id, ver: 0, lat: now, iat: now }, null),
        jwt(
          { alg: 'HS512', typ: 'JWT' },
          { sub: alice.id, ver: 0, lat: now, iat: now },
          TEST_JWT_SECRET,
          'sha512',
        ),
      ];
      for (const token of tokens) {
        await refused(
          server(),
          () =>
            server().request('POST', '/api/v1/envelopes', {
              body: { envelope: sealFor(alice, [bob]) },
              ...(token === undefined ? {} : { token }),
            }),
          401,
          'unauthorized',
        );
        await refused(
          server(),
          () => server().request('GET', '/api/v1/me', token ? { token } : {}),
          401,
          'unauthorized',
        );
      }
      // The same forged payload signed with the right secret and HS256 is accepted: the checks above are the cause.
      const good = jwt(
        { alg: 'HS256', typ: 'JWT' },
        { sub: alice.id, ver: 0, lat: now, iat: now },
        TEST_JWT_SECRET,
      );
      assert.equal((await server().request('GET', '/api/v1/me', { token: good })).status, 200);
    });

    it('unregistered users cannot upload → 403 not_registered', async () => {
      const login = await server().request<{ token: string }>('POST', '/api/v1/auth/dev', {
        body: { openid: 'half-done' },
      });
      const before = await rowCounts(db().database);
      const e = sealFor(alice, [bob]);
      const reply = await server().request('POST', '/api/v1/envelopes', {
        token: login.body.token,
        body: { envelope: e },
      });
      assert.equal(reply.status, 403);
      await refused(
        server(),
        () =>
          server().request('POST', '/api/v1/recipients/lookup', {
            token: login.body.token,
            body: { name: 'Bob', phone: bob.phone },
          }),
        403,
        'not_registered',
      );
      assert.deepEqual(await rowCounts(db().database), before);
    });

    it('lookup enumeration hits the rate limit → 429 rate_limited', async () => {
      const mallory = await registerUser(server(), { name: 'Mallory' });
      let limited: { status: number; body: unknown; headers: Headers } | undefined;
      for (let i = 0; i < 8 && !limited; i++) {
        const reply = await server().request('POST', '/api/v1/recipients/lookup', {
          token: mallory.token,
          body: { name: 'Someone', phone: `1370000${String(i).padStart(4, '0')}` },
        });
        if (reply.status === 429) limited = reply;
        else assert.equal(reply.status, 404);
      }
      assert.ok(limited, 'rate limited within 8 lookups (limit 5)');
      assert.equal((limited.body as { error: { code: string } }).error.code, 'rate_limited');
      assert.ok(limited.headers.get('retry-after'));
      // Another user's allowance is their own.
      const ok = await server().request('POST', '/api/v1/recipients/lookup', {
        token: alice.token,
        body: { name: 'Bob', phone: bob.phone },
      });
      assert.equal(ok.status, 200);
    });
  });
});
