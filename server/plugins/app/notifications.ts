/**
 * `fastify.notifications`: WeChat subscription messages (subscribeMessage.send through
 * `fastify.wechat`, with its token handling) and the one-time grants they spend.
 *
 * Each message kind has its template (WECHAT_TEMPLATE_*; unset = that kind is off) and fixed
 * keywords (docs/operations.md). A message is sent only when the user has a grant left, which is
 * taken in the same statement that checks it (two instances cannot spend one grant twice) and
 * given back when WeChat failed for a reason of its own; WeChat's 43101 (refused, nothing left)
 * sets the count to zero. A template WeChat does not know (40037: deleted in the console, or
 * another app's) turns its kind off on this instance, logged as an error, so it is not tried again
 * for every later letter; the daily quota (45009) is a failure like any other, the grant kept.
 * Messages carry a name and a time, never a letter's content or remark.
 *
 * Sending never blocks the request that caused it: it runs after the answer, its outcome is
 * counted in `mifeng_notifications_total` and a failure is logged with the kind and WeChat's
 * errcode only (no openid, name or token). `settled()` waits for those in flight (tests, close).
 */
import fp from 'fastify-plugin';
import {
  MAX_GRANTS_PER_KIND,
  NOTIFICATION_KIND,
  type NotificationKind,
} from '../../../shared/api/notifications';
import { WECHAT_ERRCODE, WeChatApiError } from '../../wechat';
import type { NotificationOutcome } from '../external/metrics';

type Counts = Record<NotificationKind, number>;

export interface Notifications {
  /** The template id per kind, null where the kind is off. */
  readonly templates: Record<NotificationKind, string | null>;
  grants(userId: string): Promise<Counts>;
  /** Adds one grant of each kind (up to MAX_GRANTS_PER_KIND); returns the counts. */
  grant(userId: string, kinds: readonly NotificationKind[]): Promise<Counts>;
  /** "A new secret letter from 〈senderName〉", to each recipient. */
  newLetter(envelopeId: string, senderName: string, recipientIds: readonly string[], at: Date): void;
  /** "〈openerName〉 opened your letter", to its sender. */
  opened(senderId: string, openerName: string, at: Date): void;
  /** "〈name〉 has registered: unlock to deliver", to the sender of a pending letter. */
  pendingReady(senderId: string, recipientName: string): void;
  /** Resolves once every message started so far has finished. */
  settled(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    notifications: Notifications;
  }
}

/** Longest `thing` keyword value WeChat accepts, in characters. */
const THING_MAX = 20;

/** What the pending-ready message says after the name (fits a `thing`). */
const PENDING_READY_HINT = '已注册，解锁密封即可送达';

/** Where a tap on each kind of message leads. */
const PAGES = {
  openLetter: (id: string) => `pages/open/open?id=${id}`,
  sent: 'pages/sent/sent',
  unlock: 'pages/unlock/unlock',
} as const;

/** A `thing` value: at most 20 characters, cut with an ellipsis. */
export function thing(text: string): string {
  const chars = [...text];
  return chars.length <= THING_MAX ? text : `${chars.slice(0, THING_MAX - 1).join('')}…`;
}

