/**
 * The HTTP client of the Mifeng API: `wx.request` as the transport of shared/api's contract client,
 * which builds every call from the route's contract and checks the server's answer against the
 * schema for that status. Failures are `ApiError`s carrying the server's stable error `code` (or
 * `network` / `bad_response`); the UI maps codes to words (i18n), people never see them.
 */
import { config } from '../../config';
import {
  ApiError,
  type AuthResponse,
  authContract,
  type Box,
  type CallInput,
  type CallOutput,
  CLIENT_CODES,
  type Contract,
  type CreateEnvelopeResponse,
  call,
  type EnvelopeJson,
  type EnvelopeStatus,
  envelopesContract,
  type GetEnvelopeResponse,
  type HttpRequest,
  type HttpResponse,
  isApiError,
  type KeyBackupJson,
  type KeyChange,
  type KeysSetResponse,
  type ListEnvelopesResponse,
  type LogEntry,
  type LookupResponse,
  logContract,
  type MeResponse,
  type MyKeysResponse,
  meContract,
  type NotificationKind,
  type NotificationsResponse,
  notificationsContract,
  type PendingEntry,
  type PendingInput,
  parseJsonBody,
  pendingContract,
  recipientsContract,
  retryAfterSeconds,
  type SignedTreeHead,
  type UserKeyResponse,
} from '../../lib';

export { ApiError, CLIENT_CODES, isApiError };

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

/** A response header by name: WeChat keeps the server's spelling of header names. */
function headerOf(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return String(value);
  }
  return undefined;
}

/** `wx.request` as a transport; rejects only when no answer came. */
function wxTransport(request: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const header: Record<string, string> = {};
    if (token) header.Authorization = `Bearer ${token}`;
    wx.request({
      url: `${config.apiBaseUrl}${request.path}`,
      method: request.method,
      // GET carries no body; other methods always send JSON (an empty object when there is nothing
      // to say), because WeChat labels every request application/json and Fastify refuses an empty
      // JSON body.
      ...(request.method === 'GET' ? {} : { data: (request.body ?? {}) as WechatMiniprogram.IAnyObject }),
      header,
      // The text as received, parsed here: WeChat's own parsing keeps the last of a member named
      // twice, where the protocol refuses the whole answer (docs/protocol.md §2).
      dataType: 'text',
      timeout: config.requestTimeoutMs,
      success: (res) => {
        const retryAfter = retryAfterSeconds(headerOf(res.header, 'retry-after'));
        let body: unknown;
        try {
          body = parseJsonBody(typeof res.data === 'string' ? res.data : '');
        } catch (err) {
          reject(err);
          return;
        }
        resolve({ status: res.statusCode, body, ...(retryAfter === undefined ? {} : { retryAfter }) });
      },
      fail: (err) => reject(new ApiError(CLIENT_CODES.NETWORK, 0, err.errMsg)),
    });
  });
}

/** `call` over wx.request; an authenticated call answering 401 signs in again and retries once. */
async function send<C extends Contract>(
  contract: C,
  input: CallInput<C>,
  retry = true,
): Promise<CallOutput<C>> {
  try {
    return await call(contract, input, wxTransport);
  } catch (err) {
    if (retry && isApiError(err, 401) && reauthenticate && token) {
      await reauthenticate();
      return send(contract, input, false);
    }
    throw err;
  }
}

/** `POST /auth/wechat`: exchanges a wx.login code. */
export function loginWeChat(code: string): Promise<AuthResponse> {
  return send(authContract.wechat, { body: { code } }, false);
}

/** `POST /auth/dev`: the dev login (servers with DEV_LOGIN=on only). */
export function loginDev(openid: string): Promise<AuthResponse> {
  return send(authContract.dev, { body: { openid } }, false);
}

/** `GET /me`: profile, current public key, key backup and the server's limits. */
export function getMe(): Promise<MeResponse> {
  return send(meContract.get, {});
}

/** `POST /me/phone`: a getPhoneNumber code, or (dev login) the number itself. */
export function setPhone(body: { code: string } | { phone: string }): Promise<MeResponse> {
  return send(meContract.setPhone, { body });
}

/**
 * `PUT /me/keys`: completes registration, or (with a statement signed by the current key) replaces
 * the key or its backup. Answers the profile and a new token: older tokens stop working.
 */
export function setKeys(body: {
  name: string;
  publicKey: string;
  backup: KeyBackupJson;
  statement?: KeyChange;
}): Promise<KeysSetResponse> {
  return send(meContract.setKeys, { body });
}

/**
 * `POST /me/keys/reset`: a new key when the old one is lost (forgotten master key), allowed only
 * shortly after a WeChat sign-in; recorded as an unsigned reset. Answers the profile and a new token.
 */
export function resetKeys(body: {
  name: string;
  publicKey: string;
  backup: KeyBackupJson;
}): Promise<KeysSetResponse> {
  return send(meContract.resetKeys, { body });
}

/** `GET /me/keys`: the own key history and every backup stored, newest first. */
export function getMyKeys(): Promise<MyKeysResponse> {
  return send(meContract.keys, {});
}

/** `POST /auth/logout`: revokes every token of this account, this one included. */
export async function logout(): Promise<void> {
  await send(authContract.logout, {}, false);
}

