/**
 * Test helpers for the API server: a config with overrides, an app listening on loopback (real
 * HTTP) over a test database, the raw JSON client of harness/http.ts and the contract client
 * (`callApi`), and fixture factories for users and envelopes.
 *
 *   const db = useDatabase(target);
 *   const server = useServer(() => ({ database: db().database }));
 *   it('…', async () => { const alice = await registerUser(server(), { name: 'Alice' }); … });
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { type HttpOptions, type HttpReply, httpRequest } from '../../harness/http';
import { buildApp } from '../../server/app';
import { type AppConfig, loadConfig } from '../../server/config';
import type { Database } from '../../server/db/connect';
import { loggerOptions } from '../../server/logger';
import {
  authContract,
  type CallInput,
  type CallOutput,
  type Contract,
  call,
  envelopesContract,
  fetchTransport,
  meContract,
} from '../../shared/api';
import { setRandomSource } from '../../shared/crypto';
import { base64urlEncode } from '../../shared/encoding';
import {
  type Envelope,
  generateIdentity,
  type Identity,
  type PublicIdentity,
  type SealOptions,
  sealEnvelope,
  sealKeyBackup,
  signKeyChange,
} from '../../shared/protocol';

// Node's CSPRNG for everything shared/ seals in tests.
setRandomSource((n) => new Uint8Array(nodeRandomBytes(n)));

/** Fixed test secrets (never used outside tests). */
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnopqrstuvwxyz';
export const TEST_PHONE_PEPPER = 'test-phone-pepper-0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A validated config for tests: dev login on, sweeper off, quiet, secrets fixed. Every test client
 * is 127.0.0.1, so the per-address limit is lifted unless a test sets it (its own tests do).
 */
export function testConfig(overrides: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'mifeng-app-')),
    JWT_SECRET: TEST_JWT_SECRET,
    PHONE_PEPPER: TEST_PHONE_PEPPER,
    PUBLIC_URL: 'https://mifeng.test',
    DEV_LOGIN: 'on',
    PURGE_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    ...overrides,
  });
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  request<T = unknown>(method: string, path: string, options?: HttpOptions): Promise<HttpReply<T>>;
  close(): Promise<void>;
}

export interface StartOptions {
  database: Database;
  config?: AppConfig;
  /** Receives every log line (JSON) at LOG_LEVEL (default 'info' when given). */
  logLines?: string[];
  /** Told of every route as it is registered. */
  onRoute?: (route: RouteOptions) => void;
}

/** Builds the app on `database` and listens on 127.0.0.1 (random port). */
export async function startServer(options: StartOptions): Promise<TestServer> {
  const config = options.config ?? testConfig();
  const lines = options.logLines;
  const logger = lines
    ? loggerOptions(config.LOG_LEVEL === 'silent' ? 'info' : config.LOG_LEVEL, {
        write: (l) => void lines.push(l),
      })
    : false;
  const app = await buildApp(config, { database: options.database }, { logger }, options.onRoute);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    url,
    request: <T>(method: string, path: string, opts: HttpOptions = {}) =>
      httpRequest<T>(url, method, path, opts),
    close: () => app.close(),
  };
}

/** Calls `contract` on `server` with the shared contract client (over fetch), as `token` if given. */
export function callApi<C extends Contract>(
  server: TestServer,
  contract: C,
  input: CallInput<C>,
  token?: string,
): Promise<CallOutput<C>> {
  return call(contract, input, fetchTransport(server.url, { fetch, token: () => token }));
}

/** A server for the current suite, started before its first test and closed after its last. */
export function useServer(options: () => StartOptions): () => TestServer {
  let server: TestServer | undefined;
  before(async () => {
    server = await startServer(options());
  });
  after(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('useServer(): the server starts in before(); use it inside tests');
    return server;
  };
}

export interface TestUser {
  id: string;
  token: string;
  name: string;
  phone: string;
  identity: Identity;
}

let counter = 0;

/** A fresh mainland mobile number, unique within the process. */
export function uniquePhone(): string {
  counter += 1;
  return `139${String(process.pid % 10000).padStart(4, '0')}${String(counter).padStart(4, '0')}`;
}

/** Iterations for test key backups: the protocol minimum, to keep tests fast. */
const TEST_BACKUP_ITERATIONS = 10_000;

