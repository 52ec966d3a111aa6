/**
 * WeChat subscription messages: asking for them (`wx.requestSubscribeMessage`, which WeChat allows
 * only while handling a tap) and telling the server which were accepted. Each accepted one-time
 * template allows the server one message of that kind; the server counts them.
 *
 * The template ids come from the server (`GET /me/notifications`, also before registration),
 * fetched ahead of the tap so the tap itself calls WeChat at once. A refusal, an unsupported base library or a failure changes
 * nothing else: notifications are a convenience, never in the way of sending or reading.
 */
import type { NotificationKind } from '../../lib';
import * as api from '../api';

let templates: Partial<Record<NotificationKind, string>> = {};

/** Fetches the server's template ids (call on page show, before any tap needs them). */
export async function loadTemplates(): Promise<void> {
  try {
    const answer = await api.getNotifications();
    const next: Partial<Record<NotificationKind, string>> = {};
    for (const [kind, id] of Object.entries(answer.templates)) if (id) next[kind as NotificationKind] = id;
    templates = next;
  } catch {
    templates = {};
  }
}

/** Whether the server sends any of `kinds` (so a page shows the button at all). */
export function offers(kinds: readonly NotificationKind[]): boolean {
  return kinds.some((kind) => templates[kind]);
}

/**
 * Shows WeChat's prompt for `kinds` (only those the server sends) and resolves with the kinds
 * accepted, not yet told to the server. Call synchronously from a tap handler, before any await:
 * WeChat refuses the request otherwise.
 */
export function promptInTap(kinds: readonly NotificationKind[]): Promise<NotificationKind[]> {
  const wanted = kinds.filter((kind) => templates[kind]);
  if (wanted.length === 0 || typeof wx.requestSubscribeMessage !== 'function') return Promise.resolve([]);
  const ids = wanted.map((kind) => templates[kind] as string);
  return new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: (result: Record<string, string>) =>
        resolve(wanted.filter((kind) => result[templates[kind] as string] === 'accept')),
      fail: () => resolve([]),
    } as unknown as WechatMiniprogram.RequestSubscribeMessageOption);
  });
}

/**
 * Tells the server which kinds were accepted (only a registered user's grants count: registration
 * prompts in its tap and records once registered). Resolves with the kinds recorded.
 */
export async function recordAccepted(accepted: NotificationKind[]): Promise<NotificationKind[]> {
  if (accepted.length === 0) return [];
  try {
    await api.grantNotifications(accepted);
    return accepted;
  } catch {
    return [];
  }
}

/** Prompts for `kinds` and records what was accepted; the same rule as `promptInTap`. */
export function askInTap(kinds: readonly NotificationKind[]): Promise<NotificationKind[]> {
  return promptInTap(kinds).then(recordAccepted);
}
