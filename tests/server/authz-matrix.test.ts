/**
 * Authorization matrix: every route × {anonymous, unregistered, stranger, recipient,
 * sender} and, for routes about one envelope, × {active, after revoke, after expiry}, with the
 * status each cell must answer (docs/api.md: 401 without a token, 403 `not_registered` where a
 * registered user is required, 404 — never 403 — for an envelope that is not yours, so its
 * existence does not leak, 410 for its sender and recipients once revoked or expired).
 * The whole grid is compared at once, so a failure shows every wrong cell. Key changes need a
 * statement by the current key (403 without), a reset needs a recent WeChat sign-in (403 after ten
 * minutes), log out revokes every token (401 after), and so does account deletion (only after a
 * fresh sign-in, like a reset). Over real HTTP, on PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { base64urlEncode } from '../../shared/encoding';
import { type Envelope, generateIdentity, sealKeyBackup, signKeyChange } from '../../shared/protocol';
import { forEachDatabase, useDatabase } from './databases';
import {
  registerUser,
  sealFor,
  type TestServer,
  type TestUser,
  testConfig,
  uniquePhone,
  useServer,
} from './helper';

const ROLES = ['anonymous', 'unregistered', 'stranger', 'recipient', 'sender'] as const;
type Role = (typeof ROLES)[number];
type State = 'active' | 'revoked' | 'expired';

/** Expected status per role, for one row of the matrix. */
type Row = Record<Role, number>;

const all = (status: number): Row => ({
  anonymous: status,
  unregistered: status,
  stranger: status,
  recipient: status,
  sender: status,
});

/** Routes that do not depend on an envelope's state. */
const GENERAL: Record<string, Row> = {
  'GET /api/v1/me': { ...all(200), anonymous: 401 },
  // Before the phone row: the unregistered user cannot set a key without a phone.
  'PUT /api/v1/me/keys (same key, unsigned)': {
    anonymous: 401,
    unregistered: 409,
    stranger: 403,
    recipient: 403,
    sender: 403,
  },
  'POST /api/v1/me/phone': { ...all(200), anonymous: 401 },
  'POST /api/v1/me/keys/reset (sign-in 10 minutes ago)': { ...all(403), anonymous: 401 },
  'DELETE /api/v1/me (sign-in 10 minutes ago)': { ...all(403), anonymous: 401 },
  'GET /api/v1/me/keys': { ...all(200), anonymous: 401 },
  'GET /api/v1/me/contacts': { ...all(200), anonymous: 401, unregistered: 403 },
  'PUT /api/v1/me/contacts (next counter)': { ...all(200), anonymous: 401, unregistered: 403 },
  'POST /api/v1/recipients/lookup': { ...all(200), anonymous: 401, unregistered: 403 },
  'GET /api/v1/users/:id/key': { ...all(200), anonymous: 401, unregistered: 403 },
  'GET /api/v1/envelopes?box=inbox': { ...all(200), anonymous: 401, unregistered: 403 },
  'GET /api/v1/envelopes?box=sent': { ...all(200), anonymous: 401, unregistered: 403 },
  'POST /api/v1/envelopes (own, new)': { ...all(201), anonymous: 401, unregistered: 403 },
  'GET /healthz': all(200),
  'GET /readyz': all(200),
  // The transparency log is public, like a Certificate Transparency log.
  'GET /api/v1/log/head': all(200),
  'GET /api/v1/log/key': all(200),
  'GET /api/v1/log/inclusion?index=0&size=1': all(200),
  'GET /api/v1/log/consistency?first=1&second=2': all(200),
  'GET /api/v1/log/users/:id': all(200),
  'GET /api/v1/log/leaves?start=0': all(200),
  'GET /api/v1/me/notifications': { ...all(200), anonymous: 401, unregistered: 403 },
  'POST /api/v1/me/notifications': { ...all(200), anonymous: 401, unregistered: 403 },
  'GET /api/v1/pending': { ...all(200), anonymous: 401, unregistered: 403 },
  // Entries are the sender's alone: anyone else gets 404, as for a letter not theirs.
  "POST /api/v1/pending/:id/deliver (the sender's ready entry)": {
    anonymous: 401,
    unregistered: 403,
    stranger: 404,
    recipient: 404,
    sender: 201,
  },
  "DELETE /api/v1/pending/:id (the sender's entry)": {
    anonymous: 401,
    unregistered: 403,
    stranger: 404,
    recipient: 404,
    sender: 204,
  },
  // Last: for the unregistered user (phone set above) this completes the registration.
  'PUT /api/v1/me/keys (same key, signed once registered)': { ...all(200), anonymous: 401 },
};

