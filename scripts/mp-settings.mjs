// The mini program's build-time settings: where its server is, how it logs in, which app it is.
// They come from the environment (or `npm run build:mp -- --env release`), are checked here, and
// are compiled into `config.js` as constants, so a phone can never be pointed elsewhere at run time.
//
// A dev build defaults to a local server and the dev login; a release build has no defaults and
// refuses anything a phone in the field cannot or must not use.
//
// The transparency log's public key (MIFENG_LOG_KEY) is a build setting for the same reason: a
// phone that took it from the server at run time would believe any log the server made up. A dev
// build without it uses the key the local dev server signs with (LOG_SIGNING_KEY, else the one it
// keeps in DATA_DIR, made here first if the server has not run yet), so the two always agree.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sm2 } from 'sm-crypto-v2';

/** @typedef {'dev' | 'release'} BuildEnv */
/**
 * @typedef {object} MiniProgramSettings
 * @property {BuildEnv} env
 * @property {string} apiBaseUrl the API's origin (no trailing slash)
 * @property {string} publicUrl the server's PUBLIC_URL: letter links are `<publicUrl>/s/<id>`
 * @property {'wechat' | 'dev'} loginMode
 * @property {string} appId
 * @property {string} logKey the transparency log's SM2 public key, base64url of its 65 bytes
 */

export const BUILD_ENVS = ['dev', 'release'];

/** The environment variable behind each setting. */
export const SETTING_VARIABLES = {
  apiBaseUrl: 'MIFENG_API_BASE_URL',
  publicUrl: 'MIFENG_PUBLIC_URL',
  loginMode: 'MIFENG_LOGIN_MODE',
  appId: 'MIFENG_APPID',
  logKey: 'MIFENG_LOG_KEY',
};

const DEV_DEFAULTS = {
  apiBaseUrl: 'http://127.0.0.1:3000',
  publicUrl: 'http://127.0.0.1:3000',
  loginMode: 'dev',
  // WeChat DevTools' placeholder for "no app of my own": enough to look around with the dev login.
  appId: 'touristappid',
};

/** A WeChat mini program app id: `wx` and 16 hexadecimal digits. */
const APP_ID = /^wx[0-9a-f]{16}$/;

