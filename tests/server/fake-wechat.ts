/**
 * A fake WeChat server API on loopback, for tests: the three endpoints our client calls, with WeChat's
 * JSON shapes and errcodes (see server/wechat/client.ts for the sources).
 *
 * - `GET  /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`
 *     → `{openid, session_key, unionid?}`; unknown or already used code → 40029.
 * - `POST /cgi-bin/stable_token {grant_type: 'client_credential', appid, secret, force_refresh}`
 *     → `{access_token, expires_in}`; normal mode hands out the current token while it is valid,
 *     `force_refresh: true` issues a new one and invalidates the old.
 * - `POST /wxa/business/getuserphonenumber?access_token= {code}`
 *     → `{errcode: 0, errmsg: 'ok', phone_info: {phoneNumber, purePhoneNumber, countryCode, watermark}}`;
 *     missing token 41001, unknown token 40001, expired token 42001, unknown or used code 40029.
 * - `POST /cgi-bin/message/subscribe/send?access_token= {touser, template_id, page?, data, miniprogram_state?, lang?}`
 *     → `{errcode: 0, errmsg: 'ok'}`, spending one of the user's one-time grants of that template;
 *     token errors as above, openid the app never saw 40003, template not added 40037, no grant
 *     left (or refused) 43101, `data` not `{keyword: {value}}` or a `thing` value over 20
 *     characters 47003, a bad `miniprogram_state` 41030, the template's daily quota (set with
 *     `setDailyQuota`) used up 45009.
 *
 * Wrong appid → 40013, wrong secret → 40125. Codes are single-use, like the real ones.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeWeChatApi = 'jscode2session' | 'stable_token' | 'getuserphonenumber' | 'subscribe_send';

/** A subscription message the fake accepted, as sent. */
export interface FakeSubscribeMessage {
  touser: string;
  template_id: string;
  page?: string;
  data: Record<string, { value: string }>;
  miniprogram_state?: string;
  lang?: string;
}

/**
 * What the next call to an API does instead of its normal work: answer a WeChat errcode, never answer
 * (`hang`, until the client gives up or the fake closes), answer HTTP 500, answer a body that is not
 * JSON, or answer exactly `body` (a WeChat that changed its answer's shape).
 */
export type FakeFailure = number | 'hang' | 'http_500' | 'not_json' | { body: unknown };

export interface FakePhone {
  phoneNumber: string;
  purePhoneNumber: string;
  /** A string in WeChat's docs, a number in WeChat's own example answer; tests may use either. */
  countryCode: string | number;
}

export interface FakeWeChatOptions {
  appId?: string;
  secret?: string;
  /** Lifetime of an issued access token (WeChat: 7 200 s). */
  tokenTtlSeconds?: number;
  /** The fake's clock, in ms, for token expiry; separate from the client's so tests can skew them. */
  now?: () => number;
}

export interface FakeWeChat {
  /** Base URL, e.g. `http://127.0.0.1:41234`: what WECHAT_API_BASE would be. */
  readonly url: string;
  readonly appId: string;
  readonly secret: string;
  /** Requests received per API, failed ones included. */
  readonly calls: Record<FakeWeChatApi, number>;
  /** Every stable_token request, in order, with its mode. */
  readonly tokenRequests: { forceRefresh: boolean }[];
  /** The token the fake currently accepts, if one was issued. */
  readonly currentToken: string | undefined;
  addLoginCode(code: string, openid: string, options?: { unionid?: string }): void;
  /** A bare number string is a mainland China number (country code 86). */
  addPhoneCode(code: string, phone: string | FakePhone): void;
  /** Subscription messages accepted, in order. */
  readonly messages: FakeSubscribeMessage[];
  /** A template the app added in the admin console (subscribeMessage.send knows it). */
  addTemplate(templateId: string): void;
  /** As if `openid` tapped "allow" on `templateId` `times` times (one-time grants add up). */
  subscribe(openid: string, templateId: string, times?: number): void;
  /** One-time grants `openid` has left for `templateId`. */
  grantsLeft(openid: string, templateId: string): number;
  /** Messages of `templateId` accepted "today" before 45009 answers (unset: no quota). */
  setDailyQuota(templateId: string, limit: number): void;
  /** subscribeMessage.send answers by errcode (0 = sent), for the test log. */
  readonly subscribeOutcomes: Record<number, number>;
  /** Queue a failure for the next call to `api`; several queue up in order. */
  failNext(api: FakeWeChatApi, failure: FakeFailure): void;
  /** As if someone else forced a refresh: a new current token, and the old one answers 40001. */
  rotateToken(): void;
  close(): Promise<void>;
}

