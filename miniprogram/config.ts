/**
 * Where this mini program finds its server, and the few numbers it decides on by itself.
 * The server, login mode and app id are build settings (`MIFENG_*` variables, checked by
 * scripts/mp-settings.mjs and compiled in as `MIFENG_BUILD`); docs/miniprogram.md explains each one.
 */

/** Injected by the build (esbuild `define`); never read at run time from anywhere else. */
declare const MIFENG_BUILD: {
  env: 'dev' | 'release';
  apiBaseUrl: string;
  publicUrl: string;
  loginMode: 'wechat' | 'dev';
  appId: string;
  logKey: string;
};

export interface MifengConfig {
  /** Which build this is: `release` builds refuse http, addresses, localhost and the dev login. */
  env: 'dev' | 'release';
  /**
   * Base URL of the Mifeng API (no trailing slash). On a phone it must be an https origin listed
   * under "request legal domains" in the mini program's admin console; DevTools can skip that
   * check ("不校验合法域名") for a local http server.
   */
  apiBaseUrl: string;
  /**
   * The server's PUBLIC_URL: QR codes encode `<publicUrl>/s/<id>`, and the open page accepts a
   * scanned link only in exactly that form.
   */
  publicUrl: string;
  /**
   * `wechat`: wx.login + the getPhoneNumber button (needs a real app id and the server's
   * WECHAT_APPID/WECHAT_SECRET). `dev`: the server's dev login (DEV_LOGIN=on), a random device
   * openid and a typed phone number — for local runs and DevTools with the tourist app id.
   */
  loginMode: 'wechat' | 'dev';
  /**
   * The transparency log's public key (base64url, 65 bytes), built in so that a server cannot
   * hand the phone a key of its own: every tree head is checked against it, following the log's
   * key rotations (each signed by the key before) from it.
   */
  logKey: string;
  /**
   * PBKDF2 iterations for new key backups (BACKUP_ITERATIONS; `null` = the protocol default,
   * 100 000). Tests lower it to the protocol minimum (10 000); never do that in anything people use.
   */
  backupIterations: number | null;
  /** After this long in the background the unlocked private key is dropped (milliseconds). */
  backgroundLockMs: number;
  /** wx.request timeout (milliseconds). */
  requestTimeoutMs: number;
}

/**
 * The largest multiple of 10 000 whose unlock takes ≤ 2.5 s in JavaScriptCore without JIT (iOS's
 * engine, the slowest the mini program runs on), as `npm run bench:iterations` measures it; rerun
 * it when the crypto gets faster (docs/miniprogram.md, "Choosing the iteration count").
 */
export const BACKUP_ITERATIONS = 70_000;

export const config: MifengConfig = {
  env: MIFENG_BUILD.env,
  apiBaseUrl: MIFENG_BUILD.apiBaseUrl,
  publicUrl: MIFENG_BUILD.publicUrl,
  loginMode: MIFENG_BUILD.loginMode,
  logKey: MIFENG_BUILD.logKey,
  backupIterations: BACKUP_ITERATIONS,
  backgroundLockMs: 5 * 60_000,
  requestTimeoutMs: 15_000,
};
