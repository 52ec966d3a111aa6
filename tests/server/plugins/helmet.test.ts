/**
 * server/plugins/external/helmet.ts: helmet runs once at start, and every response carries exactly
 * the headers @fastify/helmet would set with the same options (same names, values and order).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fastifyHelmet from '@fastify/helmet';
import Fastify from 'fastify';
import helmetPlugin, { HELMET_OPTIONS, helmetHeaders } from '../../../server/plugins/external/helmet';

async function headersOf(register: (app: ReturnType<typeof Fastify>) => Promise<unknown>) {
  const app = Fastify();
  await register(app);
  app.get('/', async () => ({ ok: true }));
  app.get('/own', async (_request, reply) => reply.header('x-frame-options', 'SAMEORIGIN').send('x'));
  const plain = await app.inject('/');
  const own = await app.inject('/own');
  await app.close();
  const { date: _d, ...rest } = plain.headers;
  return { plain: Object.entries(rest), own: own.headers };
}

describe('helmet plugin', () => {
  it('sets the same headers as @fastify/helmet with the same options, in the same order', async () => {
    const ours = await headersOf((app) => app.register(helmetPlugin));
    const reference = await headersOf((app) => app.register(fastifyHelmet, HELMET_OPTIONS as never));
    assert.deepEqual(ours.plain, reference.plain);
    assert.ok(ours.plain.some(([name]) => name === 'content-security-policy'));
    // A route's own header still wins, as with @fastify/helmet.
    assert.equal(ours.own['x-frame-options'], 'SAMEORIGIN');
    assert.equal(reference.own['x-frame-options'], 'SAMEORIGIN');
  });

  it('rejects invalid options at start, as helmet does', () => {
    assert.throws(() =>
      helmetHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'", 'bad;value'] } } }),
    );
  });
});
