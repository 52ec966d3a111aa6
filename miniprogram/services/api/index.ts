/**
 * The HTTP client of the Mifeng API (docs/api.md): one function per endpoint, each checking the
 * server's answer against the shared/api schema for that status before returning it. Failures are
 * `ApiError`s carrying the server's stable error `code` (or `network` / `bad_response`); the UI maps
 * codes to words (i18n), people never see them.
 */
import { config } from '../../config';
import {
  type AuthResponse,
  AuthResponseSchema,
  type Box,
  type CreateEnvelopeResponse,
  CreateEnvelopeResponseSchema,
  type EnvelopeJson,
  ErrorResponseSchema,
  type GetEnvelopeResponse,
  GetEnvelopeResponseSchema,
  type KeyBackupJson,
  type ListEnvelopesResponse,
  ListEnvelopesResponseSchema,
  type LookupResponse,
  LookupResponseSchema,
  type MeResponse,
  MeResponseSchema,
  UserKeyResponseSchema,
} from '../../lib';

/** `code` values the client itself produces, next to the server's registry codes. */
export const CLIENT_CODES = {
  /** No answer: offline, DNS, TLS, timeout. */
  NETWORK: 'network',
  /** An answer that does not match the API contract. */
  BAD_RESPONSE: 'bad_response',
} as const;

export class ApiError extends Error {
  readonly code: string;
  /** HTTP status, or 0 when no answer came. */
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

export function isApiError(err: unknown, status?: number): err is ApiError {
  return err instanceof ApiError && (status === undefined || err.status === status);
}

interface Parser<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: unknown };
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

let token: string | null = null;
let reauthenticate: (() => Promise<void>) | null = null;

/** Sets the bearer token sent with every call (null = signed out). */
export function setToken(value: string | null): void {
  token = value;
}

export function getToken(): string | null {
  return token;
}

/** Called once when an authenticated call answers 401 (token expired): signs in again, then retries. */
export function onUnauthorized(handler: (() => Promise<void>) | null): void {
  reauthenticate = handler;
}

interface RawResponse {
  status: number;
  data: unknown;
}

function send(method: Method, path: string, body: unknown): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const header: Record<string, string> = {};
    if (token) header.Authorization = `Bearer ${token}`;
    wx.request({
      url: `${config.apiBaseUrl}${path}`,
      method,
      // GET carries no body; other methods always send JSON (an empty object when there is nothing
      // to say), because WeChat labels every request application/json and Fastify refuses an empty
      // JSON body.
      ...(method === 'GET' ? {} : { data: (body ?? {}) as WechatMiniprogram.IAnyObject }),
      header,
      dataType: 'json',
      timeout: config.requestTimeoutMs,
      success: (res) => resolve({ status: res.statusCode, data: res.data }),
      fail: (err) => reject(new ApiError(CLIENT_CODES.NETWORK, 0, err.errMsg)),
    });
  });
}

function errorFrom(res: RawResponse): ApiError {
  const parsed = ErrorResponseSchema.safeParse(res.data);
  if (parsed.success) return new ApiError(parsed.data.error.code, res.status, parsed.data.error.message);
  return new ApiError(CLIENT_CODES.BAD_RESPONSE, res.status, `HTTP ${res.status} without an error body`);
}

async function call<T>(
  method: Method,
  path: string,
  options: { body?: unknown; expect: number; schema: Parser<T> | null; retry?: boolean },
): Promise<T> {
  const res = await send(method, path, options.body);
  if (res.status === 401 && options.retry !== false && reauthenticate && token) {
    await reauthenticate();
    return call(method, path, { ...options, retry: false });
  }
  if (res.status !== options.expect) throw errorFrom(res);
  if (options.schema === null) return undefined as T;
  const parsed = options.schema.safeParse(res.data);
  if (!parsed.success) {
    throw new ApiError(
      CLIENT_CODES.BAD_RESPONSE,
      res.status,
      `${method} ${path}: answer does not match the contract`,
    );
  }
  return parsed.data;
}

const P = '/api/v1';

/** `POST /auth/wechat`: exchanges a wx.login code. */
export function loginWeChat(code: string): Promise<AuthResponse> {
  return call('POST', `${P}/auth/wechat`, {
    body: { code },
    expect: 200,
    schema: AuthResponseSchema,
    retry: false,
  });
}

/** `POST /auth/dev`: the dev login (servers with DEV_LOGIN=on only). */
export function loginDev(openid: string): Promise<AuthResponse> {
  return call('POST', `${P}/auth/dev`, {
    body: { openid },
    expect: 200,
    schema: AuthResponseSchema,
    retry: false,
  });
}

/** `GET /me`: profile, current public key and key backup. */
export function getMe(): Promise<MeResponse> {
  return call('GET', `${P}/me`, { expect: 200, schema: MeResponseSchema });
}

/** `POST /me/phone`: a getPhoneNumber code, or (dev login) the number itself. */
export function setPhone(body: { code: string } | { phone: string }): Promise<MeResponse> {
  return call('POST', `${P}/me/phone`, { body, expect: 200, schema: MeResponseSchema });
}

/** `PUT /me/keys`: completes registration, or replaces the key backup. */
export function setKeys(body: {
  name: string;
  publicKey: string;
  backup: KeyBackupJson;
}): Promise<MeResponse> {
  return call('PUT', `${P}/me/keys`, { body, expect: 200, schema: MeResponseSchema });
}

/** `POST /recipients/lookup`: the user behind a name + phone, or null (one answer for every miss). */
export async function lookupRecipient(name: string, phone: string): Promise<LookupResponse | null> {
  try {
    return await call('POST', `${P}/recipients/lookup`, {
      body: { name, phone },
      expect: 200,
      schema: LookupResponseSchema,
    });
  } catch (err) {
    if (isApiError(err, 404)) return null;
    throw err;
  }
}

/** `GET /users/:id/key`. */
export function getUserKey(id: string): Promise<{ publicKey: string; keyId: string }> {
  return call('GET', `${P}/users/${encodeURIComponent(id)}/key`, {
    expect: 200,
    schema: UserKeyResponseSchema,
  });
}

/** `POST /envelopes`: uploads a sealed envelope; answers its id and QR URL. */
export function createEnvelope(envelope: EnvelopeJson): Promise<CreateEnvelopeResponse> {
  return call('POST', `${P}/envelopes`, {
    body: { envelope },
    expect: 201,
    schema: CreateEnvelopeResponseSchema,
  });
}

/** `GET /envelopes/:id`: the envelope with its sender (and, for the sender, who opened it). */
export function getEnvelope(id: string): Promise<GetEnvelopeResponse> {
  return call('GET', `${P}/envelopes/${encodeURIComponent(id)}`, {
    expect: 200,
    schema: GetEnvelopeResponseSchema,
  });
}

/** `GET /envelopes?box=`: one page of metadata, newest first. */
export function listEnvelopes(box: Box, cursor?: string | null): Promise<ListEnvelopesResponse> {
  const query = `box=${box}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  return call('GET', `${P}/envelopes?${query}`, { expect: 200, schema: ListEnvelopesResponseSchema });
}

/** `DELETE /envelopes/:id`: revokes (sender only). */
export function revokeEnvelope(id: string): Promise<void> {
  return call('DELETE', `${P}/envelopes/${encodeURIComponent(id)}`, { expect: 204, schema: null });
}
