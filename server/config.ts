/**
 * Server configuration: environment variables, validated once at start (docs/api.md §Configuration).
 *
 * `loadConfig(env)` parses and checks every variable and throws a `ConfigError` naming the first
 * bad one; `server.ts` prints it and exits. `buildApp(config)` takes the parsed object, so tests
 * build it with overrides. In development, `JWT_SECRET` and `PHONE_PEPPER` default to random
 * values generated once and kept in `DATA_DIR` (mode 0600); production requires them.
 *
 * `readEnvironment()` (server/environment.ts) is where the values come from: the process
 * environment over a `.env` file (a variable set in the environment wins). `NODE_ENV=production`
 * adds the checks of `productionProblems()`: what is merely convenient in development is refused
 * there.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import * as z from 'zod/mini';
import { MAX_EXPIRY_DAYS } from '../shared/api/common';
import { sm2PublicKey } from '../shared/crypto';
import { base64urlDecode, isBase64url } from '../shared/encoding';
import { keyId, PRIVATE_KEY_LENGTH } from '../shared/protocol';
import { followLogKeyRotations, type LogKeyRotation, LogKeyRotationSchema } from '../shared/transparency';
import { ConfigError } from './environment';

export { ConfigError, type EnvironmentSource, readEnvironment } from './environment';

/** The real WeChat API host. */
export const WECHAT_API_DEFAULT = 'https://api.weixin.qq.com';

/** Shortest accepted JWT secret / phone pepper, in characters. */
const MIN_SECRET_LENGTH = 32;

const intVar = (min: number, max: number) =>
  z.pipe(
    z.string().check(z.regex(/^\d+$/, 'must be a whole number')),
    z.pipe(
      z.transform((v: string) => Number(v)),
      z.int().check(z.minimum(min, `must be at least ${min}`), z.maximum(max, `must be at most ${max}`)),
    ),
  );