/** Account deletion after a fresh sign-in, then the tokens from before. */
const DELETION: Record<string, Row> = {
  'DELETE /api/v1/me (fresh sign-in)': { ...all(204), anonymous: 401 },
  'GET /api/v1/me (token from before deletion)': all(401),
};

/** Every role's session ends: the old tokens are refused afterwards. */
const LOGOUT: Record<string, Row> = {
  'POST /api/v1/auth/logout': { ...all(204), anonymous: 401 },
  'GET /api/v1/me (token from before log out)': all(401),
};

/** A cell of the sender-block row: 200, but the answer names no sender. */
const NO_SENDER_BLOCK = 0;

/** Routes about one envelope, per state. */
const PER_ENVELOPE: Record<string, Record<State, Row>> = {
  'GET /api/v1/envelopes/:id': {
    active: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 200, sender: 200 },
    revoked: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 410, sender: 410 },
    expired: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 410, sender: 410 },
  },
  'POST /api/v1/envelopes/:id/opened': {
    active: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 204, sender: 404 },
    revoked: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 410, sender: 404 },
    expired: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 410, sender: 404 },
  },
  'GET /api/v1/envelopes/:id/status': {
    active: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 200, sender: 200 },
    revoked: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 200, sender: 200 },
    expired: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 200, sender: 200 },
  },
  // The sender block (key, history, log proof) to check before a counted fetch: only while active.
  [`GET /api/v1/envelopes/:id/status (sender block; ${NO_SENDER_BLOCK} = 200 without)`]: {
    active: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 200, sender: 200 },
    revoked: {
      anonymous: 401,
      unregistered: 404,
      stranger: 404,
      recipient: NO_SENDER_BLOCK,
      sender: NO_SENDER_BLOCK,
    },
    expired: {
      anonymous: 401,
      unregistered: 404,
      stranger: 404,
      recipient: NO_SENDER_BLOCK,
      sender: NO_SENDER_BLOCK,
    },
  },
  // The recipient's removal leaves nobody else to read it (burned), so the sender may remove it too.
  'POST /api/v1/envelopes/:id/remove': {
    active: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 204, sender: 204 },
    revoked: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 204, sender: 204 },
    expired: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 204, sender: 204 },
  },
  'DELETE /api/v1/envelopes/:id': {
    active: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 404, sender: 204 },
    revoked: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 404, sender: 204 },
    expired: { anonymous: 401, unregistered: 404, stranger: 404, recipient: 404, sender: 204 },
  },
  'POST /api/v1/envelopes (same id again)': {
    active: { anonymous: 401, unregistered: 403, stranger: 403, recipient: 403, sender: 409 },
    revoked: { anonymous: 401, unregistered: 403, stranger: 403, recipient: 403, sender: 409 },
    expired: { anonymous: 401, unregistered: 403, stranger: 403, recipient: 403, sender: 409 },
  },
  'GET /s/:id (landing page)': { active: all(200), revoked: all(200), expired: all(200) },
};

