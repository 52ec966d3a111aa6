/** Contracts of `/api/v1/auth/*`: sign in with WeChat (or the dev login) and get a JWT. */
import * as z from 'zod/mini';
import {
  API_PREFIX,
  ErrorResponseSchema,
  NoContentSchema,
  TimestampSchema,
  UserSchema,
  WeChatCodeSchema,
} from './common';
import type { Contract } from './contract';

/** `POST /auth/wechat` body: the code from `wx.login`. */
export const WeChatLoginBodySchema = z.object({ code: WeChatCodeSchema });
export type WeChatLoginBody = z.infer<typeof WeChatLoginBodySchema>;

/** `POST /auth/dev` body (dev login only): an openid of your choosing stands in for WeChat's. */
export const DevLoginBodySchema = z.object({
  openid: z
    .string()
    .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9_-]+$/, 'openid must be URL-safe')),
});
export type DevLoginBody = z.infer<typeof DevLoginBodySchema>;

/**
 * What both login routes answer: a bearer token (JWT, subject = user id), when it expires, and the
 * user. Tokens are short-lived: the mini program signs in again with a fresh `wx.login` code
 * before `expiresAt` (or on a 401), which needs no action from the user.
 */
export const AuthResponseSchema = z.object({
  token: z.string(),
  expiresAt: TimestampSchema,
  user: UserSchema,
  registered: z.boolean(),
});
export type AuthResponse = z.infer<typeof AuthResponseSchema>;

export const authContract = {
  wechat: {
    method: 'POST',
    path: `${API_PREFIX}/auth/wechat`,
    body: WeChatLoginBodySchema,
    responses: {
      200: AuthResponseSchema,
      400: ErrorResponseSchema,
      429: ErrorResponseSchema,
      502: ErrorResponseSchema,
      503: ErrorResponseSchema,
    },
  },
  dev: {
    method: 'POST',
    path: `${API_PREFIX}/auth/dev`,
    body: DevLoginBodySchema,
    responses: { 200: AuthResponseSchema, 400: ErrorResponseSchema, 404: ErrorResponseSchema },
  },
  /** Revokes every token of the caller's account, this one included. */
  logout: {
    method: 'POST',
    path: `${API_PREFIX}/auth/logout`,
    responses: { 204: NoContentSchema, 401: ErrorResponseSchema },
  },
} as const satisfies Record<string, Contract>;
