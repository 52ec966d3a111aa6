/**
 * What the image tests (slow-dockerfile, slow-container) do to a production server, however it
 * was started: its production environment (strong secrets, an https PUBLIC_URL, a fake WeChat),
 * waiting for its readiness log line, and a letter's round trip over HTTP — two users register
 * through WeChat, one sends the other a letter, the other opens it.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AuthResponse, CreateEnvelopeResponse, GetEnvelopeResponse } from '../../shared/api';
import { base64urlDecode, base64urlEncode } from '../../shared/encoding';
import { generateIdentity, openEnvelope, sealKeyBackup } from '../../shared/protocol';
import type { FakeWeChat } from '../server/fake-wechat';
import { sealFor, type TestUser } from '../server/helper';

/** The environment production accepts, for a server on 127.0.0.1:`port`; fresh secrets per call. */
export function productionEnv(wechat: FakeWeChat, port: number): Record<string, string> {
  return {
    JWT_SECRET: randomBytes(32).toString('base64'),
    PHONE_PEPPER: randomBytes(32).toString('base64'),
    LOG_SIGNING_KEY: randomBytes(32).toString('base64url'),
    PUBLIC_URL: 'https://mifeng.example',
    WECHAT_APPID: wechat.appId,
    WECHAT_SECRET: wechat.secret,
    WECHAT_API_BASE: wechat.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    // Signatures checked in a worker thread: the built worker (dist/server/verify-worker.mjs).
    VERIFY_WORKERS: '1',
  };
}

export interface Server {
  child: ChildProcess;
  /** The start log's "database ready" and readiness lines, merged. */
  ready: { origin?: string; readyMs?: number; cpuMs?: number };
  /** Asks for a graceful stop (SIGTERM); resolves with the exit status. */
  stop(): Promise<number | null>;
}

/**
 * Waits for the readiness line (`readyMs`) in the JSON log `child` prints; `terminate` is how
 * SIGTERM reaches the server (the child itself, or through a container engine).
 */
export function whenReady(child: ChildProcess, terminate: () => void): Promise<Server> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let output = '';
  const ready: Server['ready'] = {};
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no readiness line in 120 s:\n${output}`)), 120_000);
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Server['ready'];
        if (entry.origin) ready.origin = entry.origin;
        if (entry.readyMs !== undefined) {
          Object.assign(ready, { readyMs: entry.readyMs, cpuMs: entry.cpuMs });
          console.log(`# ready in ${entry.readyMs} ms (${entry.cpuMs} ms CPU), database ${ready.origin}`);
          clearTimeout(timer);
          resolve({
            child,
            ready,
            stop: () => {
              terminate();
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it was ready:\n${output}`));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The text of the letter `sendLetter` sends and `assertOpens` reads back. */
const CONTENT = 'from a fresh clone';

/** A letter's round trip against the server at http://127.0.0.1:`port`. */
export function letterFlow(wechat: FakeWeChat, port: number) {
  const base = `http://127.0.0.1:${port}`;

  async function call<T>(method: string, path: string, token?: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function register(name: string, phone: string): Promise<TestUser> {
    const loginCode = `login-${name}-${Date.now()}`;
    const phoneCode = `phone-${name}-${Date.now()}`;
    wechat.addLoginCode(loginCode, `openid-${name}-${Date.now()}`);
    wechat.addPhoneCode(phoneCode, phone);
    const login = await call<AuthResponse>('POST', '/api/v1/auth/wechat', undefined, { code: loginCode });
    assert.equal(login.status, 200, login.text);
    const { token } = login.body;
    const phoned = await call('POST', '/api/v1/me/phone', token, { code: phoneCode });
    assert.equal(phoned.status, 200, phoned.text);
    const identity = generateIdentity(login.body.user.id);
    const backup = sealKeyBackup(identity, `master key of ${name}`, { iterations: 10_000 });
    const keyed = await call('PUT', '/api/v1/me/keys', token, {
      name,
      publicKey: base64urlEncode(identity.publicKey),
      backup,
    });
    assert.equal(keyed.status, 200, keyed.text);
    return { id: login.body.user.id, token, name, phone, identity };
  }

  /** Seals a letter from `sender` to `recipient` and uploads it; resolves with its id. */
  async function sendLetter(sender: TestUser, recipient: TestUser): Promise<string> {
    const letter = sealFor(sender, [recipient], { content: CONTENT });
    const created = await call<CreateEnvelopeResponse>('POST', '/api/v1/envelopes', sender.token, {
      envelope: letter,
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.url, `https://mifeng.example/s/${letter.id}`);
    return letter.id;
  }

  async function assertOpens(reader: TestUser, letterId: string) {
    const got = await call<GetEnvelopeResponse>('GET', `/api/v1/envelopes/${letterId}`, reader.token);
    assert.equal(got.status, 200, got.text);
    const opened = openEnvelope(got.body.envelope, {
      reader: reader.identity,
      senderPublicKey: base64urlDecode(got.body.sender.publicKey),
    });
    assert.equal(opened.content, CONTENT);
  }

  return { register, sendLetter, assertOpens };
}
