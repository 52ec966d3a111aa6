/**
 * Contracts of letters to people who have not registered yet: `GET /pending`,
 * `POST /pending/:id/deliver` and `DELETE /pending/:id`.
 *
 * A letter is uploaded with `pending` entries (name + phone as typed) beside its envelope
 * (`POST /envelopes`); the server keeps only the keyed hash of each number. When someone registers
 * with that number and that name, the entry becomes `ready` and carries them like a lookup would
 * (id, name, current key and its history); the sender's phone then seals the same letter again for
 * them, sender included, and delivers it here. Exactly one delivery resolves an entry.
 */
import * as z from 'zod/mini';
import {
  API_PREFIX,
  EnvelopeIdSchema,
  ErrorResponseSchema,
  NoContentSchema,
  TimestampSchema,
} from './common';
import type { Contract } from './contract';
import { CreateEnvelopeResponseSchema, EnvelopeJsonSchema } from './envelopes';
import { LookupResponseSchema } from './recipients';

/** A pending entry's id: base64url of 16 random bytes. */
export const PendingIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{22}$/, 'id must be 22 base64url characters'));
export type PendingId = z.infer<typeof PendingIdSchema>;

/**
 * Where an entry stands: `waiting` (nobody registered with that number and name yet), `ready`
 * (someone did: the sender's phone can seal it for them), `delivered` (sealed again and
 * delivered), or the letter's own `expired` / `revoked`, which close the entry too.
 */
export const PENDING_STATE = {
  WAITING: 'waiting',
  READY: 'ready',
  DELIVERED: 'delivered',
  EXPIRED: 'expired',
  REVOKED: 'revoked',
} as const;
export const PendingStateSchema = z.enum(Object.values(PENDING_STATE));
export type PendingState = z.infer<typeof PendingStateSchema>;

/** One entry as its sender sees it. `recipient` only while `ready`. */
export const PendingEntrySchema = z.object({
  id: PendingIdSchema,
  envelopeId: EnvelopeIdSchema,
  /** The name the sender typed and the number's last four digits. */
  name: z.string(),
  phoneMasked: z.string(),
  state: PendingStateSchema,
  createdAt: TimestampSchema,
  /** The letter's expiry: the entry's too. */
  expiresAt: z.nullable(TimestampSchema),
  recipient: z.optional(LookupResponseSchema),
  /** The envelope that delivered it, once delivered. */
  deliveredEnvelopeId: z.nullable(EnvelopeIdSchema),
});
export type PendingEntry = z.infer<typeof PendingEntrySchema>;

/** Entries per `GET /pending` answer, newest first. */
export const PENDING_PAGE_SIZE = 100;

/** `GET /pending` 200: the sender's entries of letters not purged yet, newest first. */
export const ListPendingResponseSchema = z.object({ items: z.array(PendingEntrySchema) });
export type ListPendingResponse = z.infer<typeof ListPendingResponseSchema>;

/** `POST /pending/:id/deliver` and `DELETE /pending/:id` params. */
export const PendingParamsSchema = z.object({ id: PendingIdSchema });
export type PendingParams = z.infer<typeof PendingParamsSchema>;

/**
 * `POST /pending/:id/deliver` body: the letter sealed again, to exactly the sender and the entry's
 * recipient (at their current key), with the original's expiry.
 */
export const DeliverPendingBodySchema = z.object({ envelope: EnvelopeJsonSchema });
export type DeliverPendingBody = z.infer<typeof DeliverPendingBodySchema>;

const registeredErrors = { 401: ErrorResponseSchema, 403: ErrorResponseSchema } as const;

export const pendingContract = {
  list: {
    method: 'GET',
    path: `${API_PREFIX}/pending`,
    responses: { 200: ListPendingResponseSchema, ...registeredErrors },
  },
  deliver: {
    method: 'POST',
    path: `${API_PREFIX}/pending/:id/deliver`,
    params: PendingParamsSchema,
    body: DeliverPendingBodySchema,
    responses: {
      201: CreateEnvelopeResponseSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      404: ErrorResponseSchema,
      409: ErrorResponseSchema,
      410: ErrorResponseSchema,
      413: ErrorResponseSchema,
      415: ErrorResponseSchema,
    },
  },
  cancel: {
    method: 'DELETE',
    path: `${API_PREFIX}/pending/:id`,
    params: PendingParamsSchema,
    responses: {
      204: NoContentSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      404: ErrorResponseSchema,
      409: ErrorResponseSchema,
    },
  },
} as const satisfies Record<string, Contract>;
