/**
 * Property-based fuzzing of every route with fast-check, through `inject()` on the
 * real app over a real (PGlite) database. For each route, random bodies (mutations of a valid
 * body, arbitrary JSON, broken JSON, oversize), query strings, path parameters and headers
 * (tokens valid, forged, expired, `alg: none`, garbage; content types; extra headers). Properties:
 *
 * - never a 5xx;
 * - never a stack trace, file path or module name in the answer;
 * - an error answer is JSON `{"error": {"code", "message"}}` (the landing page excepted: HTML);
 * - a rejected request (4xx) changes nothing in the database (no row of any table written).
 *
 * MIFENG_FUZZ_RUNS sets the cases per route (default 2000; CI runs the default); MIFENG_FUZZ_SEED
 * replays a reported failure.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { base64urlEncode } from '../../shared/encoding';
import { type Envelope, generateIdentity, sealKeyBackup } from '../../shared/protocol';
import { type FreshDatabase, freshDatabase } from './databases';
import { type FakeWeChat, startFakeWeChat } from './fake-wechat';
import {
  registerUser,
  sealFor,
  startServer,
  TEST_JWT_SECRET,
  type TestServer,
  type TestUser,
  testConfig,
} from './helper';

const RUNS = Number(process.env.MIFENG_FUZZ_RUNS || 2000);
/** Replays a failure: the seed fast-check printed. */
const SEED = process.env.MIFENG_FUZZ_SEED ? Number(process.env.MIFENG_FUZZ_SEED) : undefined;

/** A JWT signed by hand with any header, payload and secret (null: no signature). */
function jwt(header: object, payload: object, secret: string | null): string {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = secret === null ? '' : createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

/**
 * Every row written (inserted, updated or deleted) in any table is counted by a row-level trigger:
 * an unchanged count means the request wrote nothing. Reading one counter is far cheaper per case
 * than hashing every table, and stricter (an UPDATE to the same values counts too).
 */
const TABLES = [
  'users',
  'user_keys',
  'key_events',
  'key_backups',
  'contact_books',
  'envelopes',
  'envelope_recipients',
];
const WRITE_COUNTER_SQL = [
  'CREATE TABLE fuzz_writes (n bigint NOT NULL)',
  'INSERT INTO fuzz_writes VALUES (0)',
  `CREATE FUNCTION fuzz_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN UPDATE fuzz_writes SET n = n + 1; RETURN NULL; END $$`,
  ...TABLES.map(
    (t) =>
      `CREATE TRIGGER fuzz_count_write AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION fuzz_count_write()`,
  ),
];

const STACK = /\bat .+\.(?:ts|js|mjs|cjs):\d+|node_modules|\/work\/|[A-Za-z]+Error: /;

/** All JSON paths of `value` (objects and arrays), the root included. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]));
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

type Mutation = {
  pick: number;
  op: 'replace' | 'delete' | 'add' | 'flip' | 'type';
  value: unknown;
  key: string;
};

/** Applies one mutation to a deep copy of `base`. */
function mutate(base: unknown, m: Mutation): unknown {
  const copy = structuredClone(base);
  const all = paths(copy);
  const path = all[m.pick % all.length]!;
  if (path.length === 0) return m.op === 'replace' ? m.value : copy;
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], copy) as Record<
    string | number,
    unknown
  >;
  const key = path[path.length - 1]!;
  const current = parent[key];
  switch (m.op) {
    case 'replace':
      parent[key] = m.value;
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'add':
      if (current && typeof current === 'object' && !Array.isArray(current))
        (current as Record<string, unknown>)[m.key] = m.value;
      else if (Array.isArray(current)) current.push(m.value);
      else parent[m.key] = m.value;
      break;
    case 'flip':
      if (typeof current === 'string' && current.length > 0) {
        const i = m.key.length % current.length;
        parent[key] = current.slice(0, i) + (current[i] === 'A' ? 'B' : 'A') + current.slice(i + 1);
      } else if (typeof current === 'number') parent[key] = current + 1;
      else parent[key] = m.value;
      break;
    case 'type':
      parent[key] = typeof current === 'string' ? [current] : String(current);
      break;
  }
  return copy;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('replace', 'delete', 'add', 'flip', 'type'),
  value: fc.jsonValue({ maxDepth: 2 }),
  key: fc.string({ maxLength: 12 }),
});

