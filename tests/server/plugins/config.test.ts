/** server/config.ts: the environment is validated at start, bad values named; dev defaults. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, WECHAT_API_DEFAULT } from '../../../server/config';

const dataDir = () => mkdtempSync(join(tmpdir(), 'mifeng-config-'));

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
    for (const file of ['jwt-secret', 'phone-pepper']) {
      assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);
    }
    assert.equal(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim(), config.JWT_SECRET);
    const again = loadConfig({ DATA_DIR: dir });
    assert.equal(again.JWT_SECRET, config.JWT_SECRET, 'generated once, then reused');
    assert.equal(again.PHONE_PEPPER, config.PHONE_PEPPER);
    assert.notEqual(config.JWT_SECRET, config.PHONE_PEPPER);
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

  it('dev login: on without an app id outside production, off with one, refused in production unless explicit', () => {
    const secrets = { JWT_SECRET: 'j'.repeat(40), PHONE_PEPPER: 'p'.repeat(40) };
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).DEV_LOGIN, true);
    assert.equal(
      loadConfig({ DATA_DIR: dataDir(), WECHAT_APPID: 'wx1', WECHAT_SECRET: 's' }).DEV_LOGIN,
      false,
    );
    assert.equal(loadConfig({ DATA_DIR: dataDir(), DEV_LOGIN: 'off' }).DEV_LOGIN, false);
    assert.equal(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'production', ...secrets }).DEV_LOGIN, false);
    assert.equal(
      loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'production', DEV_LOGIN: 'on', ...secrets }).DEV_LOGIN,
      true,
    );
  });

  it('listens on loopback only by default while the dev login is on', () => {
    const secrets = { JWT_SECRET: 'j'.repeat(40), PHONE_PEPPER: 'p'.repeat(40) };
    assert.equal(loadConfig({ DATA_DIR: dataDir() }).HOST, '127.0.0.1');
    assert.equal(loadConfig({ DATA_DIR: dataDir(), HOST: '0.0.0.0' }).HOST, '0.0.0.0');
    assert.equal(loadConfig({ DATA_DIR: dataDir(), DEV_LOGIN: 'off' }).HOST, '0.0.0.0');
    assert.equal(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'production', ...secrets }).HOST, '0.0.0.0');
    assert.equal(
      loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'production', DEV_LOGIN: 'on', ...secrets }).HOST,
      '127.0.0.1',
    );
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
