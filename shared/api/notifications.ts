/**
 * Contracts of WeChat subscription messages: which templates the server sends (`GET
 * /me/notifications`) and the one-time grants the user gave (`POST /me/notifications`).
 *
 * WeChat lets a mini program ask for subscriptions (`wx.requestSubscribeMessage`) only inside a
 * tap, and each `accept` of a one-time template allows exactly one message of it; the server
 * counts them per kind and spends one per message sent. No message carries content or remark.
 */
import * as z from 'zod/mini';
import { API_PREFIX, ErrorResponseSchema } from './common';
import type { Contract } from './contract';

/**
 * What a message says: `new_letter` ("a new secret letter from 〈name〉", to a recipient),
 * `opened` ("〈name〉 opened your letter", to its sender) and `pending_ready` ("someone you wrote
 * to has registered: unlock to deliver", to the sender of a pending letter).
 */
export const NOTIFICATION_KIND = {
  NEW_LETTER: 'new_letter',
  OPENED: 'opened',
  PENDING_READY: 'pending_ready',
} as const;
export const NotificationKindSchema = z.enum(Object.values(NOTIFICATION_KIND));
export type NotificationKind = z.infer<typeof NotificationKindSchema>;

/** Most unspent grants kept per kind (more accepts than this are not counted). */
export const MAX_GRANTS_PER_KIND = 50;

/** Template id per kind (null: that message is off on this server) and the grants left per kind. */
export const NotificationsResponseSchema = z.object({
  templates: z.record(NotificationKindSchema, z.nullable(z.string())),
  grants: z.record(NotificationKindSchema, z.number()),
});
export type NotificationsResponse = z.infer<typeof NotificationsResponseSchema>;

/** `POST /me/notifications` body: the kinds whose template the user accepted in one request. */
export const GrantNotificationsBodySchema = z.object({
  accepted: z.array(NotificationKindSchema).check(
    z.maxLength(Object.keys(NOTIFICATION_KIND).length, 'accepted: each kind at most once'),
    z.refine((kinds) => new Set(kinds).size === kinds.length, 'accepted: each kind at most once'),
  ),
});
export type GrantNotificationsBody = z.infer<typeof GrantNotificationsBodySchema>;

export const notificationsContract = {
  get: {
    method: 'GET',
    path: `${API_PREFIX}/me/notifications`,
    responses: { 200: NotificationsResponseSchema, 401: ErrorResponseSchema, 403: ErrorResponseSchema },
  },
  grant: {
    method: 'POST',
    path: `${API_PREFIX}/me/notifications`,
    body: GrantNotificationsBodySchema,
    responses: {
      200: NotificationsResponseSchema,
      400: ErrorResponseSchema,
      401: ErrorResponseSchema,
      403: ErrorResponseSchema,
    },
  },
} as const satisfies Record<string, Contract>;