const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40013: 'invalid appid',
  40029: 'invalid code',
  40125: 'invalid appsecret',
  40003: 'invalid openid',
  40037: 'invalid template_id',
  41001: 'access_token missing',
  41030: 'invalid page',
  42001: 'access_token expired',
  43101: 'user refuse to accept the msg',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  47003: 'argument invalid! data.thing1.value invalid',
  47001: 'data format error',
};

function errorBody(errcode: number): { errcode: number; errmsg: string } {
  const rid = randomBytes(4).toString('hex');
  return { errcode, errmsg: `${ERRMSG[errcode] ?? 'error'}, rid: ${rid}` };
}

export async function startFakeWeChat(options: FakeWeChatOptions = {}): Promise<FakeWeChat> {
  const appId = options.appId ?? 'wxfake0000000000';
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const ttl = options.tokenTtlSeconds ?? 7200;
  const now = options.now ?? Date.now;

  const loginCodes = new Map<string, { openid: string; unionid?: string }>();
  const phoneCodes = new Map<string, FakePhone>();
  const failures: Record<FakeWeChatApi, FakeFailure[]> = {
    jscode2session: [],
    stable_token: [],
    getuserphonenumber: [],
    subscribe_send: [],
  };
  const calls: Record<FakeWeChatApi, number> = {
    jscode2session: 0,
    stable_token: 0,
    getuserphonenumber: 0,
    subscribe_send: 0,
  };
  const templates = new Set<string>();
  const openids = new Set<string>();
  /** `${openid} ${templateId}` → one-time grants left. */
  const grants = new Map<string, number>();
  const messages: FakeSubscribeMessage[] = [];
  /** templateId → [daily limit, accepted today]. */
  const quotas = new Map<string, [number, number]>();
  const subscribeOutcomes: Record<number, number> = {};
  const tokenRequests: { forceRefresh: boolean }[] = [];
  let token: { value: string; expiresAt: number } | undefined;

  function issueToken(): void {
    token = { value: `fake-token-${randomBytes(12).toString('base64url')}`, expiresAt: now() + ttl * 1000 };
  }

  function send(res: ServerResponse, body: unknown, status = 200): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(text);
  }

  /** Applies a queued failure; true when it answered (or deliberately did not). */
  function failed(api: FakeWeChatApi, res: ServerResponse): boolean {
    const failure = failures[api].shift();
    if (failure === undefined) return false;
    if (failure === 'hang') return true;
    if (failure === 'http_500') {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html><body>500 Internal Server Error</body></html>');
    } else if (failure === 'not_json') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>gateway</body></html>');
    } else if (typeof failure === 'object') {
      send(res, failure.body);
    } else {
      send(res, errorBody(failure));
    }
    return true;
  }

  function jscode2session(url: URL): unknown {
    const q = url.searchParams;
    if (q.get('appid') !== appId) return errorBody(40013);
    if (q.get('secret') !== secret) return errorBody(40125);
    if (q.get('grant_type') !== 'authorization_code') return errorBody(40002);
    const code = q.get('js_code') ?? '';
    const login = loginCodes.get(code);
    if (!login) return errorBody(40029);
    loginCodes.delete(code);
    return { session_key: randomBytes(16).toString('base64'), ...login };
  }

  function stableToken(body: Record<string, unknown>): unknown {
    if (body.grant_type !== 'client_credential') return errorBody(40002);
    if (body.appid !== appId) return errorBody(40013);
    if (body.secret !== secret) return errorBody(40125);
    const forceRefresh = body.force_refresh === true;
    tokenRequests.push({ forceRefresh });
    if (forceRefresh || !token || now() >= token.expiresAt) issueToken();
    const current = token!;
    return { access_token: current.value, expires_in: Math.ceil((current.expiresAt - now()) / 1000) };
  }

  /** The errcode a presented access token earns, or undefined when it is the current one. */
  function tokenProblem(url: URL): number | undefined {
    const presented = url.searchParams.get('access_token');
    if (!presented) return 41001;
    // Superseded and made-up tokens get the same answer from WeChat.
    if (!token || presented !== token.value) return 40001;
    if (now() >= token.expiresAt) return 42001;
    return undefined;
  }

  /** `thing` keywords hold at most 20 characters (WeChat's keyword rules). */
  function badData(data: unknown): boolean {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return true;
    const entries = Object.entries(data as Record<string, unknown>);
    if (entries.length === 0) return true;
    return entries.some(([keyword, v]) => {
      const value = (v as { value?: unknown } | null)?.value;
      if (typeof value !== 'string' || value === '') return true;
      return keyword.startsWith('thing') && [...value].length > 20;
    });
  }

  function subscribeSend(url: URL, body: Record<string, unknown>): unknown {
    const answer = subscribeAnswer(url, body) as { errcode: number };
    subscribeOutcomes[answer.errcode] = (subscribeOutcomes[answer.errcode] ?? 0) + 1;
    return answer;
  }

  function subscribeAnswer(url: URL, body: Record<string, unknown>): unknown {
    const problem = tokenProblem(url);
    if (problem) return errorBody(problem);
    const touser = typeof body.touser === 'string' ? body.touser : '';
    const templateId = typeof body.template_id === 'string' ? body.template_id : '';
    if (!openids.has(touser)) return errorBody(40003);
    if (!templates.has(templateId)) return errorBody(40037);
    const state = body.miniprogram_state;
    if (state !== undefined && state !== 'developer' && state !== 'trial' && state !== 'formal') {
      return errorBody(41030);
    }
    if (badData(body.data)) return errorBody(47003);
    const key = `${touser} ${templateId}`;
    const left = grants.get(key) ?? 0;
    if (left === 0) return errorBody(43101);
    const quota = quotas.get(templateId);
    if (quota && quota[1] >= quota[0]) return errorBody(45009);
    if (quota) quota[1]++;
    grants.set(key, left - 1);
    messages.push(body as unknown as FakeSubscribeMessage);
    return { errcode: 0, errmsg: 'ok' };
  }

  function getUserPhoneNumber(url: URL, body: Record<string, unknown>): unknown {
    const problem = tokenProblem(url);
    if (problem) return errorBody(problem);
    const code = typeof body.code === 'string' ? body.code : '';
    const phone = phoneCodes.get(code);
    if (!phone) return errorBody(40029);
    phoneCodes.delete(code);
    return {
      errcode: 0,
      errmsg: 'ok',
      phone_info: { ...phone, watermark: { timestamp: Math.floor(now() / 1000), appid: appId } },
    };
  }

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    const api: FakeWeChatApi | undefined =
      route === 'GET /sns/jscode2session'
        ? 'jscode2session'
        : route === 'POST /cgi-bin/stable_token'
          ? 'stable_token'
          : route === 'POST /wxa/business/getuserphonenumber'
            ? 'getuserphonenumber'
            : route === 'POST /cgi-bin/message/subscribe/send'
              ? 'subscribe_send'
              : undefined;
    if (!api) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    calls[api]++;
    const body = req.method === 'POST' ? await readJson(req) : {};
    if (failed(api, res)) return;
    if (!body) send(res, errorBody(47001));
    else if (api === 'jscode2session') send(res, jscode2session(url));
    else if (api === 'stable_token') send(res, stableToken(body));
    else if (api === 'subscribe_send') send(res, subscribeSend(url, body));
    else send(res, getUserPhoneNumber(url, body));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    appId,
    secret,
    calls,
    tokenRequests,
    get currentToken() {
      return token?.value;
    },
    messages,
    addTemplate(templateId) {
      templates.add(templateId);
    },
    subscribe(openid, templateId, times = 1) {
      openids.add(openid);
      const key = `${openid} ${templateId}`;
      grants.set(key, (grants.get(key) ?? 0) + times);
    },
    grantsLeft(openid, templateId) {
      return grants.get(`${openid} ${templateId}`) ?? 0;
    },
    setDailyQuota(templateId, limit) {
      quotas.set(templateId, [limit, 0]);
    },
    subscribeOutcomes,
    addLoginCode(code, openid, opts = {}) {
      openids.add(openid);
      loginCodes.set(code, opts.unionid ? { openid, unionid: opts.unionid } : { openid });
    },
    addPhoneCode(code, phone) {
      phoneCodes.set(
        code,
        typeof phone === 'string' ? { phoneNumber: phone, purePhoneNumber: phone, countryCode: '86' } : phone,
      );
    },
    failNext(api, failure) {
      failures[api].push(failure);
    },
    rotateToken() {
      issueToken();
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Hanging requests would otherwise keep close() waiting forever.
        server.closeAllConnections();
      });
    },
  };
}
