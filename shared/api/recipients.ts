/** Contracts of recipient resolution: `POST /recipients/lookup` and `GET /users/:id/key`. */
import * as z from 'zod/mini';
import {
  API_PREFIX,
  ErrorResponseSchema,
  KeyIdSchema,
  NameSchema,
  PhoneSchema,
  PublicKeySchema,
  UserIdSchema,
} from './common';
import type { Contract } from './contract';
import { KeyHistorySchema } from './keys';
import { KeyInclusionSchema } from './log';

/** `POST /recipients/lookup` body: the name and phone the sender typed. */
export const LookupBodySchema = z.object({ name: NameSchema, phone: PhoneSchema });
export type LookupBody = z.infer<typeof LookupBodySchema>;

/**
 * A resolved recipient, their current public key and its history (how each key became current).
 * Unregistered and name-mismatched pairs get one uniform 404 (`no_such_recipient`).
 */
export const LookupResponseSchema = z.object({
  user: UserIdSchema,
  name: z.string(),
  publicKey: PublicKeySchema,
  keyId: KeyIdSchema,
  keyHistory: KeyHistorySchema,
  log: z.optional(KeyInclusionSchema),
});
export type LookupResponse = z.infer<typeof LookupResponseSchema>;

/** `GET /users/:id/key` params. */
export const UserKeyParamsSchema = z.object({ id: UserIdSchema });
export type UserKeyParams = z.infer<typeof UserKeyParamsSchema>;

/** A user's current public key and its history. */
export const UserKeyResponseSchema = z.object({
  publicKey: PublicKeySchema,
  keyId: KeyIdSchema,
  keyHistory: KeyHistorySchema,
  log: z.optional(KeyInclusionSchema),
});
export type UserKeyResponse = z.infer<typeof UserKeyResponseSchema>;

const registeredErrors = { 401: ErrorResponseSchema, 403: ErrorResponseSchema } as const;

export const recipientsContract = {
  lookup: {
    method: 'POST',
    path: `${API_PREFIX}/recipients/lookup`,
    body: LookupBodySchema,
    responses: {
      200: LookupResponseSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      404: ErrorResponseSchema,
      429: ErrorResponseSchema,
    },
  },
  userKey: {
    method: 'GET',
    path: `${API_PREFIX}/users/:id/key`,
    params: UserKeyParamsSchema,
    responses: {
      200: UserKeyResponseSchema,
      400: ErrorResponseSchema,
      ...registeredErrors,
      404: ErrorResponseSchema,
    },
  },
} as const satisfies Record<string, Contract>;
