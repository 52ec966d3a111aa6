/**
 * UI text: Chinese by default, English on request (the Me page switches; the choice is stored).
 * Pages put `messages()` into their data as `t` and write `{{t.key}}` in WXML; code uses `t(key)`.
 * Errors reach people only through `errorText`, which maps stable codes to words — never the code.
 */
import { en } from './en';
import { type MessageKey, zh } from './zh';

export type Locale = 'zh' | 'en';
export type Messages = Record<MessageKey, string>;

const TABLES: Record<Locale, Messages> = { zh, en };
const STORAGE_KEY = 'mifeng.locale';

let locale: Locale | null = null;

export function getLocale(): Locale {
  if (locale) return locale;
  try {
    const stored = wx.getStorageSync(STORAGE_KEY);
    locale = stored === 'en' ? 'en' : 'zh';
  } catch {
    locale = 'zh';
  }
  return locale;
}

export function setLocale(next: Locale): void {
  locale = next;
  wx.setStorageSync(STORAGE_KEY, next);
}

/** The tab bar's labels in the current locale (app.json can only hold one language). */
export function applyTabBarLocale(): void {
  const keys: MessageKey[] = ['title_inbox', 'title_sent', 'title_me'];
  keys.forEach((key, index) => {
    wx.setTabBarItem({ index, text: t(key), fail: () => {} });
  });
}

/** The whole table for the current locale (for page data). */
export function messages(): Messages {
  return TABLES[getLocale()];
}

/** One message, with `{name}` placeholders filled. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return messages()[key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
}

/** `YYYY-MM-DD HH:mm` in local time, from an ISO timestamp. */
export function formatTime(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const CODE_TEXT: Record<string, MessageKey> = {
  network: 'err_network',
  rate_limited: 'err_rate_limited',
  wechat_rate_limited: 'err_rate_limited',
  quota_active_letters: 'err_quota_active',
  quota_letters_per_day: 'err_quota_daily',
  quota_stored_bytes: 'err_quota_storage',
  wechat_invalid_code: 'err_wechat',
  wechat_busy: 'err_wechat',
  wechat_error: 'err_wechat',
  wechat_unavailable: 'err_wechat',
  phone_taken: 'err_phone_taken',
  fresh_login_required: 'err_fresh_login',
  not_closed: 'err_not_closed',
  opens_used: 'state_opens_used_title',
  wrap_purged: 'state_wrap_purged_title',
  burned: 'state_burned_title',
  unauthorized: 'err_unauthorized',
  not_registered: 'err_generic',
  validation_failed: 'err_invalid',
  malformed_json: 'err_invalid',
  invalid_phone: 'err_invalid',
  invalid_expiry: 'err_invalid',
  clock_skew: 'err_clock',
  phone_required: 'err_phone_required',
  malformed: 'err_invalid',
  too_large: 'err_too_large',
  payload_too_large: 'err_too_large',
  unavailable: 'err_unavailable',
  random_not_ready: 'err_random',
  locked: 'err_locked',
  key_changed: 'err_key_changed',
  contacts_rollback: 'err_contacts_rollback',
  contacts_damaged: 'err_contacts_damaged',
  pending_not_ready: 'err_pending_not_ready',
  pending_delivered: 'err_pending_delivered',
};

/** Human text for any error a service throws: known codes get their sentence, others a generic one. */
export function errorText(err: unknown): string {
  const code =
    typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
      ? (err as { code: string }).code
      : '';
  return t(CODE_TEXT[code] ?? 'err_generic');
}
