/**
 * Simulated Mifeng users over real HTTP, shared by the load test (harness/load-test.ts) and the
 * fault tests (tests/faults/): an API client that retries the way docs/operations.md tells clients
 * to, user registration through the dev login, envelopes sealed with shared/protocol (ahead of the
 * timed phase, so the client's crypto is not what gets measured), a bounded mixed workload, and a
 * reconciliation that checks every acknowledged envelope against the database and opens it as
 * each recipient.
 */
import { randomBytes, randomInt } from 'node:crypto';
import pg from 'pg';
import {
  authContract,
  type CallInput,
  type Contract,
  envelopesContract,
  meContract,
  recipientsContract,
  requestFor,
} from '../shared/api';
import { setRandomSource } from '../shared/crypto';
import { base64urlEncode } from '../shared/encoding';
import {
  type Envelope,
  generateIdentity,
  type Identity,
  MIN_BACKUP_ITERATIONS,
  openEnvelope,
  sealEnvelope,
  sealKeyBackup,
} from '../shared/protocol';
import { type HttpReply, httpRequest } from './http';
import { sleep } from './net';

// The simulated clients seal with Node's CSPRNG, as the server and the other tests do.
setRandomSource((length) => crypto.getRandomValues(new Uint8Array(length)));

export interface ApiResponse extends HttpReply {
  /** Network failure message, when status is 0. */
  error?: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Retry on network errors, 502, 503 and 504 (default true), honouring Retry-After up to 1 s. */
  retry?: boolean;
  /** Base URL override (e.g. one instance directly, bypassing nginx). */
  base?: string;
  timeoutMs?: number;
}

/** Every request's status and latency, for the report. */
export class Stats {
  readonly latencies = new Map<string, number[]>();
  readonly statuses = new Map<string, Map<number, number>>();
  /** Attempts that failed and were retried (network error, 502, 503, 504). */
  retries = 0;
  /** 5xx answers seen by any attempt (retried or not), with their bodies. */
  readonly serverErrors: { op: string; status: number; text: string }[] = [];

  record(op: string, status: number, ms: number): void {
    const list = this.latencies.get(op) ?? [];
    this.latencies.set(op, list);
    list.push(ms);
    const counts = this.statuses.get(op) ?? new Map<number, number>();
    this.statuses.set(op, counts);
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }

  count(op?: string): number {
    let total = 0;
    for (const [name, list] of this.latencies) if (!op || name === op) total += list.length;
    return total;
  }

  percentile(p: number, op?: string): number {
    const all: number[] = [];
    for (const [name, list] of this.latencies) if (!op || name === op) all.push(...list);
    if (all.length === 0) return 0;
    all.sort((a, b) => a - b);
    return all[Math.min(all.length - 1, Math.ceil((p / 100) * all.length) - 1)]!;
  }

  statusSummary(op: string): string {
    const counts = this.statuses.get(op);
    if (!counts) return '';
    return [...counts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([status, n]) => `${status === 0 ? 'neterr' : status}×${n}`)
      .join(' ');
  }
}

const RETRYABLE = new Set([0, 502, 503, 504]);

export class Api {
  constructor(
    readonly base: string,
    readonly stats = new Stats(),
    /** Attempts per request when retrying (default 8, spread over about 10 s). */
    readonly attempts = 8,
  ) {}

