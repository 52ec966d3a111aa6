/**
 * `GET /metrics`: absent without METRICS_TOKEN, 401 without the right bearer token, and in the
 * Prometheus text format with requests by route template and status class, latency histograms,
 * rate-limit rejections, sweeper runs and (on PostgreSQL) the pool. Real HTTP, PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROMETHEUS_CONTENT_TYPE } from '../../../server/metrics';
import { forEachDatabase, useDatabase } from '../databases';
import { registerUser, sealFor, sendLetter, startServer, testConfig } from '../helper';

const METRICS_TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

/** The value of one sample line (`name{labels} value`), or undefined. */
function sampleValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

forEachDatabase((target) => {
  describe('metrics', () => {
    const db = useDatabase(target);

    it('answers 404 when no METRICS_TOKEN is configured', async () => {
      const server = await startServer({ database: db().database });
      try {
        assert.equal((await server.request('GET', '/metrics')).status, 404);
      } finally {
        await server.close();
      }
    });

    it('exposes the series to the token holder only', async () => {
      const server = await startServer({
        database: db().database,
        config: testConfig({ METRICS_TOKEN, RATE_LIMIT_PER_MINUTE: '3', PURGE_INTERVAL_SECONDS: '1' }),
      });
      try {
        for (const token of [undefined, 'wrong', METRICS_TOKEN.slice(0, -1)]) {
          const refused = await server.request('GET', '/metrics', token === undefined ? {} : { token });
          assert.equal(refused.status, 401);
        }
        const alice = await registerUser(server);
        const bob = await registerUser(server);
        const letter = sealFor(alice, [bob]);
        await sendLetter(server, alice, letter);
        // Alice's allowance of 3 is spent (phone, keys, upload): the next two are refused.
        for (let i = 0; i < 2; i++)
          assert.equal(
            (await server.request('GET', `/api/v1/envelopes/${letter.id}`, { token: alice.token })).status,
            429,
          );
        await server.request('GET', '/no/such/path');
        await new Promise((r) => setTimeout(r, 1500)); // one sweeper run

        const reply = await server.request<string>('GET', '/metrics', { token: METRICS_TOKEN });
        assert.equal(reply.status, 200);
        assert.equal(reply.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE);
        const text = reply.text;
        assert.equal(
          sampleValue(
            text,
            'mifeng_http_requests_total{route="/api/v1/envelopes",method="POST",status="2xx"}',
          ),
          1,
        );
        assert.equal(
          sampleValue(
            text,
            'mifeng_http_requests_total{route="/api/v1/envelopes/:id",method="GET",status="4xx"}',
          ),
          2,
        );
        assert.ok(!text.includes(letter.id), 'routes by template, never by id');
        assert.equal(
          sampleValue(text, 'mifeng_http_requests_total{route="unmatched",method="GET",status="4xx"}'),
          1,
        );
        assert.equal(sampleValue(text, 'mifeng_rate_limit_rejections_total{limit="user"}'), 2);
        assert.equal(
          sampleValue(
            text,
            'mifeng_http_request_duration_seconds_count{route="/api/v1/envelopes",method="POST"}',
          ),
          1,
        );
        assert.equal(
          sampleValue(
            text,
            'mifeng_http_request_duration_seconds_bucket{route="/api/v1/envelopes",method="POST",le="+Inf"}',
          ),
          1,
        );
        assert.ok((sampleValue(text, 'mifeng_sweeper_runs_total{outcome="ok"}') ?? 0) >= 1);
        assert.match(text, /^# TYPE mifeng_http_request_duration_seconds histogram$/m);
        if (target.kind === 'postgres')
          assert.ok((sampleValue(text, 'mifeng_db_pool_connections{state="total"}') ?? 0) >= 1);
        else assert.doesNotMatch(text, /^mifeng_db_pool_connections\{/m);
        // Every sample line is `name{labels} number`.
        for (const line of text
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('#')))
          assert.match(line, /^[a-z_][a-z0-9_]*(\{[^}]*\})? (-?[0-9.e+-]+|NaN)$/, line);
      } finally {
        await server.close();
      }
    });
  });
});
