/** Probes, OpenAPI, security headers, unknown routes; Redis-backed rate limits shared by instances. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisUnavailable, requireService, TEST_REDIS_URL } from '../../support/services';
import { forEachDatabase, useDatabase } from '../databases';
import { registerUser, startServer, type TestServer, testConfig, useServer } from '../helper';

const noRedis = await requireService('Redis', () => redisUnavailable());

forEachDatabase((target) => {
  describe("the verification file of WeChat's scan-a-link rule", () => {
    const db = useDatabase(target);
    const server = useServer(() => ({
      database: db().database,
      config: testConfig({ WECHAT_QR_CHECK_FILE: 'Xy12abCD.txt', WECHAT_QR_CHECK_CONTENT: '5f3c0e9a1b' }),
    }));

    it('answers /s/<name>.txt with the configured content, and ids and other names as before', async () => {
      const file = await server().request('GET', '/s/Xy12abCD.txt');
      assert.equal(file.status, 200);
      assert.equal(file.text, '5f3c0e9a1b');
      assert.match(String(file.headers.get('content-type')), /^text\/plain/);
      const other = await server().request('GET', '/s/other.txt');
      assert.equal(other.status, 404);
      assert.match(String(other.headers.get('content-type')), /^text\/html/);
      const letter = await server().request('GET', `/s/${'A'.repeat(22)}`);
      assert.equal(letter.status, 200);
      assert.match(letter.text, /WeChat/);
    });
  });

  describe('health, docs and edges', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database }));

    it('/healthz and /readyz answer ok', async () => {
      assert.deepEqual((await server().request('GET', '/healthz')).body, { status: 'ok' });
      const ready = await server().request('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { status: 'ok', checks: { database: 'ok', redis: 'disabled' } });
    });

    it('/docs serves the OpenAPI document built from the shared schemas', async () => {
      const doc = await server().request<{ paths: Record<string, unknown>; openapi: string }>(
        'GET',
        '/docs/json',
      );
      assert.equal(doc.status, 200);
      for (const path of [
        '/api/v1/envelopes',
        '/api/v1/envelopes/{id}',
        '/api/v1/recipients/lookup',
        '/api/v1/me/keys',
      ]) {
        assert.ok(doc.body.paths[path], path);
      }
      assert.equal((await server().request('GET', '/docs')).status < 400, true);
    });

    it('unknown routes are 404 not_found, with security headers', async () => {
      const reply = await server().request('GET', '/api/v1/nothing-here');
      assert.equal(reply.status, 404);
      assert.deepEqual(reply.body, { error: { code: 'not_found', message: 'Not found' } });
      assert.equal(reply.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(reply.headers.get('content-security-policy'));
    });
  });

  describe('rate limits in Redis, shared by two instances', { skip: noRedis }, () => {
    const db = useDatabase(target);
    let one: TestServer;
    let two: TestServer;
    before(async () => {
      const overrides = { REDIS_URL: TEST_REDIS_URL, LOOKUP_RATE_LIMIT_PER_MINUTE: '4' };
      one = await startServer({ database: db().database, config: testConfig(overrides) });
      two = await startServer({ database: db().database, config: testConfig(overrides) });
    });
    after(async () => {
      await one?.close();
      await two?.close();
    });

    it('readyz reports Redis, and one user cannot double the lookup allowance across instances', async () => {
      assert.deepEqual((await one.request('GET', '/readyz')).body, {
        status: 'ok',
        checks: { database: 'ok', redis: 'ok' },
      });
      const user = await registerUser(one);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const s = i % 2 === 0 ? one : two;
        const reply = await s.request('POST', '/api/v1/recipients/lookup', {
          token: user.token,
          body: { name: 'Nobody', phone: `1360000${String(i).padStart(4, '0')}` },
        });
        statuses.push(reply.status);
      }
      assert.deepEqual(statuses, [404, 404, 404, 404, 429, 429]);
    });
  });
});