  async once(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    try {
      return await httpRequest(options.base ?? this.base, method, path, {
        ...(options.token ? { token: options.token } : {}),
        ...(options.body !== undefined ? { body: options.body } : {}),
        timeoutMs: options.timeoutMs ?? 40_000,
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return {
        status: 0,
        body: undefined,
        text: '',
        headers: new Headers(),
        error: `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`,
      };
    }
  }

  /**
   * `request` for a route of the API, its method and path (parameters, query) taken from the
   * contract. The answer stays raw: the workload counts every status, not only the contract's success.
   */
  call<C extends Contract>(
    op: string,
    contract: C,
    input: CallInput<C>,
    options: Omit<RequestOptions, 'body'> = {},
  ): Promise<ApiResponse> {
    const { method, path, body } = requestFor(contract, input);
    return this.request(op, method, path, { ...options, ...(body === undefined ? {} : { body }) });
  }

  /** One logical request: recorded under `op`, retried on transient failures unless told not to. */
  async request(
    op: string,
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse> {
    const retry = options.retry ?? true;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const res = await this.once(method, path, options);
      this.stats.record(op, res.status, performance.now() - started);
      if (res.status >= 500)
        this.stats.serverErrors.push({ op, status: res.status, text: res.text.slice(0, 300) });
      if (!retry || !RETRYABLE.has(res.status) || attempt >= this.attempts) return res;
      this.stats.retries++;
      const retryAfter = Number(res.headers.get('retry-after'));
      const backoff = Math.min(1000, 100 * 2 ** (attempt - 1));
      await sleep(
        Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(1000, retryAfter * 1000) : backoff,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Users

export interface SimUser {
  index: number;
  id: string;
  token: string;
  name: string;
  phone: string;
  identity: Identity;
}

/** A phone number unique to `index` within a run (`run` keeps runs on one database apart). */
export function phoneFor(run: number, index: number): string {
  return `+86 139${String(run % 10000).padStart(4, '0')}${String(index).padStart(4, '0')}`;
}

/** What a new user brings: the key pair and its sealed backup are made ahead of time (client crypto). */
export interface RegistrationKit {
  index: number;
  openid: string;
  phone: string;
  name: string;
  /** Its `user` is a placeholder until the server assigns the id. */
  identity: Identity;
  backup: ReturnType<typeof sealKeyBackup>;
}

export function prepareRegistration(run: number, index: number): RegistrationKit {
  const identity = generateIdentity('pending');
  return {
    index,
    openid: `load-${run}-${index}`,
    phone: phoneFor(run, index),
    name: `user ${run} ${index}`,
    identity,
    backup: sealKeyBackup(identity, `master key ${index}`, { iterations: MIN_BACKUP_ITERATIONS }),
  };
}

/** Signs in with the dev login, sets the phone and uploads the key with its backup; the first failure is returned. */
export async function completeRegistration(api: Api, kit: RegistrationKit): Promise<SimUser | ApiResponse> {
  const login = await api.call('register', authContract.dev, { body: { openid: kit.openid } });
  if (login.status !== 200) return login;
  const { token, user } = login.body as { token: string; user: { id: string } };
  const setPhone = await api.call('register', meContract.setPhone, { body: { phone: kit.phone } }, { token });
  if (setPhone.status !== 200) return setPhone;
  const keys = await api.call(
    'register',
    meContract.setKeys,
    { body: { name: kit.name, publicKey: base64urlEncode(kit.identity.publicKey), backup: kit.backup } },
    { token },
  );
  if (keys.status !== 200) return keys;
  const identity = { ...kit.identity, user: user.id };
  return { index: kit.index, id: user.id, token, name: kit.name, phone: kit.phone, identity };
}

/** Signs in with the dev login, sets the phone, generates a key pair and uploads it with its backup. */
export async function registerUser(api: Api, run: number, index: number): Promise<SimUser> {
  const done = await completeRegistration(api, prepareRegistration(run, index));
  if ('status' in done) throw new Error(`registering user ${index}: ${done.status} ${done.text}`);
  return done;
}

/** Registers `count` users, `concurrency` at a time. */
export async function registerUsers(
  api: Api,
  run: number,
  count: number,
  concurrency = 8,
): Promise<SimUser[]> {
  const users: SimUser[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        users[index] = await registerUser(api, run, index);
      }
    }),
  );
  return users;
}

// ---------------------------------------------------------------------------------------------
// Envelopes

export interface SentEnvelope {
  envelope: Envelope;
  sender: SimUser;
  recipients: SimUser[];
  content: string;
  /** 201 (or 409 confirmed as ours) received. */
  acked: boolean;
  /** POST tried but no acknowledgement (it may or may not be stored). */
  attempted: boolean;
  revoked: boolean;
}

function pick<T>(list: readonly T[]): T {
  return list[randomInt(list.length)]!;
}

/** Seals one letter from `sender` to 1–3 other users (the sender is added by the protocol). */
export function sealFor(sender: SimUser, users: readonly SimUser[], expiresAt: Date | null): SentEnvelope {
  const others = users.filter((u) => u !== sender);
  const recipients: SimUser[] = [];
  const wanted = Math.min(others.length, 1 + randomInt(3));
  while (recipients.length < wanted) {
    const candidate = pick(others);
    if (!recipients.includes(candidate)) recipients.push(candidate);
  }
  const content = `letter ${randomBytes(12).toString('base64url')} ${'密'.repeat(randomInt(1, 120))}`;
  const envelope = sealEnvelope({
    sender: sender.identity,
    recipients: recipients.map((r) => ({ user: r.id, publicKey: r.identity.publicKey })),
    content,
    remark: 'load',
    expiresAt,
  });
  return { envelope, sender, recipients, content, acked: false, attempted: false, revoked: false };
}

/**
 * Uploads a sealed envelope, retrying through transient failures with the same envelope. A 409
 * on a retry means an earlier attempt was stored: confirmed with GET as the sender.
 */
export async function postEnvelope(api: Api, sent: SentEnvelope): Promise<ApiResponse> {
  sent.attempted = true;
  let res = await api.call(
    'create',
    envelopesContract.create,
    { body: { envelope: sent.envelope } },
    { token: sent.sender.token },
  );
  if (res.status === 409) {
    const check = await api.call(
      'create-confirm',
      envelopesContract.get,
      { params: { id: sent.envelope.id } },
      { token: sent.sender.token },
    );
    const stored = (check.body as { envelope?: Envelope } | undefined)?.envelope;
    if (check.status === 200 && stored?.sig === sent.envelope.sig) res = { ...res, status: 201 };
  }
  if (res.status === 201) sent.acked = true;
  return res;
}

// ---------------------------------------------------------------------------------------------
// The mixed workload

export interface WorkloadOptions {
  users: SimUser[];
  /** New users' kits, consumed by `register` (the users then join `users`). */
  registrations?: RegistrationKit[];
  /** Sealed, not yet uploaded envelopes; consumed by `create`. */
  pool: SentEnvelope[];
  /** Everything uploaded (acknowledged or attempted), appended to as the workload runs. */
  sent: SentEnvelope[];
  durationMs: number;
  concurrency: number;
  /** Stops early after this many operations (a bound for CI). */
  maxOperations?: number;
  /** Relative weights of the operations. */
  weights?: Partial<Record<WorkloadOp, number>>;
  /** Called for each answer a test wants to judge; throwing stops nothing (errors are collected). */
  onUnexpected?: (op: string, res: ApiResponse) => void;
}

export type WorkloadOp = 'register' | 'create' | 'open' | 'list' | 'lookup' | 'userKey' | 'revoke' | 'me';

const DEFAULT_WEIGHTS: Record<WorkloadOp, number> = {
  register: 3,
  create: 30,
  open: 30,
  list: 12,
  lookup: 8,
  userKey: 8,
  revoke: 4,
  me: 8,
};

/** What each operation may answer in a healthy system (anything else is reported). */
const EXPECTED: Record<WorkloadOp, number[]> = {
  register: [200],
  create: [201],
  open: [200, 410],
  list: [200],
  // 429: lookups are rate-limited per user (LOOKUP_RATE_LIMIT_PER_MINUTE), by design.
  lookup: [200, 429],
  userKey: [200],
  revoke: [204],
  me: [200],
};

export interface WorkloadResult {
  operations: number;
  elapsedMs: number;
  unexpected: { op: string; status: number; text: string }[];
}

export async function runWorkload(api: Api, options: WorkloadOptions): Promise<WorkloadResult> {
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const ops = Object.entries(weights).filter(([, w]) => w > 0) as [WorkloadOp, number][];
  const totalWeight = ops.reduce((sum, [, w]) => sum + w, 0);
  const choose = (): WorkloadOp => {
    let r = randomInt(totalWeight);
    for (const [op, w] of ops) {
      if (r < w) return op;
      r -= w;
    }
    return ops[0]![0];
  };
  const { users, pool, sent } = options;
  const unexpected: WorkloadResult['unexpected'] = [];
  const started = performance.now();
  const deadline = started + options.durationMs;
  let operations = 0;
  const check = (op: WorkloadOp, res: ApiResponse) => {
    if (!EXPECTED[op].includes(res.status)) {
      unexpected.push({ op, status: res.status, text: res.error ?? res.text.slice(0, 300) });
      options.onUnexpected?.(op, res);
    }
  };

  const step = async (): Promise<void> => {
    let op = choose();
    if (op === 'register' && !options.registrations?.length) op = 'me';
    if (op === 'create' && pool.length === 0) op = 'open';
    const acked = sent.filter((s) => s.acked);
    if ((op === 'open' || op === 'revoke') && acked.length === 0) op = 'list';
    switch (op) {
      case 'register': {
        const done = await completeRegistration(api, options.registrations!.pop()!);
        if ('status' in done) check(op, done);
        else users.push(done);
        return;
      }
      case 'create': {
        const envelope = pool.pop()!;
        sent.push(envelope);
        check(op, await postEnvelope(api, envelope));
        return;
      }
      case 'open': {
        const target = pick(acked);
        const reader = pick([target.sender, ...target.recipients]);
        const res = await api.call(
          op,
          envelopesContract.get,
          { params: { id: target.envelope.id } },
          { token: reader.token },
        );
        check(op, res);
        if (res.status === 200) {
          const got = (res.body as { envelope?: Envelope }).envelope;
          if (got?.sig !== target.envelope.sig)
            unexpected.push({ op, status: res.status, text: 'envelope differs from the one uploaded' });
        }
        return;
      }
      case 'list': {
        const user = pick(users);
        check(
          op,
          await api.call(
            op,
            envelopesContract.list,
            { query: { box: randomInt(2) ? 'inbox' : 'sent' } },
            { token: user.token },
          ),
        );
        return;
      }
      case 'lookup': {
        const user = pick(users);
        const other = pick(users);
        const res = await api.call(
          op,
          recipientsContract.lookup,
          { body: { name: other.name, phone: other.phone } },
          { token: user.token },
        );
        check(op, res);
        if (res.status === 200 && (res.body as { user?: string }).user !== other.id)
          unexpected.push({ op, status: 200, text: 'lookup found the wrong user' });
        return;
      }
      case 'userKey': {
        const user = pick(users);
        const other = pick(users);
        check(
          op,
          await api.call(op, recipientsContract.userKey, { params: { id: other.id } }, { token: user.token }),
        );
        return;
      }
      case 'revoke': {
        const mine = acked.filter((s) => !s.revoked);
        if (mine.length === 0) return;
        const target = pick(mine);
        target.revoked = true;
        check(
          op,
          await api.call(
            op,
            envelopesContract.revoke,
            { params: { id: target.envelope.id } },
            { token: target.sender.token },
          ),
        );
        return;
      }
      case 'me': {
        check(op, await api.call(op, meContract.get, {}, { token: pick(users).token }));
        return;
      }
    }
  };

  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (
        performance.now() < deadline &&
        (options.maxOperations === undefined || operations < options.maxOperations)
      ) {
        operations++;
        await step();
      }
    }),
  );
  return { operations, elapsedMs: performance.now() - started, unexpected };
}

