/**
 * The expiry sweeper's one job: purge the ciphertext and wraps (the stored body) of envelopes that
 * expired or were revoked more than `graceMs` ago, keeping their tombstone rows (id, sender,
 * recipients, times, state) so the sent box stays truthful.
 *
 * Safe with several instances running it at once: the repository purges with one UPDATE per batch
 * over rows locked with SKIP LOCKED and re-checks `purged_at IS NULL`, so each envelope is purged
 * exactly once, by whichever instance got to it.
 */
import type { FastifyInstance } from 'fastify';

export interface PurgeResult {
  /** Ids purged by this run. */
  purged: string[];
}

export async function purgeExpired(
  fastify: Pick<FastifyInstance, 'envelopesRepository'>,
  options: { now?: Date; graceMs: number },
): Promise<PurgeResult> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.graceMs);
  return { purged: await fastify.envelopesRepository.purge(cutoff, now) };
}
