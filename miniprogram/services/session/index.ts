/**
 * Who is signed in: the API token (kept in local storage across launches), the user and their
 * profile (`GET /me`). Signing in is `wx.login` → `POST /auth/wechat`, or the dev login with a random
 * per-device openid when `config.loginMode` is `dev`.
 */
import { config } from '../../config';
import { type AuthResponse, base64urlEncode, MAX_EXPIRY_DAYS, type MeResponse, randomBytes } from '../../lib';
import * as api from '../api';
import { lock } from '../keyring/state';
import { whenRandomReady } from '../random';
import { clearStorage, readStorage, removeStorage, writeStorage, wxCall } from '../wxp';

/** Local storage keys. */
const STORAGE = {
  TOKEN: 'mifeng.token',
  DEV_OPENID: 'mifeng.devOpenid',
} as const;

let me: MeResponse | null = null;
let signingIn: Promise<MeResponse> | null = null;

async function devOpenid(): Promise<string> {
  const stored = readStorage<string>(STORAGE.DEV_OPENID);
  if (stored) return stored;
  await whenRandomReady();
  const openid = `dev-${base64urlEncode(randomBytes(16))}`;
  writeStorage(STORAGE.DEV_OPENID, openid);
  return openid;
}

async function login(): Promise<AuthResponse> {
  if (config.loginMode === 'dev') return api.loginDev(await devOpenid());
  const { code } = await wxCall<WechatMiniprogram.LoginSuccessCallbackResult>(wx.login, {});
  return api.loginWeChat(code);
}

/** Uses `token` from now on, and after a restart. */
export function rememberToken(token: string): void {
  api.setToken(token);
  writeStorage(STORAGE.TOKEN, token);
}

async function freshLogin(): Promise<void> {
  rememberToken((await login()).token);
}

api.onUnauthorized(freshLogin);

/**
 * Signs in with WeChat again (`wx.login`, or the dev login) even when a token is stored, and
 * reloads the profile: a key reset is allowed only shortly after such a sign-in.
 */
export async function signInAfresh(): Promise<MeResponse> {
  await freshLogin();
  me = await api.getMe();
  return me;
}

/**
 * Signs in (reusing a stored token when the server still accepts it) and loads the profile.
 * Concurrent callers share one attempt.
 */
export function signIn(): Promise<MeResponse> {
  if (me) return Promise.resolve(me);
  if (signingIn) return signingIn;
  signingIn = (async () => {
    const stored = readStorage<string>(STORAGE.TOKEN);
    if (stored) api.setToken(stored);
    else await freshLogin();
    // A stale stored token answers 401; the api client then signs in afresh and retries once.
    me = await api.getMe();
    return me;
  })();
  return signingIn.then(
    (value) => {
      signingIn = null;
      return value;
    },
    (err: unknown) => {
      signingIn = null;
      throw err;
    },
  );
}

/** Whether this phone holds a sign-in from before (the app was used here and not logged out). */
export function hasStoredSession(): boolean {
  return readStorage<string>(STORAGE.TOKEN) !== null;
}

/** The profile loaded by the last signIn/refresh, or null. */
export function currentProfile(): MeResponse | null {
  return me;
}

/**
 * The farthest a custom expiry may lie ahead, in days: the server's own limit from `GET /me`, and
 * its default only until a profile is loaded (the compose page is reached signed in).
 */
export function maxExpiryDays(): number {
  return me?.maxExpiryDays ?? MAX_EXPIRY_DAYS;
}

/** Reloads the profile from the server. */
export async function refreshProfile(): Promise<MeResponse> {
  if (!me) return signIn();
  me = await api.getMe();
  return me;
}

/** Stores a profile the server just answered (phone set, keys set). */
export function rememberProfile(profile: MeResponse): void {
  me = profile;
}

/** Registered = the server has a name, a phone and a key for this account. */
export function isRegistered(): boolean {
  return me?.user.registered === true;
}

/**
 * Logs out: asks the server to revoke every token of this account (so a copy of the token taken
 * from this phone stops working too), then forgets the token and the profile and drops the private
 * key. Offline, the local part still happens. The next signIn starts over.
 */
export async function signOut(): Promise<void> {
  if (api.getToken()) await api.logout().catch(() => {});
  lock();
  me = null;
  api.setToken(null);
  removeStorage(STORAGE.TOKEN);
}

/**
 * Deletes the account: signs in with WeChat afresh (the server deletes an account only just after
 * a sign-in, so a token copied off this phone cannot), asks the server to delete it, then forgets
 * everything this phone kept: the token, the profile, the private key and all of local storage
 * (contacts, queued letters, records of sent ones). The next launch starts as a new visitor.
 */
export async function deleteAccount(): Promise<void> {
  await freshLogin();
  await api.deleteMe();
  lock();
  me = null;
  api.setToken(null);
  clearStorage();
}