const urlVar = (protocols: RegExp) =>
  z.string().check(
    z.refine(
      (v) => {
        try {
          return protocols.test(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL (${protocols.source.replace(/[\^$()]/g, '')})`,
    ),
  );

/** A subscription message template id as the admin console shows it (base64url-like, ~43 characters). */
const templateVar = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{8,128}$/, 'must be a template id from the admin console'));

/** `10.0.0.5`, `10.0.0.0/8`, `::1` or `fd00::/8`. */
function isAddressOrCidr(text: string): boolean {
  const [address = '', bits, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Limits, quotas, proxies and metrics: what protects the API from one client (docs/operations.md).
 * Every request counts against its address first, then against its user once the token verifies.
 */
const LimitsEnv = {
  /** Requests per minute per client address, counted before authentication (every request). */
  RATE_LIMIT_IP_PER_MINUTE: z._default(intVar(1, 1_000_000), 1200),
  /** Requests per minute per signed-in user, counted as soon as the token verifies. */
  RATE_LIMIT_PER_MINUTE: z._default(intVar(1, 1_000_000), 600),
  /** Recipient lookups per minute per user. */
  LOOKUP_RATE_LIMIT_PER_MINUTE: z._default(intVar(1, 100_000), 20),
  /**
   * The proxies whose X-Forwarded-For is believed: comma-separated addresses or CIDRs (unset: none,
   * the client address is the socket's). `true` or a hop count would believe any client's header.
   */
  TRUST_PROXY: z.optional(
    z.pipe(
      z
        .string()
        .check(
          z.refine(
            (v) => v.split(',').every((part) => isAddressOrCidr(part.trim())),
            'must be the addresses or CIDRs of your proxies, comma-separated (not true or a hop count)',
          ),
        ),
      z.transform((v: string) => v.split(',').map((part) => part.trim())),
    ),
  ),
  /** Letters a user may have active (neither expired nor revoked) at once. */
  QUOTA_ACTIVE_LETTERS: z._default(intVar(1, 10_000_000), 1000),
  /** Bytes of letters a user may have stored (until purged). */
  QUOTA_STORED_BYTES: z._default(intVar(1024, Number.MAX_SAFE_INTEGER), 64 * 1024 * 1024),
  /** Letters a user may send in any 24 hours. */
  QUOTA_LETTERS_PER_DAY: z._default(intVar(1, 10_000_000), 200),
  /** Bearer token for `GET /metrics`; unset: /metrics answers 404. */
  METRICS_TOKEN: z.optional(
    z.string().check(z.minLength(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)),
  ),
};

const EnvSchema = z.object({
  NODE_ENV: z._default(z.enum(['development', 'production', 'test']), 'development'),
  PORT: z._default(intVar(0, 65535), 3000),
  HOST: z.optional(z.string().check(z.minLength(1))),
  PUBLIC_URL: z.optional(urlVar(/^https?:$/)),
  DATA_DIR: z._default(z.string().check(z.minLength(1)), './data'),
  DATABASE_URL: z.optional(urlVar(/^postgres(ql)?:$/)),
  REDIS_URL: z.optional(urlVar(/^rediss?:$/)),
  JWT_SECRET: z.optional(
    z.string().check(z.minLength(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)),
  ),
  /** File holding JWT_SECRET (e.g. a container secret under /run/secrets), instead of the value itself. */
  JWT_SECRET_FILE: z.optional(z.string().check(z.minLength(1))),
  /** Token lifetime: short, because the mini program renews silently with a fresh wx.login code. */
  JWT_EXPIRES_IN_MINUTES: z._default(intVar(5, 7 * 24 * 60), 60),
  PHONE_PEPPER: z.optional(
    z.string().check(z.minLength(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)),
  ),
  /** File holding PHONE_PEPPER; in production it may not lie inside DATA_DIR. */
  PHONE_PEPPER_FILE: z.optional(z.string().check(z.minLength(1))),
  /** The transparency log's SM2 private key: base64url of the 32-byte scalar. */
  LOG_SIGNING_KEY: z.optional(
    z
      .string()
      .check(
        z.refine((v) => isBase64url(v, PRIVATE_KEY_LENGTH), 'must be base64url of a 32-byte SM2 private key'),
      ),
  ),
  /** File holding LOG_SIGNING_KEY; in production it may not lie inside DATA_DIR. */
  LOG_SIGNING_KEY_FILE: z.optional(z.string().check(z.minLength(1))),
  /** JSON file with the log key rotations, oldest first, from the key clients are built with. */
  LOG_KEY_ROTATIONS_FILE: z.optional(z.string().check(z.minLength(1))),
  WECHAT_APPID: z.optional(z.string().check(z.minLength(1))),
  WECHAT_SECRET: z.optional(z.string().check(z.minLength(1))),
  WECHAT_API_BASE: z._default(urlVar(/^https?:$/), WECHAT_API_DEFAULT),
  /**
   * The verification file of the admin console's "scan a normal link QR code to open the mini
   * program" rule: its name (`<name>.txt`, served as `<PUBLIC_URL>/s/<name>.txt`) and its content.
   */
  WECHAT_QR_CHECK_FILE: z.optional(
    z
      .string()
      .check(z.regex(/^[A-Za-z0-9_-]{1,64}\.txt$/, 'must be the file name WeChat gave, e.g. abc123.txt')),
  ),
  WECHAT_QR_CHECK_CONTENT: z.optional(
    z.string().check(z.minLength(1), z.maxLength(256, 'must be at most 256 characters')),
  ),
  /**
   * Subscription message templates (admin console → 订阅消息), one per message; unset turns that
   * message off. Their keywords are fixed (docs/operations.md §Notifications).
   */
  WECHAT_TEMPLATE_NEW_LETTER: z.optional(templateVar),
  WECHAT_TEMPLATE_OPENED: z.optional(templateVar),
  WECHAT_TEMPLATE_PENDING_READY: z.optional(templateVar),
  /** Which version of the mini program a tap on a message opens (trial while testing). */
  WECHAT_MINIPROGRAM_STATE: z._default(z.enum(['developer', 'trial', 'formal']), 'formal'),
  DEV_LOGIN: z.optional(z.enum(['on', 'off'])),
  LOG_LEVEL: z._default(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  /** Farthest custom expiry date, in days after now. */
  MAX_EXPIRY_DAYS: z._default(intVar(1, 3650), MAX_EXPIRY_DAYS),
  /** How long after expiry or revocation the sweeper purges an envelope's ciphertext. */
  PURGE_GRACE_SECONDS: z._default(intVar(0, 365 * 86400), 86400),
  /** How often the sweeper runs (0 = never, e.g. in tests that run it by hand). */
  PURGE_INTERVAL_SECONDS: z._default(intVar(0, 86400), 300),
  /** Largest request body, in bytes. */
  BODY_LIMIT: z._default(intVar(1024, 16 * 1024 * 1024), 256 * 1024),
  /** Worker threads verifying envelope signatures (0 = verify on the main thread). */
  VERIFY_WORKERS: z.optional(intVar(0, 64)),
  ...LimitsEnv,
});

type Env = z.infer<typeof EnvSchema>;

/** Every variable the server reads (besides ENV_FILE), as `.env.example` must list them. */
export const ENV_VARIABLES = Object.keys(EnvSchema.shape);

/** The parsed configuration, as `fastify.config`. Names follow the environment variables. */
export interface AppConfig
  extends Omit<
    Env,
    'HOST' | 'JWT_SECRET' | 'PHONE_PEPPER' | 'DEV_LOGIN' | 'PUBLIC_URL' | 'VERIFY_WORKERS' | 'LOG_SIGNING_KEY'
  > {
  /** Default: loopback only while the dev login is on (anyone who reaches it can sign in as anyone), else all interfaces. */
  HOST: string;
  PUBLIC_URL: string;
  JWT_SECRET: string;
  PHONE_PEPPER: string;
  /** The transparency log's private key (32 bytes); its public key goes into the mini program build. */
  LOG_SIGNING_KEY: Uint8Array;
  /** Log key rotations from LOG_KEY_ROTATIONS_FILE, checked to end at LOG_SIGNING_KEY's public key. */
  LOG_KEY_ROTATIONS: LogKeyRotation[];
  /** Whether `/auth/dev` answers. */
  DEV_LOGIN: boolean;
  VERIFY_WORKERS: number;
  /** Whether the WeChat login is configured (app id and secret both set). */
  wechatConfigured: boolean;
}

/** Reads `DATA_DIR/<file>`, or creates it with a fresh random secret (mode 0600). */
function persistedSecret(dataDir: string, file: string): string {
  const path = join(dataDir, file);
  if (existsSync(path)) {
    const value = readFileSync(path, 'utf8').trim();
    if (value.length < MIN_SECRET_LENGTH)
      throw new ConfigError(`${path} holds a secret shorter than ${MIN_SECRET_LENGTH} characters`);
    return value;
  }
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(32).toString('base64url');
  try {
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another instance started at the same moment and wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return persistedSecret(dataDir, file);
    throw err;
  }
  chmodSync(path, 0o600);
  return value;
}

/** Validates the environment (default `process.env`) into an `AppConfig`; throws `ConfigError`. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const input: Record<string, string> = {};
  for (const key of ENV_VARIABLES) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  for (const name of SECRET_NAMES) readSecretFile(input, name);
  const result = EnvSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const shown =
      name in input && !/SECRET|PEPPER|TOKEN|URL|KEY/.test(name)
        ? ` (got ${JSON.stringify(input[name])})`
        : '';
    throw new ConfigError(`Invalid environment variable ${name}${shown}: ${issue.message}`);
  }
  const e = result.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR);

  // Production has its secrets (checked below); development generates them once into DATA_DIR.
  const secret = (name: (typeof SECRET_NAMES)[number], file: string): string =>
    e[name] ?? persistedSecret(dataDir, file);

  if (production) {
    const problem = productionProblems(e, dataDir)[0];
    if (problem) throw new ConfigError(`Invalid environment variable ${problem.name}: ${problem.message}`);
  }

  const wechatConfigured = Boolean(e.WECHAT_APPID && e.WECHAT_SECRET);
  if (Boolean(e.WECHAT_APPID) !== Boolean(e.WECHAT_SECRET)) {
    throw new ConfigError(
      `Invalid environment variable ${e.WECHAT_APPID ? 'WECHAT_SECRET' : 'WECHAT_APPID'}: WECHAT_APPID and WECHAT_SECRET go together`,
    );
  }
  if (Boolean(e.WECHAT_QR_CHECK_FILE) !== Boolean(e.WECHAT_QR_CHECK_CONTENT)) {
    throw new ConfigError(
      `Invalid environment variable ${e.WECHAT_QR_CHECK_FILE ? 'WECHAT_QR_CHECK_CONTENT' : 'WECHAT_QR_CHECK_FILE'}: WECHAT_QR_CHECK_FILE and WECHAT_QR_CHECK_CONTENT go together`,
    );
  }
  const devLogin = e.DEV_LOGIN === undefined ? !e.WECHAT_APPID && !production : e.DEV_LOGIN === 'on';

  return {
    ...e,
    HOST: e.HOST ?? (devLogin ? '127.0.0.1' : '0.0.0.0'),
    DATA_DIR: dataDir,
    PUBLIC_URL: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    JWT_SECRET: secret('JWT_SECRET', 'jwt-secret'),
    PHONE_PEPPER: secret('PHONE_PEPPER', 'phone-pepper'),
    ...logKey(secret('LOG_SIGNING_KEY', 'log-signing-key'), e.LOG_KEY_ROTATIONS_FILE),
    DEV_LOGIN: devLogin,
    VERIFY_WORKERS: e.VERIFY_WORKERS ?? 0,
    wechatConfigured,
  };
}

const SECRET_NAMES = ['JWT_SECRET', 'PHONE_PEPPER', 'LOG_SIGNING_KEY'] as const;

/**
 * The log key from its base64url text, and the rotations leading to it: the chain must end at
 * this key, or clients built with an older key could not follow it to the heads it signs.
 */
function logKey(text: string, rotationsFile: string | undefined) {
  const privateKey = base64urlDecode(text);
  let publicKey: Uint8Array;
  try {
    if (privateKey.length !== PRIVATE_KEY_LENGTH) throw new RangeError('length');
    publicKey = sm2PublicKey(privateKey);
  } catch {
    throw new ConfigError('Invalid environment variable LOG_SIGNING_KEY: not an SM2 private key');
  }
  if (!rotationsFile) return { LOG_SIGNING_KEY: privateKey, LOG_KEY_ROTATIONS: [] };
  const fail = (why: string): never => {
    throw new ConfigError(`Invalid environment variable LOG_KEY_ROTATIONS_FILE: ${why}`);
  };
  let rotations: LogKeyRotation[] = [];
  try {
    const value: unknown = JSON.parse(readFileSync(resolve(rotationsFile), 'utf8'));
    if (!Array.isArray(value) || value.length === 0)
      return fail('must hold a non-empty JSON array of rotations');
    rotations = value.map((item, i) => {
      const parsed = LogKeyRotationSchema.safeParse(item);
      return parsed.success ? parsed.data : fail(`rotation ${i} is not a log key rotation`);
    });
    // Only clients hold the key the first rotation retires; every later link is checked here.
    const chainEnd = followLogKeyRotations(base64urlDecode(rotations[0]!.next), rotations.slice(1));
    if (keyId(chainEnd) !== keyId(publicKey)) fail('the last rotation does not hand over to LOG_SIGNING_KEY');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    fail(`${rotationsFile}: ${(err as Error).message}`);
  }
  return { LOG_SIGNING_KEY: privateKey, LOG_KEY_ROTATIONS: rotations };
}

/** Moves the content of `<name>_FILE` into `input[name]` (trailing newline dropped). */
function readSecretFile(input: Record<string, string>, name: (typeof SECRET_NAMES)[number]): void {
  const file = input[`${name}_FILE`];
  if (!file) return;
  if (input[name])
    throw new ConfigError(`Invalid environment variable ${name}_FILE: set ${name} or ${name}_FILE, not both`);
  try {
    input[name] = readFileSync(resolve(file), 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError(
      `Invalid environment variable ${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
}

/** Least estimated entropy of a production secret, in bits. */
const MIN_SECRET_BITS = 128;

/**
 * A secret's entropy as its length times the Shannon entropy of its own character frequencies:
 * 0 for 32 spaces, about 215 bits for `openssl rand -base64 32`, about 115 for 32 random hex
 * digits. A lower bound it is not (a long dictionary phrase scores well), but it refuses the
 * placeholder, repeated and short-alphabet secrets people actually deploy.
 */
export function estimatedEntropyBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    perChar -= p * Math.log2(p);
  }
  return chars.length * perChar;
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Whether `path` is `parent` or lies inside it, symlinks followed where the paths exist. */
function isInside(path: string, parent: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const rel = relative(real(parent), real(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * What `NODE_ENV=production` refuses, each with the variable to fix: the dev login (it signs
 * anyone in as anyone), missing or guessable secrets, plain-http public URLs (tokens and
 * ciphertext in clear), and secrets kept inside DATA_DIR (a backup or a leaked volume of the
 * database would carry the key to its phone hashes or to its sessions along with it).
 */
export function productionProblems(e: Env, dataDir: string): { name: string; message: string }[] {
  const problems: { name: string; message: string }[] = [];
  if (e.DEV_LOGIN === 'on') {
    problems.push({
      name: 'DEV_LOGIN',
      message: 'the dev login signs anyone in as anyone; it cannot be on when NODE_ENV=production',
    });
  }
  for (const name of SECRET_NAMES) {
    const value = e[name];
    if (!value) {
      problems.push({ name, message: `required when NODE_ENV=production (or ${name}_FILE)` });
      continue;
    }
    const bits = Math.floor(estimatedEntropyBits(value));
    if (bits < MIN_SECRET_BITS) {
      problems.push({
        name,
        message: `too predictable for production (about ${bits} bits of entropy, at least ${MIN_SECRET_BITS} needed); generate one with \`openssl rand -base64 32\``,
      });
    }
    const file = e[`${name}_FILE`];
    if (file && isInside(file, dataDir)) {
      problems.push({
        name: `${name}_FILE`,
        message: `${file} lies inside DATA_DIR (${dataDir}); keep secrets apart from the data they protect (e.g. /run/secrets)`,
      });
    }
  }
  const storedPepper = join(dataDir, 'phone-pepper');
  if (existsSync(storedPepper)) {
    problems.push({
      name: 'PHONE_PEPPER',
      message: `DATA_DIR holds a phone pepper (${storedPepper}, made by a development start); move it out of DATA_DIR and name it in PHONE_PEPPER_FILE (the phone hashes stored so far need that value), or delete it if PHONE_PEPPER already holds it`,
    });
  }
  if (!e.PUBLIC_URL) {
    problems.push({
      name: 'PUBLIC_URL',
      message: 'required when NODE_ENV=production: the https:// address clients reach (QR codes point there)',
    });
  } else if (new URL(e.PUBLIC_URL).protocol !== 'https:') {
    problems.push({ name: 'PUBLIC_URL', message: 'must be an https:// URL when NODE_ENV=production' });
  }
  const wechat = new URL(e.WECHAT_API_BASE);
  if (wechat.protocol !== 'https:' && !LOOPBACK_HOST.test(wechat.hostname)) {
    problems.push({
      name: 'WECHAT_API_BASE',
      message:
        'must be an https:// URL when NODE_ENV=production (http:// only to a loopback address, for a local stand-in)',
    });
  }
  return problems;
}
