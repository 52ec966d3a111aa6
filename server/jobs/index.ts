/**
 * Schedules the background jobs: the expiry sweeper every `PURGE_INTERVAL_SECONDS` (0 = off).
 * Timers are unref'd (they never keep the process alive) and stopped in `onClose`; a run still in
 * flight is awaited before the database closes. Each run is counted in /metrics.
 */
import fp from 'fastify-plugin';
import { purgeExpired } from './purge-expired';

export default fp(
  async (fastify) => {
    const intervalMs = fastify.config.PURGE_INTERVAL_SECONDS * 1000;
    const graceMs = fastify.config.PURGE_GRACE_SECONDS * 1000;
    if (intervalMs === 0) return;

    let running: Promise<void> | null = null;
    const run = () => {
      if (running) return;
      running = purgeExpired(fastify, { graceMs })
        .then(({ purged }) => {
          fastify.metrics.sweeperRuns.inc({ outcome: 'ok' });
          fastify.metrics.sweeperPurged.inc(undefined, purged.length);
          if (purged.length > 0)
            fastify.log.info({ purged: purged.length }, 'purged expired and revoked envelopes');
        })
        .catch((err: unknown) => {
          fastify.metrics.sweeperRuns.inc({ outcome: 'failed' });
          fastify.log.warn({ err }, 'purge run failed; will retry');
        })
        .finally(() => {
          running = null;
        });
    };
    let timer: NodeJS.Timeout | undefined;
    fastify.addHook('onReady', async () => {
      timer = setInterval(run, intervalMs);
      timer.unref();
    });
    fastify.addHook('onClose', async () => {
      clearInterval(timer);
      await running;
    });
  },
  { name: 'jobs', dependencies: ['config', 'metrics', 'envelopes-repository'] },
);
