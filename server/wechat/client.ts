/**
 * The one client for WeChat's server API (developers.weixin.qq.com, mini program server API):
 *
 * - `GET  /sns/jscode2session`               login code → openid (auth.code2Session)
 * - `POST /cgi-bin/stable_token`             the app's access token (getStableAccessToken)
 * - `POST /wxa/business/getuserphonenumber`  phone code → phone number (phonenumber.getPhoneNumber)
 * - `POST /cgi-bin/message/subscribe/send`    a subscription message to one user (subscribeMessage.send)
 *
 * What it adds over bare fetch: WeChat's `errcode`s become coded {@link MifengError}s the API can
 * answer with; the access token is cached until shortly before it expires, and concurrent callers
 * share one in-flight token request; a rejected token is refreshed once and the call retried once.
 *
 * Secrets stay inside: the session_key WeChat returns is dropped on the spot, and no error message
 * carries the app secret, an access token, a login or phone code, or a phone number (errors name the
 * API and WeChat's errcode only), because error messages end up in logs.
 */
import { type ErrorName, MifengError } from '../../shared/errors';

/** Which WeChat API a call or an error belongs to (the last path segment of its URL). */
export type WeChatApi = 'jscode2session' | 'stable_token' | 'getuserphonenumber' | 'send';

export interface WeChatClientOptions {
  /** Scheme and host (optionally a path prefix) of the API: `https://api.weixin.qq.com` in production. */
  baseUrl: string;
  appId: string;
  secret: string;
  /** Per request, connection to last body byte. */
  timeoutMs?: number;
  /** Injected for tests; defaults to Node's global fetch. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injected so tests can move past a token's expiry. */
  now?: () => number;
}

export interface WeChatSession {
  openid: string;
  /** Only when the app is bound to a WeChat Open Platform account. */
  unionid?: string;
}

export interface WeChatPhone {
  /** With the country code for numbers outside mainland China (WeChat's wording). */
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

/**
 * One subscription message (subscribeMessage.send): `data` maps the template's keywords (`thing1`,
 * `time2`, …) to their values; `page` is where tapping it opens the mini program.
 */
export interface WeChatSubscribeMessage {
  /** The recipient's openid. */
  touser: string;
  templateId: string;
  page?: string;
  data: Record<string, string>;
  /** Which version of the mini program the tap opens: WeChat's default is `formal`. */
  miniprogramState?: 'developer' | 'trial' | 'formal';
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';
}

export interface WeChatClient {
  code2Session(code: string): Promise<WeChatSession>;
  getPhoneNumber(code: string): Promise<WeChatPhone>;
  /** Resolves once WeChat accepted the message; `WeChatNotSubscribed` when the user has no grant. */
  sendSubscribeMessage(message: WeChatSubscribeMessage): Promise<void>;
}

/** A {@link MifengError} that also says which WeChat API failed and, when WeChat answered, its errcode. */
export class WeChatApiError extends MifengError {
  readonly api: WeChatApi;
  readonly errcode: number | undefined;

