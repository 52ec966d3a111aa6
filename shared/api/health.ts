/** Contracts of the probes `GET /healthz` (liveness) and `GET /readyz` (readiness). */
import * as z from 'zod/mini';
import type { Contract } from './contract';

/** A dependency's state in a readiness answer. */
export const CheckStateSchema = z.enum(['ok', 'down', 'disabled']);
export type CheckState = z.infer<typeof CheckStateSchema>;

/** `GET /healthz` 200: the process answers. */
export const HealthResponseSchema = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

/** `GET /readyz` 200/503: the database (and Redis, when configured) can be reached. */
export const ReadyResponseSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.object({ database: CheckStateSchema, redis: CheckStateSchema }),
});
export type ReadyResponse = z.infer<typeof ReadyResponseSchema>;

export const healthContract = {
  health: { method: 'GET', path: '/healthz', responses: { 200: HealthResponseSchema } },
  ready: {
    method: 'GET',
    path: '/readyz',
    responses: { 200: ReadyResponseSchema, 503: ReadyResponseSchema },
  },
} as const satisfies Record<string, Contract>;
