/**
 * The Mifeng API as one Fastify plugin: external plugins (config, database, Redis, auth, rate
 * limits, security headers, WeChat, OpenAPI), then application plugins (repositories, phone
 * hashing, signature checks, jobs), then routes — in that order, like fastify/demo.
 *
 * `buildApp(config, deps)` creates the Fastify instance around it; tests pass their own config
 * object and an already-open database. server.ts adds the logger and `listen`.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppConfig } from './config';
import type { Database } from './db/connect';
import { errorBody, errorReply } from './errors';
import jobs from './jobs';
import envelopesRepository from './plugins/app/envelopes-repository';
import notifications from './plugins/app/notifications';
import pendingRepository from './plugins/app/pending-repository';
import phones from './plugins/app/phones';
import quotas from './plugins/app/quotas';
import signatures from './plugins/app/signatures';
import transparencyLog from './plugins/app/transparency-log';
import usersRepository from './plugins/app/users-repository';
import audit from './plugins/external/audit';
import auth from './plugins/external/auth';
import configPlugin from './plugins/external/config';
import deadline from './plugins/external/deadline';
import helmet from './plugins/external/helmet';
import metrics from './plugins/external/metrics';
import prisma from './plugins/external/prisma';
import rateLimit from './plugins/external/rate-limit';
import redis from './plugins/external/redis';
import swagger from './plugins/external/swagger';
import wechat from './plugins/external/wechat';
import authRoutes from './routes/auth';
import envelopesRoutes from './routes/envelopes';
import healthRoutes from './routes/health';
import landingRoutes from './routes/landing';
import logRoutes from './routes/log';
import meRoutes from './routes/me';
import metricsRoutes from './routes/metrics';
import pendingRoutes from './routes/pending';
import recipientsRoutes from './routes/recipients';
import usersRoutes from './routes/users';

export interface AppDependencies {
  /** An open database (tests); otherwise one is opened from the config and migrated. */
  database?: Database;
}

export interface AppOptions extends AppDependencies {
  config: AppConfig;
}

/** Registers the whole application on `fastify`. */
export async function serviceApp(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  // First, so every route plugin registered below inherits it.
  fastify.setErrorHandler((error, request, reply) => {
    const answer = errorReply(error);
    if (answer.internal) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: answer.code, status: answer.status }, 'request refused');
    }
    if (answer.retryAfter !== undefined) reply.header('retry-after', String(answer.retryAfter));
    return reply.code(answer.status).send(errorBody(answer));
  });

  // External plugins.
  await fastify.register(configPlugin, { config: opts.config });
  // First hook of every request: no request outlives REQUEST_DEADLINE_MS without an answer.
  await fastify.register(deadline);
  await fastify.register(metrics);
  await fastify.register(audit);
  await fastify.register(prisma, opts.database ? { database: opts.database } : {});
  await fastify.register(redis);
  // Before auth: every request is counted against its address first, then against its user.
  await fastify.register(rateLimit);
  await fastify.register(auth);
  await fastify.register(helmet);
  await fastify.register(wechat);
  await fastify.register(swagger);

  // Application plugins.
  await fastify.register(transparencyLog);
  await fastify.register(usersRepository);
  await fastify.register(envelopesRepository);
  await fastify.register(pendingRepository);
  await fastify.register(phones);
  await fastify.register(quotas);
  await fastify.register(signatures);
  await fastify.register(notifications);
  await fastify.register(jobs);

  // Routes: one plugin per URL prefix.
  await fastify.register(healthRoutes);
  await fastify.register(authRoutes);
  await fastify.register(meRoutes);
  await fastify.register(recipientsRoutes);
  await fastify.register(usersRoutes);
  await fastify.register(envelopesRoutes);
  await fastify.register(pendingRoutes);
  await fastify.register(logRoutes);
  const { WECHAT_QR_CHECK_FILE: file, WECHAT_QR_CHECK_CONTENT: content } = opts.config;
  await fastify.register(landingRoutes, file && content ? { qrCheck: { file, content } } : {});
  await fastify.register(metricsRoutes);

  // Unknown routes are counted against the address like any request (plugins/external/rate-limit.ts).
  fastify.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody('NotFound')));
}

/** Fastify server options that belong with the app (limits, timeouts), for server.ts and tests. */
export function serverOptions(config: AppConfig): FastifyServerOptions {
  return {
    bodyLimit: config.BODY_LIMIT,
    // A slow client cannot hold a connection forever.
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 10_000,
    return503OnClosing: true,
    // Starting may wait for another instance's migrations (advisory lock, up to 120 s) or run
    // PGlite's initdb on a slow disk: far longer than Fastify's 10 s default per plugin.
    pluginTimeout: 180_000,
    forceCloseConnections: 'idle',
    // Behind a load balancer the client address comes from X-Forwarded-For, believed only when
    // the connection comes from one of the listed proxies (never from any client).
    trustProxy: config.TRUST_PROXY ?? false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Broken percent-encoding or an over-long path parameter fail in the router, before the error
    // handler: answer them in the API's error shape, without echoing the URL (found by fuzzing).
    frameworkErrors: (_error, _request, reply) => {
      (reply as FastifyReply).code(400).send(errorBody('ValidationFailed', 'The URL is not valid'));
    },
  };
}

/** A ready-to-listen Fastify instance running the app. */
export async function buildApp(
  config: AppConfig,
  deps: AppDependencies = {},
  options: FastifyServerOptions = {},
  /** Told of every route as it is registered (the authorization matrix checks it covers them all). */
  onRoute?: (route: RouteOptions) => void,
): Promise<FastifyInstance> {
  const fastify = Fastify({ ...serverOptions(config), ...options }).withTypeProvider<ZodTypeProvider>();
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  if (onRoute) fastify.addHook('onRoute', onRoute);
  // fastify-plugin, so the app's decorators (config, prisma, …) are visible on the instance.
  await fastify.register(fp(serviceApp, { name: 'mifeng' }), { config, ...deps });
  await fastify.ready();
  return fastify;
}
