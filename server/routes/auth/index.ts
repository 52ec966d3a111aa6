/** `POST /api/v1/auth/wechat` and `POST /api/v1/auth/dev`: sign in, get a bearer token. */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authContract } from '../../../shared/api/auth';
import { MifengError } from '../../../shared/errors';
import { toApiUser } from '../../plugins/app/users-repository';
import { contractRoute } from '../_contract';

const auth: FastifyPluginAsyncZod = async (fastify) => {
  const signIn = async (request: FastifyRequest, method: 'wechat' | 'dev', openid: string) => {
    const user = await fastify.usersRepository.findOrCreateByOpenid(openid);
    fastify.audit(request, 'login', { user: user.id, method });
    const api = toApiUser(user);
    return { token: fastify.issueToken(user.id), user: api, registered: api.registered };
  };

  fastify.route({
    ...contractRoute(authContract.wechat, { tags: ['auth'] }),
    handler: async (request) => {
      const { openid } = await fastify.wechat.code2Session(request.body.code);
      return signIn(request, 'wechat', openid);
    },
  });

  fastify.route({
    ...contractRoute(authContract.dev, {
      tags: ['auth'],
      description: 'Only when DEV_LOGIN is on: sign in as any openid, without WeChat.',
    }),
    handler: async (request) => {
      if (!fastify.config.DEV_LOGIN) throw new MifengError('NotFound');
      return signIn(request, 'dev', `dev:${request.body.openid}`);
    },
  });
};

export default auth;
