/**
 * Contracts of `/api/v1/envelopes*`: upload, fetch, list and revoke sealed letters.
 *
 * The envelope itself is protocol version 1, 2 or 3 (docs/protocol.md, shared/protocol): the server
 * checks it with the protocol's own schema and signature check and stores it as received. Versions
 * 1 and 2 are handed back unchanged; a version 3 letter is handed to each reader with only their
 * own wrap, and loses a recipient's wrap (to its wrapHash) once they can no longer fetch it.
 */
import * as z from 'zod/mini';
import { ERRORS, type ErrorName } from '../errors';
import { EnvelopeSchema, MAX_RECIPIENTS } from '../protocol';
import {
  API_PREFIX,
  CursorSchema,
  EnvelopeIdSchema,
  ErrorResponseSchema,
  KeyIdSchema,
  NameSchema,
  NoContentSchema,
  PhoneSchema,
  PublicKeySchema,
  SenderRefSchema,
  TimestampSchema,
  UserIdSchema,
  UserRefSchema,
} from './common';
import type { Contract } from './contract';
import { KeyHistorySchema } from './keys';
import { KeyInclusionSchema } from './log';

/** Most recipients per envelope, the sender included (a protocol limit). */
export const MAX_ENVELOPE_RECIPIENTS = MAX_RECIPIENTS;

/**
 * The JSON form of an envelope of either version: the protocol's own strict schema (shared/protocol), so the
 * API accepts exactly what the protocol does. Binary fields stay base64url strings.
 */
export const EnvelopeJsonSchema = EnvelopeSchema;
export type EnvelopeJson = z.infer<typeof EnvelopeJsonSchema>;

/** Someone not registered yet, as compose sends them beside a letter (shared/api/pending.ts). */
export const PendingInputSchema = z.object({ name: NameSchema, phone: PhoneSchema });
export type PendingInput = z.infer<typeof PendingInputSchema>;

/** Most pending entries per letter: the protocol's recipient limit, less the sender. */
export const MAX_PENDING_PER_LETTER = MAX_RECIPIENTS - 1;

/**
 * `POST /envelopes` body: the envelope and, optionally, people not registered yet to deliver it to
 * once they register (each number once, at most MAX_PENDING_PER_LETTER).
 */
export const CreateEnvelopeBodySchema = z.object({
  envelope: EnvelopeJsonSchema,
  pending: z.optional(
    z
      .array(PendingInputSchema)
      .check(z.maxLength(MAX_PENDING_PER_LETTER, `at most ${MAX_PENDING_PER_LETTER} entries`)),
  ),
});
export type CreateEnvelopeBody = z.infer<typeof CreateEnvelopeBodySchema>;

/**
 * `POST /envelopes` 201: the id, the QR URL `<PUBLIC_URL>/s/<id>` and, when the body had
 * `pending`, each entry's id in the same order.
 */
export const CreateEnvelopeResponseSchema = z.object({
  id: EnvelopeIdSchema,
  url: z.string(),
  pending: z.optional(z.array(z.string())),
});
export type CreateEnvelopeResponse = z.infer<typeof CreateEnvelopeResponseSchema>;

/** `GET|DELETE /envelopes/:id` params. */
export const EnvelopeParamsSchema = z.object({ id: EnvelopeIdSchema });
export type EnvelopeParams = z.infer<typeof EnvelopeParamsSchema>;

/**
 * The sender as `GET /envelopes/:id` shows them: the name they had when they sent it, their masked
 * phone, the key that signed this envelope, and their key history (which may go on past it).
 */
export const EnvelopeSenderSchema = z.object({
  user: UserIdSchema,
  name: z.string(),
  phoneMasked: z.nullable(z.string()),
  publicKey: PublicKeySchema,
  keyId: KeyIdSchema,
  /** Where the sender's key stands in the transparency log. */
  log: z.optional(KeyInclusionSchema),
  keyHistory: KeyHistorySchema,
});
export type EnvelopeSender = z.infer<typeof EnvelopeSenderSchema>;

/**
 * Read limits a sender can choose (the envelope's signed `maxOpens`): opens per recipient, where an
 * open is one fetch of the letter by that recipient (docs/api.md, read limits). `null` = no limit.
 */
export const READ_LIMIT = { NONE: null, BURN_AFTER_READING: 1, THREE: 3, TEN: 10 } as const;
export type ReadLimit = (typeof READ_LIMIT)[keyof typeof READ_LIMIT];

