/**
 * Bearer-token auth with @fastify/jwt: HS256 only (no `alg: none`, no other algorithm), subject =
 * user id, expiry `JWT_EXPIRES_IN_MINUTES`. Decorates `fastify.issueToken(...)` and the hook
 * `fastify.authenticate` (any valid, unrevoked token) used by the route folders' autohooks.
 *
 * A token carries the user's token version (`ver`) and when its session signed in with WeChat
 * (`lat`, kept when a token is re-issued). Every request compares `ver` with the user's row in the
 * database, so bumping the version (key change, reset, log out) revokes every older token on
 * every instance at once. A verified request is counted against its user's rate limit at once.
 */
import fastifyJwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MifengError } from '../../../shared/errors';

/** What our tokens carry. */
export interface TokenPayload {
  sub: string;
  /** The user's token version when it was issued. */
  ver: number;
  /** When this session's WeChat (or dev) sign-in happened, in seconds since the epoch. */
  lat: number;
}

/** What a verified token tells a handler. */
export interface Session {
  tokenVersion: number;
  /** The WeChat (or dev) sign-in this session started from. */
  loginAt: Date;
}

/** A token and when it expires. */
export interface IssuedToken {
  token: string;
  expiresAt: string;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenPayload;
    user: TokenPayload;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** A token for `userId` under `tokenVersion`; `loginAt` defaults to now (a fresh sign-in). */
    issueToken(userId: string, tokenVersion: number, loginAt?: Date): IssuedToken;
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
  interface FastifyRequest {
    /** The signed-in user's id (set by `authenticate`). */
    userId: string;
    /** The verified token's session (set by `authenticate`). */
    session: Session;
  }
}

function isTokenPayload(payload: unknown): payload is TokenPayload {
  const p = payload as Partial<TokenPayload> | null;
  return (
    typeof p?.sub === 'string' &&
    p.sub.length > 0 &&
    Number.isSafeInteger(p.ver) &&
    Number.isSafeInteger(p.lat)
  );
}

export default fp(
  async (fastify) => {
    const minutes = fastify.config.JWT_EXPIRES_IN_MINUTES;
    const lifetimeMs = minutes * 60_000;
    await fastify.register(fastifyJwt, {
      secret: fastify.config.JWT_SECRET,
      sign: { algorithm: 'HS256', expiresIn: `${minutes}m` },
      // Verified tokens are cached (by the whole token string, so a changed signature is a miss;
      // never past the token's own exp/nbf): a returning client skips the HMAC and the parse.
      // Revocation is checked below, outside the cache.
      verify: { algorithms: ['HS256'], cache: 10_000 },
    });
    fastify.decorateRequest('userId', '');
    fastify.decorateRequest('session', null as unknown as Session);
    fastify.decorate('issueToken', (userId: string, tokenVersion: number, loginAt = new Date()) => {
      const now = Date.now();
      const token = fastify.jwt.sign({
        sub: userId,
        ver: tokenVersion,
        lat: Math.floor(loginAt.getTime() / 1000),
      });
      return { token, expiresAt: new Date(Math.floor(now / 1000) * 1000 + lifetimeMs).toISOString() };
    });
    fastify.decorate('authenticate', async (request: FastifyRequest, reply: FastifyReply) => {
      const payload: unknown = await request.jwtVerify();
      if (!isTokenPayload(payload)) throw new MifengError('Unauthorized');
      request.userId = payload.sub;
      // Counted before the revocation check, so a revoked token cannot hammer the database.
      await fastify.limitUser(request, reply);
      const user = await fastify.prisma.user.findUnique({
        where: { id: payload.sub },
        select: { tokenVersion: true },
      });
      if (!user || user.tokenVersion !== payload.ver) throw new MifengError('Unauthorized', 'token revoked');
      request.session = { tokenVersion: payload.ver, loginAt: new Date(payload.lat * 1000) };
    });
  },
  { name: 'auth', dependencies: ['config', 'prisma', 'rate-limit'] },
);