/** `GET /me/contacts`: the sealed contact book (base64url, null before the first write) and its counter. */
export function getContacts(): Promise<{ blob: string | null; counter: number }> {
  return send(meContract.contacts, {});
}

/** `PUT /me/contacts`: stores the next copy; 409 unless `counter` is the stored one plus 1. */
export async function putContacts(blob: string, counter: number): Promise<void> {
  await send(meContract.putContacts, { body: { blob, counter } });
}

/** `POST /recipients/lookup`: the user behind a name + phone, or null (one answer for every miss). */
export async function lookupRecipient(name: string, phone: string): Promise<LookupResponse | null> {
  try {
    return await send(recipientsContract.lookup, { body: { name, phone } });
  } catch (err) {
    if (isApiError(err, 404)) return null;
    throw err;
  }
}

/**
 * `POST /envelopes`: uploads a sealed envelope, and the people not registered yet it waits for;
 * answers its id and QR URL.
 */
export function createEnvelope(
  envelope: EnvelopeJson,
  pending: PendingInput[] = [],
): Promise<CreateEnvelopeResponse> {
  return send(envelopesContract.create, { body: { envelope, ...(pending.length ? { pending } : {}) } });
}

/** `GET /pending`: my letters waiting for people not registered yet, newest first. */
export async function listPending(): Promise<PendingEntry[]> {
  return (await send(pendingContract.list, {})).items;
}

/** `POST /pending/:id/deliver`: the letter sealed again for the entry's recipient, once registered. */
export function deliverPending(id: string, envelope: EnvelopeJson): Promise<CreateEnvelopeResponse> {
  return send(pendingContract.deliver, { params: { id }, body: { envelope } });
}

/** `DELETE /pending/:id`: cancels an entry not delivered yet. */
export function cancelPending(id: string): Promise<void> {
  return send(pendingContract.cancel, { params: { id } });
}

/** `GET /me/notifications`: the server's template ids and my grants left. */
export function getNotifications(): Promise<NotificationsResponse> {
  return send(notificationsContract.get, {});
}

/** `POST /me/notifications`: the kinds accepted in one wx.requestSubscribeMessage. */
export function grantNotifications(accepted: NotificationKind[]): Promise<NotificationsResponse> {
  return send(notificationsContract.grant, { body: { accepted } });
}

/** `GET /envelopes/:id`: the envelope with its sender (and, for the sender, who opened it). */
export function getEnvelope(id: string): Promise<GetEnvelopeResponse> {
  return send(envelopesContract.get, { params: { id } });
}

/** `GET /envelopes?box=`: one page of metadata, newest first. */
export function listEnvelopes(box: Box, cursor?: string | null): Promise<ListEnvelopesResponse> {
  return send(envelopesContract.list, { query: { box, ...(cursor ? { cursor } : {}) } });
}

/** `POST /envelopes/:id/opened`: tells the sender this recipient decrypted the letter. */
export function confirmOpened(id: string): Promise<void> {
  return send(envelopesContract.opened, { params: { id } });
}

/** `GET /envelopes/:id/status`: state, read limit and my opens left, without using an open. */
export function envelopeStatus(id: string): Promise<EnvelopeStatus> {
  return send(envelopesContract.status, { params: { id } });
}

/** `POST /envelopes/:id/remove`: removes a letter from my inbox or (once closed) my sent box. */
export function removeEnvelope(id: string): Promise<void> {
  return send(envelopesContract.remove, { params: { id } });
}

/** `DELETE /me`: deletes the account; the session must have signed in with WeChat just before. */
export function deleteMe(): Promise<void> {
  return send(meContract.delete, {}, false);
}

/** `DELETE /envelopes/:id`: revokes (sender only). */
export function revokeEnvelope(id: string): Promise<void> {
  return send(envelopesContract.revoke, { params: { id } });
}

/** `GET /users/:id/key`: a user's current key, its history and where it stands in the log. */
export function getUserKey(id: string): Promise<UserKeyResponse> {
  return send(recipientsContract.userKey, { params: { id } });
}

/** `GET /log/head`: the transparency log's newest signed head. */
export function getLogHead(): Promise<SignedTreeHead> {
  return send(logContract.head, {});
}

/** `GET /log/key`: the log's key and the rotations from older keys (followed from the built-in one). */
export function getLogKey(): Promise<{ publicKey: string; rotations: unknown[] }> {
  return send(logContract.key, {});
}

/**
 * `GET /log/consistency`: the proof that the tree of `first` leaves is a prefix of `second`'s, or
 * null when the server gives none (an answer for other sizes, or a 404 for a size it signed).
 */
export async function getLogConsistency(first: number, second: number): Promise<string[] | null> {
  try {
    const answer = await send(logContract.consistency, {
      query: { first: String(first), second: String(second) },
    });
    return answer.first === first && answer.second === second ? answer.proof : null;
  } catch (err) {
    // "The log is smaller than that": but the log signed a head of that size. No proof.
    if (isApiError(err, 404)) return null;
    throw err;
  }
}

/** `GET /log/users/:id`: every key event of a user, oldest first. */
export async function getLogEvents(id: string): Promise<LogEntry[]> {
  return (await send(logContract.userEvents, { params: { id } })).events;
}
