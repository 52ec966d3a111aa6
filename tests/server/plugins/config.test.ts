/** server/config.ts: the environment is validated at start, bad values named; dev defaults. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  ENV_VARIABLES,
  estimatedEntropyBits,
  loadConfig,
  readEnvironment,
  WECHAT_API_DEFAULT,
} from '../../../server/config';
import { sm2PublicKey } from '../../../shared/crypto';
import { base64urlDecode } from '../../../shared/encoding';
import { signLogKeyRotation } from '../../../shared/transparency';

const dataDir = () => mkdtempSync(join(tmpdir(), 'mifeng-config-'));
const randomSecret = () => randomBytes(32).toString('base64');
/** A production environment that passes every check; cases override one variable. */
const production = (overrides: Record<string, string> = {}) => ({
  DATA_DIR: dataDir(),
  NODE_ENV: 'production',
  JWT_SECRET: randomSecret(),
  PHONE_PEPPER: randomSecret(),
  LOG_SIGNING_KEY: randomBytes(32).toString('base64url'),
  PUBLIC_URL: 'https://mifeng.example',
  ...overrides,
});

describe('loadConfig()', () => {
  it('applies the documented defaults and keeps generated dev secrets in DATA_DIR (0600)', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    assert.equal(config.PORT, 3000);
    assert.equal(config.WECHAT_API_BASE, WECHAT_API_DEFAULT);
    assert.equal(config.DEV_LOGIN, true);
    assert.equal(config.MAX_EXPIRY_DAYS, 365);
    assert.equal(config.PUBLIC_URL, 'http://localhost:3000');
    assert.equal(config.DATABASE_URL, undefined);
    for (const file of ['jwt-secret', 'phone-pepper', 'log-signing-key']) {
      assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);
    }
    assert.equal(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim(), config.JWT_SECRET);
    const again = loadConfig({ DATA_DIR: dir });
    assert.equal(again.JWT_SECRET, config.JWT_SECRET, 'generated once, then reused');
    assert.equal(again.PHONE_PEPPER, config.PHONE_PEPPER);
    assert.notEqual(config.JWT_SECRET, config.PHONE_PEPPER);
    assert.deepEqual(again.LOG_SIGNING_KEY, config.LOG_SIGNING_KEY);
    assert.equal(config.LOG_SIGNING_KEY.length, 32);
    assert.deepEqual(config.LOG_KEY_ROTATIONS, []);
  });

  it('checks the log signing key and the chain of log key rotations', () => {
    const key = () => randomBytes(32).toString('base64url');
    const dir = dataDir();
    assert.throws(
      () => loadConfig({ DATA_DIR: dir, LOG_SIGNING_KEY: 'x'.repeat(43) }),
      /LOG_SIGNING_KEY: must be base64url/,
    );
    assert.throws(
      () => loadConfig({ DATA_DIR: dir, LOG_SIGNING_KEY: Buffer.alloc(32).toString('base64url') }),
      /LOG_SIGNING_KEY: not an SM2 private key/,
    );
    const [k0, k1, k2] = [key(), key(), key()];
    const pair = (k: string) => {
      const privateKey = base64urlDecode(k);
      return { privateKey, publicKey: sm2PublicKey(privateKey) };
    };
    const random = (n: number) => new Uint8Array(randomBytes(n));
    const time = new Date('2026-12-01T00:00:00.000Z');
    const chain = [
      signLogKeyRotation(pair(k0), pair(k1).publicKey, time, random),
      signLogKeyRotation(pair(k1), pair(k2).publicKey, time, random),
    ];
    const file = join(dir, 'rotations.json');
    writeFileSync(file, JSON.stringify(chain));
    assert.deepEqual(
      loadConfig({ DATA_DIR: dir, LOG_SIGNING_KEY: k2, LOG_KEY_ROTATIONS_FILE: file }).LOG_KEY_ROTATIONS,
      chain,
    );
    assert.throws(
      () => loadConfig({ DATA_DIR: dir, LOG_SIGNING_KEY: k1, LOG_KEY_ROTATIONS_FILE: file }),
      /LOG_KEY_ROTATIONS_FILE: the last rotation does not hand over to LOG_SIGNING_KEY/,
    );
    writeFileSync(file, JSON.stringify([chain[0], { ...chain[1], time: '2026-12-01T00:00:01.000Z' }]));
    assert.throws(
      () => loadConfig({ DATA_DIR: dir, LOG_SIGNING_KEY: k2, LOG_KEY_ROTATIONS_FILE: file }),
      /LOG_KEY_ROTATIONS_FILE: .*not signed by the key it retires/,
    );
    writeFileSync(file, '{"not": "an array"}');
    assert.throws(
      () => loadConfig({ DATA_DIR: dir, LOG_SIGNING_KEY: k2, LOG_KEY_ROTATIONS_FILE: file }),
      /LOG_KEY_ROTATIONS_FILE: must hold a non-empty JSON array/,
    );
  });

  it('rejects invalid inputs, naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'abc' }, /PORT/],
      [{ PORT: '70000' }, /PORT.*at most 65535/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
      [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
      [{ DEV_LOGIN: 'maybe' }, /DEV_LOGIN/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
      [{ JWT_SECRET: 'short' }, /JWT_SECRET.*32/],
      [{ WECHAT_APPID: 'wx123' }, /WECHAT_SECRET/],
      [{ WECHAT_QR_CHECK_FILE: 'Ab12.txt' }, /WECHAT_QR_CHECK_CONTENT: .*go together/],
      [{ WECHAT_QR_CHECK_CONTENT: 'x' }, /WECHAT_QR_CHECK_FILE: .*go together/],
      [{ WECHAT_QR_CHECK_FILE: '../etc/passwd.txt', WECHAT_QR_CHECK_CONTENT: 'x' }, /WECHAT_QR_CHECK_FILE/],
      [{ WECHAT_QR_CHECK_FILE: 'check.html', WECHAT_QR_CHECK_CONTENT: 'x' }, /WECHAT_QR_CHECK_FILE/],
      [{ NODE_ENV: 'production' }, /JWT_SECRET.*production/],
      [{ MAX_EXPIRY_DAYS: '0' }, /MAX_EXPIRY_DAYS/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig({ DATA_DIR: dataDir(), ...env }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });

  it('never echoes a secret in its error', () => {
    assert.throws(
      () => loadConfig({ DATA_DIR: dataDir(), JWT_SECRET: 'hunter2-secret' }),
      (err: Error) => {
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      },
    );
  });

  it('dev login: on without an app id outside production, off with one', () => {
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).DEV_LOGIN, true);
    assert.equal(
      loadConfig({ DATA_DIR: dataDir(), WECHAT_APPID: 'wx1', WECHAT_SECRET: 's' }).DEV_LOGIN,
      false,
    );
    assert.equal(loadConfig({ DATA_DIR: dataDir(), DEV_LOGIN: 'off' }).DEV_LOGIN, false);
    assert.equal(loadConfig(production()).DEV_LOGIN, false);
  });

  it('listens on loopback only by default while the dev login is on', () => {
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).HOST, '127.0.0.1');
    assert.equal(loadConfig({ DATA_DIR: dataDir(), HOST: '0.0.0.0' }).HOST, '0.0.0.0');
    assert.equal(loadConfig({ DATA_DIR: dataDir(), DEV_LOGIN: 'off' }).HOST, '0.0.0.0');
    assert.equal(loadConfig(production()).HOST, '0.0.0.0');
  });

  it('parses TRUST_PROXY as a list of proxy addresses and CIDRs, and nothing that trusts any client', () => {
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).TRUST_PROXY, undefined);
    assert.deepEqual(loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: '127.0.0.1' }).TRUST_PROXY, [
      '127.0.0.1',
    ]);
    assert.deepEqual(
      loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: '10.0.0.0/8, ::1,fd00::/8' }).TRUST_PROXY,
      ['10.0.0.0/8', '::1', 'fd00::/8'],
    );
    for (const bad of ['true', '1', '10.0.0.0/33', 'fd00::/129', 'proxy.local', '10.0.0.1/8/1']) {
      assert.throws(
        () => loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: bad }),
        /TRUST_PROXY.*addresses or CIDRs/,
        bad,
      );
    }
  });
});

