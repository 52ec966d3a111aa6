import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import wechatPlugin, { type WeChatConfig } from '../../../server/plugins/external/wechat';
import { isMifengError } from '../../../shared/errors';
import { type FakeWeChat, startFakeWeChat } from '../fake-wechat';

/** Stands in for the app's 'config' plugin: only the decorator's name and shape matter here. */
const configPlugin = (config: WeChatConfig) =>
  fp(
    async (fastify) => {
      fastify.decorate('config', config);
    },
    { name: 'config' },
  );

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

async function app(config: WeChatConfig): Promise<FastifyInstance> {
  const fastify = Fastify({ logger: false });
  cleanup.push(() => fastify.close());
  await fastify.register(configPlugin(config));
  await fastify.register(wechatPlugin);
  await fastify.ready();
  return fastify;
}

describe('plugins/external/wechat', () => {
  it('decorates fastify.wechat with a client for the configured WeChat API', async () => {
    const fake: FakeWeChat = await startFakeWeChat();
    cleanup.push(() => fake.close());
    const fastify = await app({
      WECHAT_API_BASE: fake.url,
      WECHAT_APPID: fake.appId,
      WECHAT_SECRET: fake.secret,
    });
    fake.addLoginCode('login', 'openid-1');
    fake.addPhoneCode('phone', '13800138000');
    assert.deepEqual(await fastify.wechat.code2Session('login'), { openid: 'openid-1' });
    assert.equal((await fastify.wechat.getPhoneNumber('phone')).purePhoneNumber, '13800138000');
  });

  it('without app id and secret, decorates a client that answers wechat_unavailable', async () => {
    const fastify = await app({ WECHAT_API_BASE: 'https://api.weixin.qq.com' });
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
