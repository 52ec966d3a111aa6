/**
 * `fastify.quotas`: the per-user upload limits (QUOTA_ACTIVE_LETTERS, QUOTA_STORED_BYTES,
 * QUOTA_LETTERS_PER_DAY), which the envelopes repository checks inside the insert itself. Each
 * refusal (429 `quota_active_letters` / `quota_letters_per_day`, 413 `quota_stored_bytes`) is
 * counted in /metrics and written to the audit log.
 */
import fp from 'fastify-plugin';
import { type ErrorName, isMifengError } from '../../../shared/errors';
import type { QuotaName } from '../external/metrics';
import type { QuotaLimits } from './envelopes-repository';

declare module 'fastify' {
  interface FastifyInstance {
    quotas: QuotaLimits;
  }
}

const QUOTA_ERRORS: Partial<Record<ErrorName, QuotaName>> = {
  QuotaActiveLetters: 'active_letters',
  QuotaStoredBytes: 'stored_bytes',
  QuotaLettersPerDay: 'letters_per_day',
};

export default fp(
  async (fastify) => {
    const { QUOTA_ACTIVE_LETTERS, QUOTA_STORED_BYTES, QUOTA_LETTERS_PER_DAY } = fastify.config;
    fastify.decorate('quotas', {
      activeLetters: QUOTA_ACTIVE_LETTERS,
      storedBytes: QUOTA_STORED_BYTES,
      lettersPerDay: QUOTA_LETTERS_PER_DAY,
    });
    fastify.addHook('onError', async (request, _reply, error) => {
      const quota = isMifengError(error) ? QUOTA_ERRORS[error.name] : undefined;
      if (!quota) return;
      fastify.metrics.quotaRejections.inc({ quota });
      fastify.audit(request, 'quota_exceeded', { quota });
    });
  },
  { name: 'quotas', dependencies: ['config', 'metrics', 'audit'] },
);
