/** Contracts of `/api/v1/me*`: the signed-in user's profile, phone and key pair. */
import * as z from 'zod/mini';
import { KeyBackupSchema } from '../protocol';
import {
  API_PREFIX,
  ErrorResponseSchema,
  NameSchema,
  PhoneSchema,
  PublicKeySchema,
  UserSchema,
  WeChatCodeSchema,
} from './common';
import type { Contract } from './contract';

/**
 * A key backup (docs/protocol.md): the private key sealed under the master key, in protocol v1's strict
 * form (shared/protocol). The server stores it as given and hands it back on `GET /me`; only the
 * device can open it.
 */
export const KeyBackupJsonSchema = KeyBackupSchema;
export type KeyBackupJson = z.infer<typeof KeyBackupJsonSchema>;

/** `POST /me/phone` body: the code from the `getPhoneNumber` button, or (dev login) the number. */
export const SetPhoneBodySchema = z.union([
  z.object({ code: WeChatCodeSchema }),
  z.object({ phone: PhoneSchema }),
]);
export type SetPhoneBody = z.infer<typeof SetPhoneBodySchema>;

/** `PUT /me/keys` body: completes registration, or rotates the key (old public keys are kept). */
export const SetKeysBodySchema = z.object({
  name: NameSchema,
  publicKey: PublicKeySchema,
  backup: KeyBackupJsonSchema,
});
export type SetKeysBody = z.infer<typeof SetKeysBodySchema>;

/**
 * What every `/me` route answers: the profile, the current public key and its backup, and the
 * server's limits a client must respect (the farthest custom expiry, in days).
 */
export const MeResponseSchema = z.object({
  user: UserSchema,
  publicKey: z.nullable(PublicKeySchema),
  backup: z.nullable(KeyBackupJsonSchema),
  maxExpiryDays: z.int().check(z.positive()),
});
export type MeResponse = z.infer<typeof MeResponseSchema>;

const authErrors = { 401: ErrorResponseSchema } as const;

export const meContract = {
  get: {
    method: 'GET',
    path: `${API_PREFIX}/me`,
    responses: { 200: MeResponseSchema, ...authErrors },
  },
  setPhone: {
    method: 'POST',
    path: `${API_PREFIX}/me/phone`,
    body: SetPhoneBodySchema,
    responses: {
      200: MeResponseSchema,
      400: ErrorResponseSchema,
      ...authErrors,
      409: ErrorResponseSchema,
      429: ErrorResponseSchema,
      502: ErrorResponseSchema,
      503: ErrorResponseSchema,
    },
  },
  setKeys: {
    method: 'PUT',
    path: `${API_PREFIX}/me/keys`,
    body: SetKeysBodySchema,
    responses: { 200: MeResponseSchema, 400: ErrorResponseSchema, ...authErrors, 409: ErrorResponseSchema },
  },
} as const satisfies Record<string, Contract>;