export class SettingsError extends Error {
  name = 'SettingsError';
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** An SM2 public key as the protocol writes it: base64url of `04 ‖ X ‖ Y`, 65 bytes. */
function checkLogKey(value) {
  const bytes = Buffer.from(BASE64URL.test(value) ? value : '', 'base64url');
  if (bytes.length !== 65 || bytes[0] !== 4 || bytes.toString('base64url') !== value) {
    throw new SettingsError(
      `MIFENG_LOG_KEY must be the log's public key, base64url of 65 bytes starting 04 (npm run log:key -- public --key FILE), got ${JSON.stringify(value)}`,
    );
  }
  let onCurve = false;
  try {
    onCurve = sm2.verifyPublicKey(`04${bytes.subarray(1).toString('hex')}`);
  } catch {
    // sm-crypto-v2 throws for some points off the curve and answers false for others.
  }
  if (!onCurve) throw new SettingsError('MIFENG_LOG_KEY is not a point of the SM2 curve');
  return value;
}

/**
 * The public key of the log key a local dev server signs with: LOG_SIGNING_KEY, else the file it
 * keeps in DATA_DIR (default ./data), written here as the server would write it when missing.
 */
function devLogKey(env) {
  let privateKey = env.LOG_SIGNING_KEY;
  if (!privateKey) {
    const dataDir = resolve(env.DATA_DIR || './data');
    const path = join(dataDir, 'log-signing-key');
    if (!existsSync(path)) {
      mkdirSync(dataDir, { recursive: true });
      try {
        writeFileSync(path, `${randomScalar()}\n`, { mode: 0o600, flag: 'wx' });
        chmodSync(path, 0o600);
      } catch (err) {
        if (err.code !== 'EEXIST') throw err;
      }
    }
    privateKey = readFileSync(path, 'utf8').trim();
  }
  const hex = Buffer.from(privateKey, 'base64url').toString('hex');
  if (hex.length !== 64)
    throw new SettingsError('LOG_SIGNING_KEY is not a base64url 32-byte SM2 private key');
  return Buffer.from(sm2.getPublicKeyFromPrivateKey(hex), 'hex').toString('base64url');
}

function randomScalar() {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

/** `--env NAME` or `--env=NAME` from a command line, else MIFENG_ENV, else dev. */
export function buildEnvFrom(argv, env) {
  const i = argv.findIndex((a) => a === '--env' || a.startsWith('--env='));
  const value = i < 0 ? env.MIFENG_ENV || 'dev' : argv[i].includes('=') ? argv[i].slice(6) : argv[i + 1];
  if (!BUILD_ENVS.includes(value)) {
    throw new SettingsError(`--env must be one of ${BUILD_ENVS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isLoopbackOrAddress(hostname) {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ||
    // Any IPv6 literal: WeChat's request domain list takes names only.
    host.includes(':')
  );
}

/** Checks one URL setting; returns it without a trailing slash. */
function checkUrl(key, value, buildEnv) {
  const variable = SETTING_VARIABLES[key];
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new SettingsError(`${variable} is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SettingsError(`${variable} must be an http(s) URL, got ${url.protocol}`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new SettingsError(
      `${variable} must be a plain origin and path, without query, fragment or credentials`,
    );
  }
  if (buildEnv === 'release') {
    // A phone talks only to https domains listed in the admin console ("request legal domains"),
    // which must be ICP-filed names: never http, an IP address or localhost.
    if (url.protocol !== 'https:')
      throw new SettingsError(`${variable} must use https:// in a release build`);
    if (isLoopbackOrAddress(url.hostname)) {
      throw new SettingsError(
        `${variable} must name a registered domain in a release build, not ${url.hostname}`,
      );
    }
    if (url.port && url.port !== '443') {
      throw new SettingsError(`${variable} must use the default https port in a release build`);
    }
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * The settings of a build for `buildEnv`, from `env` (process.env by default). Throws a
 * SettingsError naming the variable when a value is missing or not allowed.
 * @returns {MiniProgramSettings}
 */
export function miniProgramSettings(buildEnv = 'dev', env = process.env) {
  if (!BUILD_ENVS.includes(buildEnv)) throw new SettingsError(`unknown build environment ${buildEnv}`);
  /** @type {Record<string, string>} */
  const raw = {};
  for (const [key, variable] of Object.entries(SETTING_VARIABLES)) {
    const given = env[variable];
    if (given !== undefined && given !== '') raw[key] = given;
    else if (buildEnv === 'dev') raw[key] = key === 'logKey' ? devLogKey(env) : DEV_DEFAULTS[key];
    else throw new SettingsError(`${variable} is required for a release build`);
  }
  if (raw.loginMode !== 'wechat' && raw.loginMode !== 'dev') {
    throw new SettingsError(`MIFENG_LOGIN_MODE must be wechat or dev, got ${JSON.stringify(raw.loginMode)}`);
  }
  if (buildEnv === 'release') {
    if (raw.loginMode !== 'wechat') {
      throw new SettingsError(
        'MIFENG_LOGIN_MODE must be wechat in a release build: the dev login signs anyone in as anyone',
      );
    }
    if (!APP_ID.test(raw.appId)) {
      throw new SettingsError(
        `MIFENG_APPID must be a mini program app id (wx + 16 hex digits), got ${JSON.stringify(raw.appId)}`,
      );
    }
  }
  return {
    env: buildEnv,
    apiBaseUrl: checkUrl('apiBaseUrl', raw.apiBaseUrl, buildEnv),
    publicUrl: checkUrl('publicUrl', raw.publicUrl, buildEnv),
    loginMode: raw.loginMode,
    appId: raw.appId,
    logKey: checkLogKey(raw.logKey),
  };
}
