/** Decorates `fastify.config` with the configuration validated by server/config.ts at start. */
import fp from 'fastify-plugin';
import type { AppConfig } from '../../config';

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig;
  }
}

export default fp<{ config: AppConfig }>(
  async (fastify, opts) => {
    fastify.decorate('config', opts.config);
    if (opts.config.DEV_LOGIN) {
      fastify.log.warn(
        '!!! DEV LOGIN IS ON: POST /api/v1/auth/dev signs anyone in as any openid and sets phones without WeChat. ' +
          'Never expose this server to real users (set DEV_LOGIN=off and WECHAT_APPID/WECHAT_SECRET). !!!',
      );
    }
  },
  { name: 'config' },
);