/** A body arbitrary around `valid`: mostly one or two mutations of it, sometimes anything. */
function bodyArb(valid: () => unknown): fc.Arbitrary<{ payload?: string; json?: unknown }> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(mutationArb, { minLength: 1, maxLength: 2 })
        .map((ms) => ({ json: ms.reduce(mutate, valid()) })),
    },
    { weight: 1, arbitrary: fc.constant(null).map(() => ({ json: valid() })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((payload) => ({ payload })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '',
          '{',
          '{"a":',
          'null',
          '[]',
          '{"__proto__":{"x":1}}',
          '{"constructor":{"prototype":{}}}',
        )
        .map((payload) => ({ payload })),
    },
    { weight: 1, arbitrary: fc.constant({ payload: `{"x":"${'x'.repeat(70_000)}"}` }) },
  );
}

/** Printable ASCII, as HTTP header values must be. */
const headerText = fc.string({
  maxLength: 80,
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});

describe('fuzzing every route (fast-check, inject)', { timeout: 900_000 }, () => {
  let db: FreshDatabase;
  let wechat: FakeWeChat;
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let unregisteredToken: string;
  /** Users whose own sessions the last routes (reset, log out) may end. */
  let carol: TestUser;
  let dave: TestUser;
  let stored: Envelope;
  const pool: Envelope[] = [];
  let nextPooled = 0;
  let tokens: fc.Arbitrary<string | undefined>;
  const summary: string[] = [];
  let totalCases = 0;

  before(async () => {
    db = await freshDatabase('pglite');
    for (const sql of WRITE_COUNTER_SQL) await db.prisma.$executeRawUnsafe(sql);
    wechat = await startFakeWeChat();
    server = await startServer({
      database: db.database,
      config: testConfig({
        DEV_LOGIN: 'on',
        WECHAT_APPID: wechat.appId,
        WECHAT_SECRET: wechat.secret,
        WECHAT_API_BASE: wechat.url,
        RATE_LIMIT_PER_MINUTE: '1000000',
        LOOKUP_RATE_LIMIT_PER_MINUTE: '100000',
        BODY_LIMIT: '65536',
      }),
    });
    alice = await registerUser(server, { name: 'Alice' });
    bob = await registerUser(server, { name: 'Bob' });
    carol = await registerUser(server, { name: 'Carol' });
    dave = await registerUser(server, { name: 'Dave' });
    const login = await server.request<{ token: string }>('POST', '/api/v1/auth/dev', {
      body: { openid: 'fuzz-unregistered' },
    });
    unregisteredToken = login.body.token;
    stored = sealFor(alice, [bob]);
    assert.equal(
      (await server.request('POST', '/api/v1/envelopes', { token: alice.token, body: { envelope: stored } }))
        .status,
      201,
    );
    for (let i = 0; i < 40; i++) pool.push(sealFor(alice, [bob], { content: `fuzz ${i}` }));
    const now = Math.floor(Date.now() / 1000);
    // Mostly real tokens, so most cases get past authentication to the route's own checks.
    tokens = fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 8, arbitrary: fc.constantFrom(alice.token, alice.token, bob.token, unregisteredToken) },
      fc.constantFrom(
        jwt({ alg: 'none', typ: 'JWT' }, { sub: alice.id, iat: now }, null),
        jwt(
          { alg: 'HS256', typ: 'JWT' },
          { sub: alice.id, iat: now, exp: now + 3600 },
          'not-the-secret-0123456789abcdef',
        ),
        jwt(
          { alg: 'HS256', typ: 'JWT' },
          { sub: alice.id, iat: now - 7200, exp: now - 3600 },
          TEST_JWT_SECRET,
        ),
        jwt({ alg: 'HS512', typ: 'JWT' }, { sub: alice.id, iat: now }, TEST_JWT_SECRET),
        jwt(
          { alg: 'HS256', typ: 'JWT' },
          { sub: 'no-such-user', iat: now, exp: now + 3600 },
          TEST_JWT_SECRET,
        ),
        jwt({ alg: 'HS256', typ: 'JWT' }, { sub: 42, iat: now, exp: now + 3600 }, TEST_JWT_SECRET),
        jwt({ alg: 'HS256', typ: 'JWT' }, { iat: now, exp: now + 3600 }, TEST_JWT_SECRET),
      ),
      fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
    );
  });
  after(async () => {
    console.log(`# fuzz: ${totalCases} cases in total\n${summary.map((s) => `#   ${s}`).join('\n')}`);
    await server?.close();
    await wechat?.close();
    await db?.close();
  });

  const checksum = async (): Promise<string> =>
    String(((await db.prisma.$queryRawUnsafe('SELECT n FROM fuzz_writes')) as { n: bigint }[])[0]!.n);

  interface Case {
    method: InjectOptions['method'];
    url: string;
    token?: string | undefined;
    authScheme: 'Bearer' | 'bearer' | 'Basic' | '' | 'raw';
    contentType?: string | undefined;
    extra: Record<string, string>;
    body?: { payload?: string; json?: unknown };
  }

  /** Runs `arb` cases against the app and checks the properties; returns the status histogram. */
  async function fuzz(name: string, arb: fc.Arbitrary<Case>): Promise<void> {
    const statuses: Record<number, number> = {};
    let before = await checksum();
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        cases++;
        const headers: Record<string, string> = { ...c.extra };
        if (c.token !== undefined) {
          headers.authorization = c.authScheme === 'raw' ? c.token : `${c.authScheme} ${c.token}`.trim();
        }
        let payload: string | undefined;
        if (c.body) {
          payload = c.body.payload ?? JSON.stringify(c.body.json) ?? 'null';
          headers['content-type'] = c.contentType ?? 'application/json';
        } else if (c.contentType !== undefined) headers['content-type'] = c.contentType;
        const res = await server.app.inject({
          method: c.method,
          url: c.url,
          headers,
          ...(payload === undefined ? {} : { payload }),
        });
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const what = `${c.method} ${c.url.slice(0, 120)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
        assert.ok(res.statusCode < 500, `5xx: ${what}`);
        assert.doesNotMatch(res.body, STACK, `stack trace or path: ${what}`);
        const html = String(res.headers['content-type'] ?? '').startsWith('text/html');
        if (res.statusCode >= 400 && !html && res.body !== '') {
          const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
          assert.equal(typeof body.error?.code, 'string', `error shape: ${what}`);
          assert.equal(typeof body.error?.message, 'string', `error shape: ${what}`);
        }
        const after = await checksum();
        if (res.statusCode >= 400)
          assert.equal(after, before, `a rejected request changed the database: ${what}`);
        before = after;
      }),
      { numRuns: RUNS, endOnFailure: true, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    totalCases += cases;
    const histogram = Object.entries(statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    summary.push(`${name.padEnd(34)} ${String(cases).padStart(5)} cases  ${histogram}`);
  }

  /** Common request parts around a route-specific url/body. */
  const common = () =>
    fc.record({
      token: tokens,
      authScheme: fc.oneof(
        { weight: 12, arbitrary: fc.constant<Case['authScheme']>('Bearer') },
        { weight: 1, arbitrary: fc.constantFrom<Case['authScheme']>('bearer', 'Basic', '', 'raw') },
      ),
      // Mostly none given (JSON for a body), sometimes a wrong or odd one.
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        {
          weight: 2,
          arbitrary: fc.oneof(
            fc.constantFrom(
              'application/json',
              'application/json; charset=utf-8',
              'text/plain',
              'application/x-www-form-urlencoded',
              'multipart/form-data; boundary=x',
              'application/json; charset=latin1',
            ),
            headerText,
          ),
        },
      ),
      extra: fc.dictionary(
        fc.stringMatching(
          /^x-[a-z0-9-]{1,12}$|^(accept|accept-encoding|origin|referer|x-forwarded-for|cookie|user-agent)$/,
        ),
        headerText,
        { maxKeys: 3 },
      ),
    });

  /** Path parameter values: valid ids, ids of nothing, and hostile strings (encoded or raw). */
  const idArb = fc.oneof(
    fc.constant(null).map(() => stored.id),
    fc.constant(null).map(() => randomBytes(16).toString('base64url')),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.constantFrom(
      '..%2F..%2Fetc%2Fpasswd',
      '%00',
      '%',
      '%zz',
      'a'.repeat(300),
      '%F0%9F%92%A3',
      '__proto__',
      ' ',
    ),
  );

  const route = (
    method: InjectOptions['method'],
    url: fc.Arbitrary<string>,
    body?: () => unknown,
    tokenOverride?: () => string,
  ): fc.Arbitrary<Case> =>
    fc
      .tuple(
        common(),
        url,
        body ? fc.option(bodyArb(body), { nil: undefined, freq: 10 }) : fc.constant(undefined),
      )
      .map(([c, u, b]) => ({
        ...c,
        ...(tokenOverride && (c.token === alice.token || c.token === bob.token)
          ? { token: tokenOverride() }
          : {}),
        method,
        url: u,
        ...(b ? { body: b } : {}),
      }));

  const fixed = (path: string) =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constant(path) },
      {
        weight: 2,
        arbitrary: fc
          .string({ maxLength: 30 })
          .map((q) => `${path}?${encodeURIComponent(q)}=${encodeURIComponent(q)}`),
      },
    );

  it('POST /api/v1/auth/wechat', () =>
    fuzz(
      'POST /api/v1/auth/wechat',
      route('POST', fixed('/api/v1/auth/wechat'), () => ({ code: 'wx-code' })),
    ));

  it('POST /api/v1/auth/dev', () =>
    fuzz(
      'POST /api/v1/auth/dev',
      route('POST', fixed('/api/v1/auth/dev'), () => ({ openid: `fuzz-${randomBytes(4).toString('hex')}` })),
    ));

  it('GET /api/v1/me', () => fuzz('GET /api/v1/me', route('GET', fixed('/api/v1/me'))));

  it('GET /api/v1/me/keys', () => fuzz('GET /api/v1/me/keys', route('GET', fixed('/api/v1/me/keys'))));

  it('GET /api/v1/me/contacts', () =>
    fuzz('GET /api/v1/me/contacts', route('GET', fixed('/api/v1/me/contacts'))));

  it('PUT /api/v1/me/contacts', () => {
    // A valid first write: once stored, the same counter again is stale (409) and changes nothing.
    const body = { blob: base64urlEncode(new Uint8Array(randomBytes(200))), counter: 1 };
    return fuzz(
      'PUT /api/v1/me/contacts',
      route('PUT', fixed('/api/v1/me/contacts'), () => body),
    );
  });

  it('POST /api/v1/recipients/lookup', () =>
    fuzz(
      'POST /api/v1/recipients/lookup',
      route('POST', fixed('/api/v1/recipients/lookup'), () => ({ name: bob.name, phone: bob.phone })),
    ));

  it('GET /api/v1/users/:id/key', () =>
    fuzz(
      'GET /api/v1/users/:id/key',
      route(
        'GET',
        fc
          .oneof(
            fc.constant(null).map(() => bob.id),
            idArb,
          )
          .map((id) => `/api/v1/users/${id}/key`),
      ),
    ));

  it('POST /api/v1/envelopes', () =>
    fuzz(
      'POST /api/v1/envelopes',
      route('POST', fixed('/api/v1/envelopes'), () => ({
        envelope: pool[nextPooled++ % pool.length],
      })),
    ));

  it('GET /api/v1/envelopes/:id', () =>
    fuzz(
      'GET /api/v1/envelopes/:id',
      route(
        'GET',
        idArb.map((id) => `/api/v1/envelopes/${id}`),
      ),
    ));

  it('GET /api/v1/envelopes?box=&cursor=', () => {
    const query = fc
      .record({
        box: fc.option(
          fc.oneof(fc.constantFrom('inbox', 'sent', 'INBOX', 'all', ''), fc.string({ maxLength: 10 })),
          { nil: undefined },
        ),
        cursor: fc.option(
          fc.oneof(
            fc.string({ maxLength: 250 }),
            fc
              .jsonValue({ maxDepth: 2 })
              .map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
            fc
              .tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }))
              .map((t) => Buffer.from(JSON.stringify(t)).toString('base64url')),
          ),
          { nil: undefined },
        ),
        twice: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      })
      .map(({ box, cursor, twice }) => {
        const params = new URLSearchParams();
        if (box !== undefined) params.append('box', box);
        if (twice) params.append('box', 'sent');
        if (cursor !== undefined) params.append('cursor', cursor);
        return `/api/v1/envelopes?${params}`;
      });
    return fuzz('GET /api/v1/envelopes?box=&cursor=', route('GET', query));
  });

  it('DELETE /api/v1/envelopes/:id', () =>
    // Never Alice's stored envelope by Alice (a valid revoke); everything else.
    fuzz(
      'DELETE /api/v1/envelopes/:id',
      route(
        'DELETE',
        idArb.map((id) => `/api/v1/envelopes/${id}`),
      ).filter((c) => !(c.token === alice.token && c.url.endsWith(stored.id))),
    ));

  it('GET /s/:id (landing page)', () =>
    fuzz(
      'GET /s/:id',
      route(
        'GET',
        idArb.map((id) => `/s/${id}`),
      ),
    ));

  it('probes, docs and unknown routes', () =>
    fuzz(
      'GET|POST|PATCH probes, /docs, unknown',
      fc
        .tuple(
          common(),
          fc.constantFrom<InjectOptions['method']>(
            'GET',
            'POST',
            'PATCH',
            'PUT',
            'DELETE',
            'OPTIONS',
            'HEAD',
          ),
          fc.oneof(
            fc.constantFrom(
              '/healthz',
              '/readyz',
              '/docs/json',
              '/api/v1',
              '/api/v2/me',
              '/api/v1/envelopes/',
              '//api/v1/me',
            ),
            fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}`),
            fc.string({ maxLength: 40 }).map((s) => `/api/v1/${encodeURIComponent(s)}`),
          ),
        )
        .map(([c, method, url]) => ({ ...c, method, url })),
    ));

  // The two routes that change a registered user's phone or key come last.
  it('POST /api/v1/me/phone', () =>
    fuzz(
      'POST /api/v1/me/phone',
      route('POST', fixed('/api/v1/me/phone'), () => ({ phone: alice.phone })),
    ));

  it('PUT /api/v1/me/keys', () => {
    // A valid body: a key for the unregistered user (Alice's and Bob's keys stay as they are).
    const identity = generateIdentity('fuzz-keys');
    const body = {
      name: 'Fuzz',
      publicKey: base64urlEncode(identity.publicKey),
      backup: sealKeyBackup(identity, 'master', { iterations: 10_000 }),
    };
    return fuzz(
      'PUT /api/v1/me/keys',
      route(
        'PUT',
        fixed('/api/v1/me/keys'),
        () => body,
        () => unregisteredToken,
      ),
    );
  });

  it('POST /api/v1/me/keys/reset', () => {
    // Carol's session: a valid body resets her key once (and revokes her token), then 401.
    const identity = generateIdentity(carol.id);
    const body = {
      name: 'Carol',
      publicKey: base64urlEncode(identity.publicKey),
      backup: sealKeyBackup(identity, 'master', { iterations: 10_000 }),
    };
    return fuzz(
      'POST /api/v1/me/keys/reset',
      route(
        'POST',
        fixed('/api/v1/me/keys/reset'),
        () => body,
        () => carol.token,
      ),
    );
  });

  it('POST /api/v1/auth/logout', () =>
    fuzz(
      'POST /api/v1/auth/logout',
      route('POST', fixed('/api/v1/auth/logout'), undefined, () => dave.token),
    ));
});