/** Registers a user through the dev login: sign in, set phone, upload key + backup. */
export async function registerUser(
  server: TestServer,
  overrides: { name?: string; phone?: string; openid?: string } = {},
): Promise<TestUser> {
  counter += 1;
  const name = overrides.name ?? `User ${counter}`;
  const phone = overrides.phone ?? uniquePhone();
  const { token, user } = await callApi(server, authContract.dev, {
    body: {
      openid: overrides.openid ?? `openid-${process.pid}-${counter}-${nodeRandomBytes(4).toString('hex')}`,
    },
  });
  await callApi(server, meContract.setPhone, { body: { phone } }, token);
  const identity = generateIdentity(user.id);
  await uploadKeys(server, token, name, identity);
  return { id: user.id, token, name, phone, identity };
}

/** A fresh backup of `identity` (at the test iteration count). */
export function testBackup(identity: Identity, masterKey = 'correct horse battery staple') {
  return sealKeyBackup(identity, masterKey, { iterations: TEST_BACKUP_ITERATIONS });
}

/**
 * `PUT /me/keys` with a fresh backup of `identity`; once the user has a key, `current` (that key)
 * signs the key-change statement.
 */
export async function uploadKeys(
  server: TestServer,
  token: string,
  name: string,
  identity: Identity,
  current?: Identity,
) {
  const statement = current ? signKeyChange({ old: current, newPublicKey: identity.publicKey }) : undefined;
  return callApi(
    server,
    meContract.setKeys,
    {
      body: {
        name,
        publicKey: base64urlEncode(identity.publicKey),
        backup: testBackup(identity),
        ...(statement ? { statement } : {}),
      },
    },
    token,
  );
}

/**
 * Changes `user`'s key to `next` with a statement by their current key, and takes the new token
 * (the change revokes the old one). Returns the answer.
 */
export async function changeKeys(server: TestServer, user: TestUser, next: Identity, name = user.name) {
  const answer = await uploadKeys(server, user.token, name, next, user.identity);
  user.token = answer.token;
  user.identity = next;
  user.name = name;
  return answer;
}

/** A signed envelope from `sender` to `recipients`, with overrides of the seal input/options. */
export function sealFor(
  sender: TestUser,
  recipients: (TestUser | PublicIdentity)[],
  options: {
    content?: string;
    expiresAt?: Date | null;
    now?: Date;
    maxOpens?: number | null;
    version?: SealOptions['version'];
  } = {},
): Envelope {
  return sealEnvelope(
    {
      sender: sender.identity,
      recipients: recipients.map((r) =>
        'identity' in r ? { user: r.id, publicKey: r.identity.publicKey } : r,
      ),
      content: options.content ?? 'the vault code is 0451',
      remark: 'vault',
      expiresAt: options.expiresAt === undefined ? new Date(Date.now() + 3 * 86_400_000) : options.expiresAt,
      maxOpens: options.maxOpens ?? null,
    },
    { now: options.now ?? new Date(), ...(options.version ? { version: options.version } : {}) },
  );
}

/** Uploads `envelope` as `sender` through the contract client (a refusal throws its ApiError). */
/** The `error.code` of an API answer (undefined for a success). */
export const codeOf = (reply: { body: unknown }) => (reply.body as { error?: { code?: string } }).error?.code;

export function sendLetter(server: TestServer, sender: TestUser, envelope: Envelope) {
  return callApi(server, envelopesContract.create, { body: { envelope } }, sender.token);
}

/** Row counts of every table, to show a refused request changed nothing. */
export async function rowCounts(database: Database): Promise<Record<string, number>> {
  const p = database.prisma;
  const [users, keys, envelopes, recipients, opened, revoked, keyEvents, backups, contactBooks] =
    await Promise.all([
      p.user.count(),
      p.userKey.count(),
      p.envelope.count(),
      p.envelopeRecipient.count(),
      p.envelopeRecipient.count({ where: { openedAt: { not: null } } }),
      p.envelope.count({ where: { revokedAt: { not: null } } }),
      p.keyEvent.count(),
      p.keyBackup.count(),
      p.contactBook.count(),
    ]);
  return { users, keys, envelopes, recipients, opened, revoked, keyEvents, backups, contactBooks };
}
