/**
 * Contracts of `/api/v1/log/*`, the key transparency log (docs/transparency.md §Routes). Public:
 * the log is meant to be read by anyone, auditors included, so no route needs a token.
 */
import * as z from 'zod/mini';
import { KeyIdSchema, PublicKeySchema } from '../protocol';
import {
  LogKeyRotationSchema,
  LogLeafSchema,
  SignedTreeHeadSchema,
  TreeHashSchema,
  TreeSizeSchema,
} from '../transparency';
import { API_PREFIX, ErrorResponseSchema, UserIdSchema } from './common';
import type { Contract } from './contract';

/** Most leaves one `GET /log/leaves` page holds. */
export const LOG_PAGE_SIZE = 1000;

/** A tree size or leaf index in a query string: a whole number in decimal, no sign, no leading zeros. */
export const LogNumberQuerySchema = z
  .string()
  .check(z.regex(/^(0|[1-9][0-9]{0,14})$/, 'must be a whole number'));

/** The log's signing key and the rotations that lead to it from the key clients are built with. */
export const LogKeyResponseSchema = z.object({
  publicKey: PublicKeySchema,
  keyId: KeyIdSchema,
  rotations: z.array(LogKeyRotationSchema),
});
export type LogKeyResponse = z.infer<typeof LogKeyResponseSchema>;

/** `GET /log/inclusion` query: the leaf and the size of the head to prove it against. */
export const InclusionQuerySchema = z.object({ index: LogNumberQuerySchema, size: LogNumberQuerySchema });
export type InclusionQuery = z.infer<typeof InclusionQuerySchema>;

/** An inclusion proof (RFC 9162 §2.1.3): the hashes from the leaf's sibling up. */
export const InclusionProofSchema = z.object({
  index: TreeSizeSchema,
  size: TreeSizeSchema,
  proof: z.array(TreeHashSchema),
});
export type InclusionProof = z.infer<typeof InclusionProofSchema>;

/** `GET /log/consistency` query: two head sizes, `first` ≤ `second`. */
export const ConsistencyQuerySchema = z.object({ first: LogNumberQuerySchema, second: LogNumberQuerySchema });
export type ConsistencyQuery = z.infer<typeof ConsistencyQuerySchema>;

/** A consistency proof (RFC 9162 §2.1.4). */
export const ConsistencyProofSchema = z.object({
  first: TreeSizeSchema,
  second: TreeSizeSchema,
  proof: z.array(TreeHashSchema),
});
export type ConsistencyProof = z.infer<typeof ConsistencyProofSchema>;

/** A leaf with its position in the log. */
export const LogEntrySchema = z.object({ index: TreeSizeSchema, leaf: LogLeafSchema });
export type LogEntry = z.infer<typeof LogEntrySchema>;

/**
 * Where a key stands in the log: its newest event, that leaf's index, a signed head and the
 * inclusion proof against it. Lookups, `GET /users/:id/key` and letter fetches carry it with the
 * key they name (absent only for a key made current before the log existed).
 */
export const KeyInclusionSchema = z.object({
  index: TreeSizeSchema,
  leaf: LogLeafSchema,
  head: SignedTreeHeadSchema,
  proof: z.array(TreeHashSchema),
});
export type KeyInclusion = z.infer<typeof KeyInclusionSchema>;

/** `GET /log/users/:id` params. */
export const LogUserParamsSchema = z.object({ id: UserIdSchema });

/** Every key event of one user, oldest first. */
export const LogUserEventsResponseSchema = z.object({ events: z.array(LogEntrySchema) });
export type LogUserEventsResponse = z.infer<typeof LogUserEventsResponseSchema>;

/** `GET /log/leaves` query: from `start`, at most `limit` (default and maximum LOG_PAGE_SIZE). */
export const LogLeavesQuerySchema = z.object({
  start: LogNumberQuerySchema,
  limit: z.optional(LogNumberQuerySchema),
});
export type LogLeavesQuery = z.infer<typeof LogLeavesQuerySchema>;

/** A page of leaves and the log's size when it was read. */
export const LogLeavesResponseSchema = z.object({ size: TreeSizeSchema, leaves: z.array(LogEntrySchema) });
export type LogLeavesResponse = z.infer<typeof LogLeavesResponseSchema>;

const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 429: ErrorResponseSchema } as const;

export const logContract = {
  head: {
    method: 'GET',
    path: `${API_PREFIX}/log/head`,
    responses: { 200: SignedTreeHeadSchema, 429: ErrorResponseSchema },
  },
  key: {
    method: 'GET',
    path: `${API_PREFIX}/log/key`,
    responses: { 200: LogKeyResponseSchema, 429: ErrorResponseSchema },
  },
  inclusion: {
    method: 'GET',
    path: `${API_PREFIX}/log/inclusion`,
    querystring: InclusionQuerySchema,
    responses: { 200: InclusionProofSchema, ...errors },
  },
  consistency: {
    method: 'GET',
    path: `${API_PREFIX}/log/consistency`,
    querystring: ConsistencyQuerySchema,
    responses: { 200: ConsistencyProofSchema, ...errors },
  },
  userEvents: {
    method: 'GET',
    path: `${API_PREFIX}/log/users/:id`,
    params: LogUserParamsSchema,
    responses: { 200: LogUserEventsResponseSchema, 400: ErrorResponseSchema, 429: ErrorResponseSchema },
  },
  leaves: {
    method: 'GET',
    path: `${API_PREFIX}/log/leaves`,
    querystring: LogLeavesQuerySchema,
    responses: { 200: LogLeavesResponseSchema, 400: ErrorResponseSchema, 429: ErrorResponseSchema },
  },
} as const satisfies Record<string, Contract>;