/** Opens per recipient: a positive integer, or null for no limit. */
export const MaxOpensSchema = z.nullable(z.int().check(z.positive()));

/**
 * Where a recipient stands with a limited letter: the limit the sender signed and the opens left
 * (after the fetch that answered it, for `GET /envelopes/:id`).
 */
export const ReadsSchema = z.object({
  maxOpens: z.int().check(z.positive()),
  opensLeft: z.int().check(z.gte(0)),
});
export type Reads = z.infer<typeof ReadsSchema>;

/** A recipient's first successful fetch of an envelope. */
export const EnvelopeOpenSchema = z.object({ user: UserIdSchema, name: z.string(), at: TimestampSchema });
export type EnvelopeOpen = z.infer<typeof EnvelopeOpenSchema>;

/**
 * `GET /envelopes/:id` 200. Only for the sender: `opens`, the recipients whose app confirmed it
 * decrypted the letter (`POST /envelopes/:id/opened`), and `deliveries`, those it was handed to who
 * have not confirmed (fetched, perhaps still locked; a fetch alone is not an open).
 */
export const GetEnvelopeResponseSchema = z.object({
  envelope: EnvelopeJsonSchema,
  sender: EnvelopeSenderSchema,
  opens: z.optional(z.array(EnvelopeOpenSchema)),
  deliveries: z.optional(z.array(EnvelopeOpenSchema)),
  /** Only for a recipient of a limited letter: this fetch used one open. */
  reads: z.optional(ReadsSchema),
});
export type GetEnvelopeResponse = z.infer<typeof GetEnvelopeResponseSchema>;

/** Which list: letters addressed to me (`inbox`, my own excluded) or sent by me (`sent`). */
export const BOX = { INBOX: 'inbox', SENT: 'sent' } as const;
export const BoxSchema = z.enum([BOX.INBOX, BOX.SENT]);
export type Box = z.infer<typeof BoxSchema>;

/** Items per list page. */
export const ENVELOPE_PAGE_SIZE = 20;

/** `GET /envelopes` query. */
export const ListEnvelopesQuerySchema = z.object({
  box: BoxSchema,
  cursor: z.optional(CursorSchema),
});
export type ListEnvelopesQuery = z.infer<typeof ListEnvelopesQuerySchema>;

/**
 * The states of a letter, the one list the repository, the routes and the clients use: `active`
 * (can be opened), `expired` (past `expiresAt`), `revoked` (by its sender; wins over expired) or
 * `burned` (no recipient but the sender could fetch it any more — each used their opens or removed
 * it — so its body is gone; wins over both). Purging drops an expired or revoked letter's body
 * after a grace period; the tombstone keeps its state.
 */
export const ENVELOPE_STATE = {
  ACTIVE: 'active',
  EXPIRED: 'expired',
  REVOKED: 'revoked',
  BURNED: 'burned',
} as const;
export const EnvelopeStateSchema = z.enum(Object.values(ENVELOPE_STATE));
export type EnvelopeState = z.infer<typeof EnvelopeStateSchema>;
export type ClosedEnvelopeState = Exclude<EnvelopeState, typeof ENVELOPE_STATE.ACTIVE>;

/** The error `GET /envelopes/:id` answers for a letter that can no longer be opened (410). */
export const CLOSED_STATE_ERROR = {
  [ENVELOPE_STATE.EXPIRED]: 'Expired',
  [ENVELOPE_STATE.REVOKED]: 'Revoked',
  [ENVELOPE_STATE.BURNED]: 'Burned',
} as const satisfies Record<ClosedEnvelopeState, ErrorName>;

/** The closed state an error code of `GET /envelopes/:id` reports, or null for any other code. */
export function closedStateOf(code: string): ClosedEnvelopeState | null {
  for (const [state, name] of Object.entries(CLOSED_STATE_ERROR)) {
    if (ERRORS[name].code === code) return state as ClosedEnvelopeState;
  }
  return null;
}

/**
 * Why a recipient can no longer fetch a letter, as its sender's sent box shows it: they removed it
 * from their inbox (or deleted their account), or they used every open it allows.
 */
export const RECIPIENT_STATUS = { REMOVED: 'removed', OPENS_USED: 'opens_used' } as const;
export const RecipientStatusSchema = z.enum(Object.values(RECIPIENT_STATUS));
export type RecipientStatus = z.infer<typeof RecipientStatusSchema>;