/** A `time` value in China time, as WeChat's keyword rules write it: `2026年12月2日 14:05`. */
export function chinaTime(at: Date): string {
  const t = new Date(at.getTime() + 8 * 3_600_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${t.getUTCFullYear()}年${t.getUTCMonth() + 1}月${t.getUTCDate()}日 ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
}

function zeroCounts(): Counts {
  return { new_letter: 0, opened: 0, pending_ready: 0 };
}

export default fp(
  async (fastify) => {
    const { prisma, config, metrics, wechat, log } = fastify;
    const templates: Record<NotificationKind, string | null> = {
      new_letter: config.WECHAT_TEMPLATE_NEW_LETTER ?? null,
      opened: config.WECHAT_TEMPLATE_OPENED ?? null,
      pending_ready: config.WECHAT_TEMPLATE_PENDING_READY ?? null,
    };
    const inflight = new Set<Promise<void>>();

    const count = (kind: NotificationKind, outcome: NotificationOutcome) =>
      metrics.notifications.inc({ kind, outcome });

    async function grants(userId: string): Promise<Counts> {
      const rows = await prisma.notificationGrant.findMany({ where: { userId } });
      const counts = zeroCounts();
      for (const row of rows) if (row.kind in counts) counts[row.kind as NotificationKind] = row.count;
      return counts;
    }

    /** Takes one grant of `kind` from `userId`; false when none is left. */
    async function take(userId: string, kind: NotificationKind): Promise<boolean> {
      const { count: taken } = await prisma.notificationGrant.updateMany({
        where: { userId, kind, count: { gt: 0 } },
        data: { count: { decrement: 1 } },
      });
      return taken > 0;
    }

    async function giveBack(userId: string, kind: NotificationKind): Promise<void> {
      await prisma.notificationGrant.updateMany({
        where: { userId, kind },
        data: { count: { increment: 1 } },
      });
    }

    async function deliver(
      kind: NotificationKind,
      userId: string,
      page: string,
      data: Record<string, string>,
    ): Promise<void> {
      const templateId = templates[kind];
      if (!templateId) return count(kind, 'off');
      if (!(await take(userId, kind))) return count(kind, 'no_grant');
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { openid: true } });
      if (!user) return count(kind, 'failed');
      try {
        await wechat.sendSubscribeMessage({
          touser: user.openid,
          templateId,
          page,
          data,
          miniprogramState: config.WECHAT_MINIPROGRAM_STATE,
          lang: 'zh_CN',
        });
        count(kind, 'sent');
      } catch (err) {
        const errcode = err instanceof WeChatApiError ? err.errcode : undefined;
        if (errcode === WECHAT_ERRCODE.INVALID_TEMPLATE) {
          // A configuration fault no retry mends: off here until the template is fixed and the
          // server restarted. WeChat spent nothing, so the grant goes back.
          templates[kind] = null;
          await giveBack(userId, kind);
          count(kind, 'off');
          log.error({ kind, errcode }, 'subscription template unknown to WeChat: kind turned off');
          return;
        }
        if (errcode === WECHAT_ERRCODE.NOT_SUBSCRIBED) {
          // WeChat holds no grant for this user: ours was wrong (refused later, or never given).
          await prisma.notificationGrant.updateMany({ where: { userId, kind }, data: { count: 0 } });
          count(kind, 'refused');
        } else {
          // WeChat spends a grant only on a message it accepted: this one is still there.
          await giveBack(userId, kind);
          count(kind, 'failed');
        }
        log.warn({ kind, errcode, code: (err as { code?: unknown }).code }, 'subscription message not sent');
      }
    }

    /** Runs `deliver` after the current request, tracked so `settled()` and close can wait for it. */
    function start(kind: NotificationKind, userId: string, page: string, data: Record<string, string>) {
      const task = deliver(kind, userId, page, data)
        .catch((err: unknown) => {
          count(kind, 'failed');
          log.warn({ kind, code: (err as { code?: unknown }).code }, 'subscription message failed');
        })
        .finally(() => inflight.delete(task));
      inflight.add(task);
    }

    const notifications: Notifications = {
      templates,
      grants,
      async grant(userId, kinds) {
        for (const kind of kinds) {
          await prisma.$executeRaw`
            INSERT INTO notification_grants (user_id, kind, count, updated_at)
            VALUES (${userId}, ${kind}, 1, now())
            ON CONFLICT (user_id, kind) DO UPDATE
              SET count = LEAST(notification_grants.count + 1, ${MAX_GRANTS_PER_KIND}), updated_at = now()`;
        }
        return grants(userId);
      },
      newLetter(envelopeId, senderName, recipientIds, at) {
        for (const id of recipientIds) {
          start(NOTIFICATION_KIND.NEW_LETTER, id, PAGES.openLetter(envelopeId), {
            thing1: thing(senderName),
            time2: chinaTime(at),
          });
        }
      },
      opened(senderId, openerName, at) {
        start(NOTIFICATION_KIND.OPENED, senderId, PAGES.sent, {
          thing1: thing(openerName),
          time2: chinaTime(at),
        });
      },
      pendingReady(senderId, recipientName) {
        start(NOTIFICATION_KIND.PENDING_READY, senderId, PAGES.unlock, {
          thing1: thing(recipientName),
          thing2: PENDING_READY_HINT,
        });
      },
      async settled() {
        while (inflight.size > 0) await Promise.allSettled([...inflight]);
      },
    };
    fastify.decorate('notifications', notifications);
    fastify.addHook('onClose', async () => notifications.settled());
  },
  { name: 'notifications', dependencies: ['config', 'prisma', 'metrics', 'wechat'] },
);
