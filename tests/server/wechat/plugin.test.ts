import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { type AppConfig, loadConfig } from '../../../server/config';
import configPlugin from '../../../server/plugins/external/config';
import wechatPlugin from '../../../server/plugins/external/wechat';
import { isMifengError } from '../../../shared/errors';
import { type FakeWeChat, startFakeWeChat } from '../fake-wechat';

/** The app's real configuration, from an environment like the one `npm start` sees. */
function config(env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'j'.repeat(32),
    PHONE_PEPPER: 'p'.repeat(32),
    DEV_LOGIN: 'off',
    ...env,
  });
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

async function app(appConfig: AppConfig): Promise<FastifyInstance> {
  const fastify = Fastify({ logger: false });
  cleanup.push(() => fastify.close());
  await fastify.register(configPlugin, { config: appConfig });
  await fastify.register(wechatPlugin);
  await fastify.ready();
  return fastify;
}

describe('plugins/external/wechat', () => {
  it('decorates fastify.wechat with a client for the configured WeChat API', async () => {
    const fake: FakeWeChat = await startFakeWeChat();
    cleanup.push(() => fake.close());
    const fastify = await app(
      config({ WECHAT_API_BASE: fake.url, WECHAT_APPID: fake.appId, WECHAT_SECRET: fake.secret }),
    );
    fake.addLoginCode('login', 'openid-1');
    fake.addPhoneCode('phone', '13800138000');
    assert.deepEqual(await fastify.wechat.code2Session('login'), { openid: 'openid-1' });
    assert.equal((await fastify.wechat.getPhoneNumber('phone')).purePhoneNumber, '13800138000');
  });

  it('without app id and secret, decorates a client that answers wechat_unavailable', async () => {
    const fastify = await app(config());
    await assert.rejects(fastify.wechat.code2Session('c'), (err) => isMifengError(err, 'WeChatUnavailable'));
    await assert.rejects(fastify.wechat.getPhoneNumber('c'), (err) =>
      isMifengError(err, 'WeChatUnavailable'),
    );
  });

  it('refuses to start without the config plugin', async () => {
    const fastify = Fastify({ logger: false });
    cleanup.push(() => fastify.close());
    fastify.register(wechatPlugin);
    await assert.rejects(async () => {
      await fastify.ready();
    }, /config/);
  });
});
