/**
 * `POST /api/v1/auth/wechat` and `POST /api/v1/auth/dev`: sign in, get a short-lived bearer token
 * (the mini program renews it the same way, with a fresh `wx.login` code); `POST /auth/logout`
 * revokes every token of the account.
 */
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
    return { ...fastify.issueToken(user.id, user.tokenVersion), user: api, registered: api.registered };
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

  fastify.route({
    ...contractRoute(authContract.logout, {
      tags: ['auth'],
      security: [{ bearerAuth: [] }],
      description: 'Revokes every token of your account (this one too), on every server instance.',
    }),
    onRequest: fastify.authenticate,
    handler: async (request, reply) => {
      await fastify.usersRepository.revokeTokens(request.userId);
      fastify.audit(request, 'logout');
      return reply.code(204).send();
    },
  });
};

export default auth;
