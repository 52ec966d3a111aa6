/**
 * Bearer-token auth with @fastify/jwt: HS256 only (no `alg: none`, no other algorithm), subject =
 * user id, expiry `JWT_EXPIRES_IN_DAYS`. Decorates `fastify.issueToken(userId)` and the hooks
 * `fastify.authenticate` (any valid token) used by the route folders' autohooks. A verified
 * request is counted against its user's rate limit at once, before anything else is done for it.
 */
import fastifyJwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MifengError } from '../../../shared/errors';

/** What our tokens carry. */
export interface TokenPayload {
  sub: string;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenPayload;
    user: TokenPayload;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    issueToken(userId: string): string;
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
  interface FastifyRequest {
    /** The signed-in user's id (set by `authenticate`). */
    userId: string;
  }
}

export default fp(
  async (fastify) => {
    await fastify.register(fastifyJwt, {
      secret: fastify.config.JWT_SECRET,
      sign: { algorithm: 'HS256', expiresIn: `${fastify.config.JWT_EXPIRES_IN_DAYS}d` },
      // Verified tokens are cached (by the whole token string, so a changed signature is a miss;
      // never past the token's own exp/nbf): a returning client skips the HMAC and the parse.
      verify: { algorithms: ['HS256'], cache: 10_000 },
    });
    fastify.decorateRequest('userId', '');
    fastify.decorate('issueToken', (userId: string) => fastify.jwt.sign({ sub: userId }));
    fastify.decorate('authenticate', async (request: FastifyRequest, reply: FastifyReply) => {
      const payload = await request.jwtVerify<TokenPayload>();
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new MifengError('Unauthorized');
      request.userId = payload.sub;
      await fastify.limitUser(request, reply);
    });
  },
  { name: 'auth', dependencies: ['config', 'rate-limit'] },
);