forEachDatabase((target) => {
  describe('authorization matrix', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({
      database: db().database,
      config: testConfig({ RATE_LIMIT_PER_MINUTE: '100000', LOOKUP_RATE_LIMIT_PER_MINUTE: '1000' }),
    }));
    const users = {} as Record<Exclude<Role, 'anonymous'>, TestUser>;
    let unregisteredToken: string;

    before(async () => {
      users.sender = await registerUser(server(), { name: 'Sender' });
      users.recipient = await registerUser(server(), { name: 'Recipient' });
      users.stranger = await registerUser(server(), { name: 'Stranger' });
      const login = await server().request<{ token: string; user: { id: string } }>(
        'POST',
        '/api/v1/auth/dev',
        {
          body: { openid: `authz-unregistered-${Date.now()}` },
        },
      );
      unregisteredToken = login.body.token;
      // An unregistered user has no key on the server; this identity exists only on its device.
      users.unregistered = {
        id: login.body.user.id,
        token: unregisteredToken,
        name: 'Unregistered',
        phone: uniquePhone(),
        identity: generateIdentity(login.body.user.id),
      };
    });

    const tokenOf = (role: Role) => (role === 'anonymous' ? undefined : users[role].token);

    /** A new envelope from the sender to the recipient, put in `state`. */
    async function envelopeIn(state: State): Promise<Envelope> {
      const envelope = sealFor(users.sender, [users.recipient]);
      const created = await server().request('POST', '/api/v1/envelopes', {
        token: users.sender.token,
        body: { envelope },
      });
      assert.equal(created.status, 201, created.text);
      if (state === 'revoked') {
        const revoked = await server().request('DELETE', `/api/v1/envelopes/${envelope.id}`, {
          token: users.sender.token,
        });
        assert.equal(revoked.status, 204);
      } else if (state === 'expired') {
        // As if its expiry had passed (the upload itself must carry a future expiry).
        await db().prisma.envelope.update({
          where: { id: envelope.id },
          data: { expiresAt: new Date(Date.now() - 1000) },
        });
      }
      return envelope;
    }

    /** A new letter from the sender to the recipient and, pending, to a newcomer who then registers. */
    async function readyEntry(s: TestServer) {
      const expiresAt = new Date(Date.now() + 86_400_000);
      const phone = uniquePhone();
      const envelope = sealFor(users.sender, [users.recipient], { expiresAt });
      const created = await s.request<{ pending: string[] }>('POST', '/api/v1/envelopes', {
        token: users.sender.token,
        body: { envelope, pending: [{ name: 'Newcomer', phone }] },
      });
      assert.equal(created.status, 201, created.text);
      const newcomer = await registerUser(s, { name: 'Newcomer', phone });
      return { id: created.body.pending[0]!, expiresAt, newcomer };
    }

    async function general(route: string, role: Role, s: TestServer): Promise<number> {
      const token = tokenOf(role);
      const self = role === 'anonymous' ? users.stranger : users[role];
      switch (route) {
        case 'GET /api/v1/me':
          return (await s.request('GET', '/api/v1/me', { token })).status;
        case 'POST /api/v1/me/phone':
          return (await s.request('POST', '/api/v1/me/phone', { token, body: { phone: self.phone } })).status;
        case 'PUT /api/v1/me/keys (same key, unsigned)':
        case 'PUT /api/v1/me/keys (same key, signed once registered)': {
          const backup = sealKeyBackup(self.identity, 'master', { iterations: 10_000 });
          const signed = route.includes('signed once') && self !== users.unregistered;
          const statement = signed
            ? { statement: signKeyChange({ old: self.identity, newPublicKey: self.identity.publicKey }) }
            : {};
          return (
            await s.request('PUT', '/api/v1/me/keys', {
              token,
              body: {
                name: self.name,
                publicKey: base64urlEncode(self.identity.publicKey),
                backup,
                ...statement,
              },
            })
          ).status;
        }
        case 'POST /api/v1/me/keys/reset (sign-in 10 minutes ago)': {
          const stale =
            role === 'anonymous'
              ? undefined
              : s.app.issueToken(self.id, 0, new Date(Date.now() - 600_000)).token;
          const next = generateIdentity(self.id);
          const backup = sealKeyBackup(next, 'master', { iterations: 10_000 });
          return (
            await s.request('POST', '/api/v1/me/keys/reset', {
              token: stale,
              body: { name: self.name, publicKey: base64urlEncode(next.publicKey), backup },
            })
          ).status;
        }
        case 'DELETE /api/v1/me (sign-in 10 minutes ago)': {
          const stale =
            role === 'anonymous'
              ? undefined
              : s.app.issueToken(self.id, 0, new Date(Date.now() - 600_000)).token;
          return (await s.request('DELETE', '/api/v1/me', { token: stale })).status;
        }
        case 'GET /api/v1/me/keys':
          return (await s.request('GET', '/api/v1/me/keys', { token })).status;
        case 'GET /api/v1/me/contacts':
          return (await s.request('GET', '/api/v1/me/contacts', { token })).status;
        case 'PUT /api/v1/me/contacts (next counter)': {
          const stored = await s.request<{ counter?: number }>('GET', '/api/v1/me/contacts', { token });
          const counter = (stored.body.counter ?? 0) + 1;
          const blob = base64urlEncode(new Uint8Array(64).fill(counter));
          return (await s.request('PUT', '/api/v1/me/contacts', { token, body: { blob, counter } })).status;
        }
        case 'POST /api/v1/recipients/lookup':
          return (
            await s.request('POST', '/api/v1/recipients/lookup', {
              token,
              body: { name: users.recipient.name, phone: users.recipient.phone },
            })
          ).status;
        case 'GET /api/v1/users/:id/key':
          return (await s.request('GET', `/api/v1/users/${users.recipient.id}/key`, { token })).status;
        case 'GET /api/v1/envelopes?box=inbox':
          return (await s.request('GET', '/api/v1/envelopes?box=inbox', { token })).status;
        case 'GET /api/v1/envelopes?box=sent':
          return (await s.request('GET', '/api/v1/envelopes?box=sent', { token })).status;
        case 'POST /api/v1/envelopes (own, new)': {
          const other = self === users.recipient ? users.sender : users.recipient;
          const envelope = sealFor(self, [other]);
          return (await s.request('POST', '/api/v1/envelopes', { token, body: { envelope } })).status;
        }
        case 'GET /api/v1/me/notifications':
        case 'GET /api/v1/pending':
          return (await s.request('GET', route.slice('GET '.length), { token })).status;
        case 'POST /api/v1/me/notifications':
          return (await s.request('POST', '/api/v1/me/notifications', { token, body: { accepted: [] } }))
            .status;
        case "POST /api/v1/pending/:id/deliver (the sender's ready entry)": {
          const entry = await readyEntry(s);
          const envelope = sealFor(self, [entry.newcomer], { expiresAt: entry.expiresAt });
          return (
            await s.request('POST', `/api/v1/pending/${entry.id}/deliver`, { token, body: { envelope } })
          ).status;
        }
        case "DELETE /api/v1/pending/:id (the sender's entry)": {
          const entry = await readyEntry(s);
          return (await s.request('DELETE', `/api/v1/pending/${entry.id}`, { token })).status;
        }
        case 'GET /healthz':
          return (await s.request('GET', '/healthz', { token })).status;
        case 'GET /readyz':
          return (await s.request('GET', '/readyz', { token })).status;
      }
      if (route.startsWith('GET /api/v1/log/')) {
        const path = route.slice('GET '.length).replace(':id', users.recipient.id);
        return (await s.request('GET', path, { token })).status;
      }
      throw new Error(`no such route ${route}`);
    }

    it('routes independent of an envelope', async () => {
      const actual: Record<string, Row> = {};
      for (const route of Object.keys(GENERAL)) {
        const row = {} as Row;
        for (const role of ROLES) row[role] = await general(route, role, server());
        actual[route] = row;
      }
      print('general', actual);
      assert.deepEqual(actual, GENERAL);
    });

    it('routes about one envelope, active / after revoke / after expiry', async () => {
      const actual: Record<string, Record<State, Row>> = {};
      for (const route of Object.keys(PER_ENVELOPE)) {
        actual[route] = {} as Record<State, Row>;
        for (const state of ['active', 'revoked', 'expired'] as const) {
          const envelope = await envelopeIn(state);
          const row = {} as Row;
          // The sender last: its DELETE changes the state the other cells are about.
          for (const role of ROLES) {
            const token = tokenOf(role);
            const s = server();
            if (route.startsWith('GET /api/v1/envelopes/:id/status (sender block')) {
              const reply = await s.request<{ sender?: { user: string } }>(
                'GET',
                `/api/v1/envelopes/${envelope.id}/status`,
                { token },
              );
              const named = reply.status === 200 && reply.body.sender?.user === users.sender.id;
              row[role] = reply.status === 200 && !named ? NO_SENDER_BLOCK : reply.status;
            } else if (route.startsWith('GET /api/v1/envelopes/:id/status'))
              row[role] = (
                await s.request('GET', `/api/v1/envelopes/${envelope.id}/status`, { token })
              ).status;
            else if (route.startsWith('POST /api/v1/envelopes/:id/remove'))
              row[role] = (
                await s.request('POST', `/api/v1/envelopes/${envelope.id}/remove`, { token })
              ).status;
            else if (route.startsWith('GET /api/v1/envelopes/'))
              row[role] = (await s.request('GET', `/api/v1/envelopes/${envelope.id}`, { token })).status;
            else if (route.startsWith('POST /api/v1/envelopes/:id/opened'))
              row[role] = (
                await s.request('POST', `/api/v1/envelopes/${envelope.id}/opened`, { token })
              ).status;
            else if (route.startsWith('DELETE'))
              row[role] = (await s.request('DELETE', `/api/v1/envelopes/${envelope.id}`, { token })).status;
            else if (route.startsWith('POST'))
              row[role] = (
                await s.request('POST', '/api/v1/envelopes', { token, body: { envelope } })
              ).status;
            else row[role] = (await s.request('GET', `/s/${envelope.id}`, { token })).status;
          }
          actual[route][state] = row;
        }
      }
      const flat: Record<string, Row> = {};
      for (const [route, states] of Object.entries(actual))
        for (const [state, row] of Object.entries(states)) flat[`${route} [${state}]`] = row;
      print('per envelope', flat);
      assert.deepEqual(actual, PER_ENVELOPE);
    });

    // Last: it ends every session.
    it('log out, and the tokens from before', async () => {
      const actual: Record<string, Row> = { 'POST /api/v1/auth/logout': {} as Row };
      for (const role of ROLES) {
        const reply = await server().request('POST', '/api/v1/auth/logout', { token: tokenOf(role) });
        actual['POST /api/v1/auth/logout']![role] = reply.status;
      }
      const after = {} as Row;
      for (const role of ROLES) {
        // The anonymous column holds a token that was never valid: a forged one.
        const token = tokenOf(role) ?? `${users.sender.token.slice(0, -4)}AAAA`;
        after[role] = (await server().request('GET', '/api/v1/me', { token })).status;
      }
      actual['GET /api/v1/me (token from before log out)'] = after;
      print('log out', actual);
      assert.deepEqual(actual, LOGOUT);
    });

    // After log out: each role signs in afresh (a token issued now, under the current version).
    it('account deletion after a fresh sign-in, and the tokens from before', async () => {
      const fresh = {} as Record<Role, string | undefined>;
      for (const role of ROLES) {
        if (role === 'anonymous') continue;
        const { tokenVersion } = await db().prisma.user.findUniqueOrThrow({ where: { id: users[role].id } });
        fresh[role] = server().app.issueToken(users[role].id, tokenVersion).token;
      }
      const actual: Record<string, Row> = {};
      const deleted = {} as Row;
      for (const role of ROLES) {
        deleted[role] = (await server().request('DELETE', '/api/v1/me', { token: fresh[role] })).status;
      }
      actual['DELETE /api/v1/me (fresh sign-in)'] = deleted;
      const after = {} as Row;
      for (const role of ROLES) {
        const token = fresh[role] ?? `${users.sender.token.slice(0, -4)}AAAA`;
        after[role] = (await server().request('GET', '/api/v1/me', { token })).status;
      }
      actual['GET /api/v1/me (token from before deletion)'] = after;
      print('account deletion', actual);
      assert.deepEqual(actual, DELETION);
    });
  });
});

function print(title: string, rows: Record<string, Row>): void {
  const width = Math.max(...Object.keys(rows).map((r) => r.length));
  const lines = [
    `# authz matrix (${title}): ${''.padEnd(width - 20)}${ROLES.map((r) => r.padStart(13)).join('')}`,
  ];
  for (const [route, row] of Object.entries(rows))
    lines.push(`#   ${route.padEnd(width)}${ROLES.map((r) => String(row[r]).padStart(13)).join('')}`);
  console.log(lines.join('\n'));
}