describe('loadConfig() with NODE_ENV=production', () => {
  it('accepts a complete production environment and writes nothing into DATA_DIR', () => {
    const env = production();
    const config = loadConfig(env);
    assert.equal(config.JWT_SECRET, env.JWT_SECRET);
    assert.equal(config.PUBLIC_URL, 'https://mifeng.example');
    assert.equal(existsSync(join(env.DATA_DIR, 'phone-pepper')), false);
  });

  it('refuses what is only fit for development, naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ DEV_LOGIN: 'on' }, /DEV_LOGIN: the dev login signs anyone in/],
      [{ JWT_SECRET: '' }, /JWT_SECRET: required when NODE_ENV=production/],
      [{ PHONE_PEPPER: '' }, /PHONE_PEPPER: required when NODE_ENV=production/],
      [{ LOG_SIGNING_KEY: '' }, /LOG_SIGNING_KEY: required when NODE_ENV=production/],
      [{ JWT_SECRET: ' '.repeat(32) }, /JWT_SECRET: too predictable .*about 0 bits/],
      [{ PHONE_PEPPER: 'changeme'.repeat(4) }, /PHONE_PEPPER: too predictable/],
      [{ JWT_SECRET: randomBytes(16).toString('hex') }, /JWT_SECRET: too predictable/],
      [{ PUBLIC_URL: '' }, /PUBLIC_URL: required when NODE_ENV=production/],
      [{ PUBLIC_URL: 'http://mifeng.example' }, /PUBLIC_URL: must be an https:\/\/ URL/],
      [{ WECHAT_API_BASE: 'http://api.weixin.qq.com' }, /WECHAT_API_BASE: must be an https:\/\/ URL/],
    ];
    for (const [overrides, message] of cases) {
      const env = production(overrides);
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.match(err.message, message);
          for (const name of ['JWT_SECRET', 'PHONE_PEPPER', 'LOG_SIGNING_KEY']) {
            if (env[name as keyof typeof env])
              assert.ok(!err.message.includes(env[name as keyof typeof env]));
          }
          return true;
        },
        JSON.stringify(overrides),
      );
    }
  });

  it('allows plain http to WeChat only on loopback (a local stand-in)', () => {
    assert.equal(
      loadConfig(production({ WECHAT_API_BASE: 'http://127.0.0.1:4000' })).WECHAT_API_BASE,
      'http://127.0.0.1:4000',
    );
  });

  it('reads secrets from *_FILE, but never from inside DATA_DIR', () => {
    const secrets = mkdtempSync(join(tmpdir(), 'mifeng-secrets-'));
    const pepper = randomSecret();
    writeFileSync(join(secrets, 'pepper'), `${pepper}\n`);
    const env = production({ PHONE_PEPPER: '', PHONE_PEPPER_FILE: join(secrets, 'pepper') });
    assert.equal(loadConfig(env).PHONE_PEPPER, pepper);

    const inside = production({ PHONE_PEPPER: '' });
    writeFileSync(join(inside.DATA_DIR, 'my-pepper'), pepper);
    assert.throws(
      () => loadConfig({ ...inside, PHONE_PEPPER_FILE: join(inside.DATA_DIR, 'my-pepper') }),
      /PHONE_PEPPER_FILE: .* inside DATA_DIR/,
    );
    assert.throws(
      () => loadConfig({ ...env, PHONE_PEPPER: pepper }),
      /PHONE_PEPPER_FILE: set PHONE_PEPPER or PHONE_PEPPER_FILE, not both/,
    );
    assert.throws(
      () => loadConfig(production({ JWT_SECRET: '', JWT_SECRET_FILE: join(secrets, 'missing') })),
      /JWT_SECRET_FILE: cannot read .*ENOENT/,
    );
  });

  it('refuses a phone pepper left in DATA_DIR by a development start', () => {
    const env = production();
    loadConfig({ DATA_DIR: env.DATA_DIR }); // development: generates DATA_DIR/phone-pepper
    assert.throws(() => loadConfig(env), /PHONE_PEPPER: DATA_DIR holds a phone pepper/);
  });
});