/** A recipient in a list entry; `status` only in the sender's own sent box, only when closed to them. */
export const RecipientRefSchema = z.extend(UserRefSchema, { status: z.optional(RecipientStatusSchema) });
export type RecipientRef = z.infer<typeof RecipientRefSchema>;

/**
 * One list entry: metadata only, never ciphertext. `maxOpens` is the letter's read limit (null: none);
 * `opensLeft` the reader's own opens left in the inbox (null in the sent box and without a limit).
 */
export const EnvelopeSummarySchema = z.object({
  id: EnvelopeIdSchema,
  sender: SenderRefSchema,
  recipients: z.array(RecipientRefSchema),
  createdAt: TimestampSchema,
  expiresAt: z.nullable(TimestampSchema),
  state: EnvelopeStateSchema,
  maxOpens: MaxOpensSchema,
  opensLeft: z.nullable(z.int().check(z.gte(0))),
});
export type EnvelopeSummary = z.infer<typeof EnvelopeSummarySchema>;

/** `GET /envelopes` 200: newest first; pass `nextCursor` back as `cursor` for the next page. */
export const ListEnvelopesResponseSchema = z.object({
  items: z.array(EnvelopeSummarySchema),
  nextCursor: z.nullable(CursorSchema),
});
export type ListEnvelopesResponse = z.infer<typeof ListEnvelopesResponseSchema>;

/**
 * `GET /envelopes/:id/status` 200: what a reader needs before fetching (which, for a limited
 * letter, uses an open): the state, the limit and — for a recipient — their opens left. Unsigned:
 * the phone checks the signed `maxOpens` once it has the letter. While the letter is active it
 * also carries `sender`, the very block `GET /envelopes/:id` answers, so the phone checks the
 * sender's key (contact book, transparency log) before a fetch that uses an open, and then
 * requires the fetch to name the same sender and key.
 */
export const EnvelopeStatusSchema = z.object({
  state: EnvelopeStateSchema,
  maxOpens: MaxOpensSchema,
  opensLeft: z.nullable(z.int().check(z.gte(0))),
  sender: z.optional(EnvelopeSenderSchema),
});
export type EnvelopeStatus = z.infer<typeof EnvelopeStatusSchema>;

const registeredErrors = { 401: ErrorResponseSchema, 403: ErrorResponseSchema } as const;

export const envelopesContract = {
  create: {
    method: 'POST',
    path: `${API_PREFIX}/envelopes`,
    body: CreateEnvelopeBodySchema,
    responses: {
      201: CreateEnvelopeResponseSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      409: ErrorResponseSchema,
      413: ErrorResponseSchema,
      415: ErrorResponseSchema,
    },
  },
  get: {
    method: 'GET',
    path: `${API_PREFIX}/envelopes/:id`,
    params: EnvelopeParamsSchema,
    responses: {
      200: GetEnvelopeResponseSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      404: ErrorResponseSchema,
      410: ErrorResponseSchema,
    },
  },
  list: {
    method: 'GET',
    path: `${API_PREFIX}/envelopes`,
    querystring: ListEnvelopesQuerySchema,
    responses: { 200: ListEnvelopesResponseSchema, 400: ErrorResponseSchema, ...registeredErrors },
  },
  opened: {
    method: 'POST',
    path: `${API_PREFIX}/envelopes/:id/opened`,
    params: EnvelopeParamsSchema,
    responses: {
      204: NoContentSchema,
      400: ErrorResponseSchema,
      401: ErrorResponseSchema,
      404: ErrorResponseSchema,
      410: ErrorResponseSchema,
    },
  },
  status: {
    method: 'GET',
    path: `${API_PREFIX}/envelopes/:id/status`,
    params: EnvelopeParamsSchema,
    responses: {
      200: EnvelopeStatusSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      404: ErrorResponseSchema,
    },
  },
  remove: {
    method: 'POST',
    path: `${API_PREFIX}/envelopes/:id/remove`,
    params: EnvelopeParamsSchema,
    responses: {
      204: NoContentSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      404: ErrorResponseSchema,
      409: ErrorResponseSchema,
    },
  },
  revoke: {
    method: 'DELETE',
    path: `${API_PREFIX}/envelopes/:id`,
    params: EnvelopeParamsSchema,
    responses: {
      204: NoContentSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      404: ErrorResponseSchema,
    },
  },
} as const satisfies Record<string, Contract>;