  constructor(name: ErrorName, api: WeChatApi, errcode: number | undefined, detail: string) {
    super(name, `${api}: ${detail}`);
    this.api = api;
    this.errcode = errcode;
  }
}

/**
 * The errcodes that change what we do. Source: WeChat's global return codes ("全局返回码") and the
 * return-value tables of code2Session, getStableAccessToken and getPhoneNumber.
 */
export const WECHAT_ERRCODE = {
  /** "System busy, try again later". */
  BUSY: -1,
  OK: 0,
  /** Access token invalid: superseded by a forced refresh elsewhere, or never valid. */
  INVALID_TOKEN: 40001,
  /** Code invalid or expired (also what a second use of a code answers). */
  INVALID_CODE: 40029,
  /** Code already used. */
  CODE_USED: 40163,
  /** Access token expired. */
  TOKEN_EXPIRED: 42001,
  /** subscribeMessage.send: `touser` is not an openid of this app. */
  INVALID_OPENID: 40003,
  /** subscribeMessage.send: no such template on this app (deleted, or another app's). */
  INVALID_TEMPLATE: 40037,
  /** subscribeMessage.send: the user refused, or spent every one-time grant of this template. */
  NOT_SUBSCRIBED: 43101,
  /** subscribeMessage.send: the template's daily quota of messages is used up (until tomorrow). */
  DAILY_QUOTA: 45009,
  /** API call frequency limit reached. */
  RATE_LIMITED: 45011,
  /** subscribeMessage.send: a `data` value does not fit its keyword (e.g. a `thing` over 20 characters). */
  INVALID_DATA: 47003,
} as const;

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Refresh this long before WeChat's `expires_in` runs out (7 200 s for a fresh token), so a token
 * never expires between our check and WeChat's.
 */
const TOKEN_REFRESH_MARGIN_S = 300;

/** Login and phone codes are short opaque strings; anything longer is not worth a round trip. */
const MAX_CODE_LENGTH = 256;

/** Token errcodes after which one refresh and one retry can help. */
const TOKEN_REJECTED = new Set<number>([WECHAT_ERRCODE.INVALID_TOKEN, WECHAT_ERRCODE.TOKEN_EXPIRED]);

type Json = Record<string, unknown>;

export function createWeChatClient(options: WeChatClientOptions): WeChatClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const { appId, secret } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;

  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  async function call(api: WeChatApi, url: URL, body?: Json): Promise<Json> {
    let text: string;
    try {
      const res = await fetchImpl(url, {
        method: body ? 'POST' : 'GET',
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : null,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read the body even when the status is bad, under the same timeout, so the socket is released.
      text = await res.text();
      if (res.status >= 500)
        throw new WeChatApiError('WeChatUnavailable', api, undefined, `HTTP ${res.status}`);
      if (res.status !== 200) throw new WeChatApiError('WeChatError', api, undefined, `HTTP ${res.status}`);
    } catch (err) {
      if (err instanceof WeChatApiError) throw err;
      // Deliberately not kept as `cause`: fetch errors can carry the request URL, and the
      // jscode2session URL holds the app secret.
      throw new WeChatApiError('WeChatUnavailable', api, undefined, describeFetchFailure(err, timeoutMs));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WeChatApiError('WeChatError', api, undefined, 'the answer is not JSON');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new WeChatApiError('WeChatError', api, undefined, 'the answer is not a JSON object');
    }
    return json as Json;
  }

  function url(path: string, query: Record<string, string> = {}): URL {
    const u = new URL(base + path);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u;
  }

  async function requestToken(forceRefresh: boolean): Promise<{ token: string; expiresIn: number }> {
    const json = await call('stable_token', url('/cgi-bin/stable_token'), {
      grant_type: 'client_credential',
      appid: appId,
      secret,
      force_refresh: forceRefresh,
    });
    throwOnErrcode('stable_token', json);
    const { access_token: token, expires_in: expiresIn } = json;
    if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw new WeChatApiError('WeChatError', 'stable_token', undefined, 'no access_token/expires_in');
    }
    return { token, expiresIn };
  }

  async function fetchToken(rejected: string | undefined): Promise<string> {
    const startedAt = now();
    // Normal mode first, even after a rejection: when another server instance forced a refresh, normal
    // mode hands us the new token without invalidating it again (forcing from every instance would
    // make them invalidate each other's tokens in turn). Force only if WeChat insists on the token it
    // just rejected.
    let { token, expiresIn } = await requestToken(false);
    if (token === rejected) ({ token, expiresIn } = await requestToken(true));
    const validFor = Math.max(expiresIn - TOKEN_REFRESH_MARGIN_S, expiresIn / 2);
    cached = { token, refreshAt: startedAt + validFor * 1000 };
    return token;
  }

  /** The cached token, or one shared request for a new one; `rejected` is a token WeChat refused. */
  function accessToken(rejected?: string): Promise<string> {
    if (cached && cached.token !== rejected && now() < cached.refreshAt) return Promise.resolve(cached.token);
    if (cached?.token === rejected) cached = undefined;
    inflight ??= fetchToken(rejected).finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  async function freshTokenAfter(rejected: string): Promise<string> {
    const token = await accessToken(rejected);
    // A request already in flight when WeChat rejected the token may have brought back that same token.
    return token === rejected ? accessToken(rejected) : token;
  }

  return {
    async code2Session(code) {
      checkCode('jscode2session', code);
      const json = await call(
        'jscode2session',
        url('/sns/jscode2session', {
          appid: appId,
          secret,
          js_code: code,
          grant_type: 'authorization_code',
        }),
      );
      throwOnErrcode('jscode2session', json);
      // session_key is not read at all: we never decrypt wx.getUserInfo data, so it has no use here.
      const { openid, unionid } = json;
      if (typeof openid !== 'string' || openid === '') {
        throw new WeChatApiError('WeChatError', 'jscode2session', undefined, 'no openid in the answer');
      }
      return typeof unionid === 'string' && unionid !== '' ? { openid, unionid } : { openid };
    },

    async sendSubscribeMessage(message) {
      const body: Json = {
        touser: message.touser,
        template_id: message.templateId,
        data: Object.fromEntries(Object.entries(message.data).map(([k, value]) => [k, { value }])),
        ...(message.page ? { page: message.page } : {}),
        ...(message.miniprogramState ? { miniprogram_state: message.miniprogramState } : {}),
        ...(message.lang ? { lang: message.lang } : {}),
      };
      const send = (token: string) =>
        call('send', url('/cgi-bin/message/subscribe/send', { access_token: token }), body);
      const token = await accessToken();
      let json = await send(token);
      if (TOKEN_REJECTED.has(errcodeOf(json))) json = await send(await freshTokenAfter(token));
      throwOnErrcode('send', json);
    },

    async getPhoneNumber(code) {
      checkCode('getuserphonenumber', code);
      const ask = (token: string) =>
        call('getuserphonenumber', url('/wxa/business/getuserphonenumber', { access_token: token }), {
          code,
        });
      const token = await accessToken();
      let json = await ask(token);
      if (TOKEN_REJECTED.has(errcodeOf(json))) json = await ask(await freshTokenAfter(token));
      throwOnErrcode('getuserphonenumber', json);
      return parsePhoneInfo(json.phone_info);
    },
  };
}

function checkCode(api: WeChatApi, code: unknown): asserts code is string {
  if (typeof code !== 'string' || code.length === 0 || code.length > MAX_CODE_LENGTH) {
    throw new WeChatApiError('WeChatInvalidCode', api, undefined, 'empty, oversized or not a string');
  }
}

/** Success answers carry `errcode: 0` or, for jscode2session and stable_token, no errcode at all. */
function errcodeOf(json: Json): number {
  const { errcode } = json;
  return typeof errcode === 'number' ? errcode : WECHAT_ERRCODE.OK;
}

function throwOnErrcode(api: WeChatApi, json: Json): void {
  const errcode = errcodeOf(json);
  if (errcode === WECHAT_ERRCODE.OK) return;
  throw new WeChatApiError(errorNameFor(errcode), api, errcode, `errcode ${errcode}`);
}

function errorNameFor(errcode: number): ErrorName {
  switch (errcode) {
    case WECHAT_ERRCODE.INVALID_CODE:
    case WECHAT_ERRCODE.CODE_USED:
      return 'WeChatInvalidCode';
    case WECHAT_ERRCODE.RATE_LIMITED:
      return 'WeChatRateLimited';
    case WECHAT_ERRCODE.BUSY:
      return 'WeChatBusy';
    case WECHAT_ERRCODE.NOT_SUBSCRIBED:
      return 'WeChatNotSubscribed';
    default:
      return 'WeChatError';
  }
}

function parsePhoneInfo(info: unknown): WeChatPhone {
  if (typeof info === 'object' && info !== null) {
    const { phoneNumber, purePhoneNumber, countryCode } = info as Json;
    // WeChat documents countryCode as a string but its own example answer has the number 86.
    if (
      typeof phoneNumber === 'string' &&
      phoneNumber !== '' &&
      typeof purePhoneNumber === 'string' &&
      purePhoneNumber !== '' &&
      (typeof countryCode === 'string' || typeof countryCode === 'number')
    ) {
      return { phoneNumber, purePhoneNumber, countryCode: String(countryCode) };
    }
  }
  throw new WeChatApiError('WeChatError', 'getuserphonenumber', undefined, 'no usable phone_info');
}

function describeFetchFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' ? `network error ${code}` : 'network error';
}