// ---------------------------------------------------------------------------------------------
// Reconciliation

export interface ReconcileResult {
  acked: number;
  /** Acknowledged envelopes opened (decrypted) by every recipient and the sender. */
  opened: number;
  /** Individual decryptions performed. */
  decryptions: number;
  /** Revoked or expired ones that answered 410 to every reader. */
  gone: number;
  /** Rows in the database that were attempted but never acknowledged (stored, answer lost). */
  storedWithoutAck: number;
  problems: string[];
}

/**
 * Checks the database (every acknowledged envelope present exactly once with all its recipient
 * rows; no row that no client attempted; no envelope without its recipients) and the API (every
 * acknowledged, live envelope opens for each reader to the content sealed; revoked or expired
 * ones answer 410).
 */
export async function reconcile(
  api: Api,
  databaseUrl: string,
  sent: SentEnvelope[],
  options: {
    concurrency?: number;
    now?: Date /** Ignore rows other runs stored. */;
    onlyThese?: boolean;
  } = {},
): Promise<ReconcileResult> {
  const problems: string[] = [];
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  let rows: {
    id: string;
    body: string | null;
    expires_at: Date | null;
    revoked_at: Date | null;
    n: string;
  }[];
  try {
    rows = (
      await client.query(
        `SELECT e.id, e.body, e.expires_at, e.revoked_at,
                (SELECT count(*) FROM envelope_recipients r WHERE r.envelope_id = e.id) AS n
           FROM envelopes e`,
      )
    ).rows;
  } finally {
    await client.end();
  }
  const byId = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    if (byId.has(row.id)) problems.push(`envelope ${row.id} stored twice`);
    byId.set(row.id, row);
  }
  const attempted = new Map(sent.map((s) => [s.envelope.id, s]));
  let storedWithoutAck = 0;
  for (const row of rows) {
    const s = attempted.get(row.id);
    if (!s) {
      if (options.onlyThese) continue;
      problems.push(`envelope ${row.id} in the database was never sent by this run`);
      continue;
    }
    if (!s.acked) storedWithoutAck++;
    if (Number(row.n) !== s.envelope.recipients.length)
      problems.push(`envelope ${row.id}: ${row.n} recipient rows, expected ${s.envelope.recipients.length}`);
    if (row.body !== null && JSON.parse(row.body).sig !== s.envelope.sig)
      problems.push(`envelope ${row.id}: stored body differs from the upload`);
  }
  const acked = sent.filter((s) => s.acked);
  for (const s of acked)
    if (!byId.has(s.envelope.id)) problems.push(`acknowledged envelope ${s.envelope.id} is missing`);

  let opened = 0;
  let decryptions = 0;
  let gone = 0;
  const queue = acked.filter((s) => byId.has(s.envelope.id));
  const now = options.now ?? new Date();
  await Promise.all(
    Array.from({ length: options.concurrency ?? 6 }, async () => {
      for (let s = queue.pop(); s; s = queue.pop()) {
        const row = byId.get(s.envelope.id)!;
        const live =
          row.revoked_at === null &&
          (row.expires_at === null || row.expires_at.getTime() > now.getTime() + 2000) &&
          row.body !== null;
        let allOpened = true;
        let allGone = true;
        for (const reader of [s.sender, ...s.recipients]) {
          const res = await api.call(
            'reconcile',
            envelopesContract.get,
            { params: { id: s.envelope.id } },
            { token: reader.token },
          );
          if (res.status === 200) {
            allGone = false;
            try {
              const got = res.body as { envelope: Envelope; sender: { publicKey: string } };
              const letter = openEnvelope(got.envelope, {
                reader: reader.identity,
                senderPublicKey: s.sender.identity.publicKey,
              });
              decryptions++;
              if (letter.content !== s.content) {
                allOpened = false;
                problems.push(`envelope ${s.envelope.id}: ${reader.id} decrypted different content`);
              }
            } catch (error) {
              allOpened = false;
              problems.push(
                `envelope ${s.envelope.id}: ${reader.id} cannot open it: ${(error as Error).message}`,
              );
            }
          } else if (res.status === 410 && !live) {
            allOpened = false;
          } else {
            allOpened = false;
            allGone = false;
            problems.push(
              `envelope ${s.envelope.id}: ${reader.id} got ${res.status} ${res.text.slice(0, 120)}`,
            );
          }
        }
        if (live && allOpened) opened++;
        else if (!live && allGone) gone++;
        else if (live) problems.push(`envelope ${s.envelope.id}: live but not opened by every reader`);
      }
    }),
  );
  return { acked: acked.length, opened, decryptions, gone, storedWithoutAck, problems };
}

/** Envelopes sealed ahead of time: `count` letters from random senders, permanent unless told. */
export function presealEnvelopes(
  users: SimUser[],
  count: number,
  expiresAt: Date | null = null,
): SentEnvelope[] {
  return Array.from({ length: count }, () => sealFor(pick(users), users, expiresAt));
}