describe('estimatedEntropyBits()', () => {
  it('scores random secrets high and repetitive ones low', () => {
    assert.equal(estimatedEntropyBits(' '.repeat(32)), 0);
    assert.equal(estimatedEntropyBits('ab'.repeat(16)), 32);
    assert.ok(estimatedEntropyBits(randomBytes(32).toString('base64')) > 180);
    assert.ok(estimatedEntropyBits(randomBytes(32).toString('hex')) > 200);
  });
});

describe('readEnvironment()', () => {
  it('reads .env under the environment: a variable set in the environment wins', () => {
    const dir = dataDir();
    writeFileSync(join(dir, '.env'), '# comment\nPORT=4000\nLOG_LEVEL="warn"\nexport HOST=0.0.0.0\n');
    const env = readEnvironment({ env: { PORT: '5000' }, cwd: dir });
    assert.equal(env.PORT, '5000');
    assert.equal(env.LOG_LEVEL, 'warn');
    assert.equal(env.HOST, '0.0.0.0');
    assert.equal(loadConfig({ ...env, DATA_DIR: dir }).PORT, 5000);
  });

  it('reads the file ENV_FILE names, and refuses one that does not exist', () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'mifeng.env'), 'PORT=4001\n');
    assert.equal(readEnvironment({ env: { ENV_FILE: join(dir, 'mifeng.env') }, cwd: '/' }).PORT, '4001');
    assert.deepEqual(readEnvironment({ env: { PORT: '1' }, cwd: dir }), { PORT: '1' });
    assert.throws(
      () => readEnvironment({ env: { ENV_FILE: 'nope.env' }, cwd: dir }),
      /ENV_FILE: .*does not exist/,
    );
  });
});

describe('.env.example', () => {
  const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');

  it('lists every variable the server reads', () => {
    for (const name of ENV_VARIABLES) assert.match(example, new RegExp(`^#?${name}=`, 'm'), name);
  });

  it('is a valid production configuration once its secrets are filled in', () => {
    const dir = dataDir();
    writeFileSync(join(dir, '.env'), example);
    const env = readEnvironment({
      env: {
        JWT_SECRET: randomSecret(),
        PHONE_PEPPER: randomSecret(),
        LOG_SIGNING_KEY: randomBytes(32).toString('base64url'),
        DATA_DIR: dataDir(),
      },
      cwd: dir,
    });
    assert.equal(loadConfig(env).NODE_ENV, 'production');
  });
});
