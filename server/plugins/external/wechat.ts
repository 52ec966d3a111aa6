/**
 * `fastify.wechat`: the one WeChat API client (server/wechat), built from the configuration.
 *
 * Without an app id and secret (local development with the dev login) it still decorates a client, one
 * whose every call fails with `wechat_unavailable` (503), so a route never has to check for it.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MifengError } from '../../../shared/errors';
import { createWeChatClient, type WeChatClient } from '../../wechat';

declare module 'fastify' {
  interface FastifyInstance {
    wechat: WeChatClient;
  }
}

export interface WeChatPluginOptions {
  /** Per WeChat request; the client's default (5 s) when absent. */
  timeoutMs?: number;
}

function unconfigured(): WeChatClient {
  const fail = () =>
    Promise.reject(new MifengError('WeChatUnavailable', 'WECHAT_APPID/WECHAT_SECRET are not set'));
  return { code2Session: fail, getPhoneNumber: fail, sendSubscribeMessage: fail };
}

async function wechatPlugin(fastify: FastifyInstance, opts: WeChatPluginOptions): Promise<void> {
  const { WECHAT_API_BASE: baseUrl, WECHAT_APPID: appId, WECHAT_SECRET: secret } = fastify.config;
  if (!appId || !secret) {
    fastify.log.info('WeChat app id/secret not set: WeChat login and phone checks answer 503');
    fastify.decorate('wechat', unconfigured());
    return;
  }
  fastify.decorate('wechat', createWeChatClient({ baseUrl, appId, secret, timeoutMs: opts.timeoutMs }));
}

export default fp(wechatPlugin, { name: 'wechat', dependencies: ['config'], fastify: '5.x' });
