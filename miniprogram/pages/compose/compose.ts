import { errorText, formatTime, type Messages, messages, t } from '../../i18n';
import * as api from '../../services/api';
import { acceptKey } from '../../services/contacts';
import { cancelKdf, KdfCancelledError } from '../../services/kdf';
import { isUnlocked, requireIdentity } from '../../services/keyring';
import {
  checkRecipient,
  confirmLeftOut,
  customDateRange,
  EXPIRY_OPTIONS,
  type ExpiryOption,
  expiryDate,
  type KeyChange,
  KeyChangedError,
  prepareKey,
  QueuedError,
  READ_LIMIT,
  READ_LIMIT_KEYS,
  type ReadLimitKey,
  type RecipientDraft,
  recipientKeyChange,
  resolveRecipient,
  sealAndSend,
  tellQueued,
} from '../../services/letters';
import { goHome, goRegister, goUnlock, PAGES } from '../../services/nav';
import { askInTap, loadTemplates } from '../../services/notify';
import { isRegistered, maxExpiryDays, signIn } from '../../services/session';
import { LogCheckError } from '../../services/transparency';
import { CONTENT_MAX_CHARS, DEFAULT_EXPIRY, REMARK_MAX_CHARS } from './config';

interface RecipientRow extends RecipientDraft {
  /** Identifies the row while its lookup runs (rows above it may be removed meanwhile). */
  key: number;
  /** The tag text shown next to the row. */
  statusText: string;
  /** The trust tag (new, pinned, verified, changed); empty until checked. */
  trustText: string;
}

let nextRowKey = 1;
/** Lookups still running, by row key: sealing waits for them rather than leaving anyone out. */
const pendingLookups = new Map<number, Promise<void>>();

interface ComposeData {
  t: Messages;
  ready: boolean;
  locked: boolean;
  content: string;
  remark: string;
  contentMax: number;
  remarkMax: number;
  newName: string;
  newPhone: string;
  recipients: RecipientRow[];
  expiryOptions: { key: ExpiryOption; label: string }[];
  expiry: ExpiryOption;
  customDay: string;
  dateStart: string;
  dateEnd: string;
  expiryText: string;
  /** The read limit choices (READ_LIMIT), and the one picked: each recipient's opens. */
  readLimits: { key: ReadLimitKey; label: string }[];
  readLimit: ReadLimitKey;
  busy: boolean;
  error: string;
  recipientError: string;
  /** The key change being reviewed (the row's key), or null. */
  review: (KeyChange & { key: number }) | null;
}

interface ComposeMethods {
  refreshExpiry(): void;
  onContent(e: WechatMiniprogram.Input): void;
  onRemark(e: WechatMiniprogram.Input): void;
  onNewName(e: WechatMiniprogram.Input): void;
  onNewPhone(e: WechatMiniprogram.Input): void;
  onAddRecipient(): Promise<void>;
  lookupRow(key: number, name: string, phone: string): Promise<void>;
  onRemoveRecipient(e: WechatMiniprogram.TouchEvent): void;
  onExpiry(e: WechatMiniprogram.TouchEvent): void;
  onCustomDate(e: WechatMiniprogram.PickerChange): void;
  onReadLimit(e: WechatMiniprogram.TouchEvent): void;
  onUnlock(): void;
  onSeal(): Promise<void>;
  recheck(): Promise<void>;
  onReviewKey(e: WechatMiniprogram.TouchEvent): void;
  onAcceptKey(): Promise<void>;
  onCancelReview(): void;
}

function row(draft: RecipientDraft, key: number): RecipientRow {
  const statusText = {
    checking: t('compose_checking'),
    found: t('compose_found'),
    missing: t('compose_pending'),
    error: t('compose_lookup_error'),
  }[draft.status];
  const trustText =
    draft.status !== 'found'
      ? ''
      : draft.logProblem
        ? t(`logtag_${draft.logProblem}`)
        : draft.trust
          ? t(`trust_${draft.trust}`)
          : '';
  return { ...draft, key, statusText, trustText };
}

Page<ComposeData, ComposeMethods>({
  data: {
    t: messages(),
    ready: false,
    locked: false,
    content: '',
    remark: '',
    contentMax: CONTENT_MAX_CHARS,
    remarkMax: REMARK_MAX_CHARS,
    newName: '',
    newPhone: '',
    recipients: [],
    expiryOptions: [],
    expiry: DEFAULT_EXPIRY,
    customDay: '',
    dateStart: '',
    dateEnd: '',
    expiryText: '',
    readLimits: [],
    readLimit: 'NONE',
    busy: false,
    error: '',
    recipientError: '',
    review: null,
  },

  async onLoad() {
    wx.setNavigationBarTitle({ title: t('title_compose') });
    const range = customDateRange(new Date());
    this.setData({
      t: messages(),
      expiryOptions: EXPIRY_OPTIONS.map((key) => ({ key, label: t(`expiry_${key}`) })),
      readLimits: READ_LIMIT_KEYS.map((key) => ({ key, label: t(`read_limit_${key}`) })),
      dateStart: range.start,
      dateEnd: range.end,
    });
    this.refreshExpiry();
    try {
      await signIn();
      if (!isRegistered()) {
        goRegister(PAGES.COMPOSE);
        return;
      }
    } catch (err) {
      this.setData({ error: errorText(err) });
    }
    this.setData({ ready: true });
  },

  onShow() {
    this.setData({ locked: !isUnlocked() });
    this.recheck();
    loadTemplates();
  },

  /** Checks rows found while locked (or before a key change elsewhere) against the contact book. */
  async recheck() {
    if (!isUnlocked()) return;
    for (const r of this.data.recipients) {
      if (r.status !== 'found') continue;
      let checked: RecipientDraft;
      try {
        checked = await checkRecipient(r);
      } catch (err) {
        this.setData({ error: errorText(err) });
        return;
      }
      this.setData({
        recipients: this.data.recipients.map((x) => (x.key === r.key ? row(checked, r.key) : x)),
      });
    }
  },

  onReviewKey(e) {
    const key = Number(e.currentTarget.dataset.key);
    const target = this.data.recipients.find((r) => r.key === key);
    const change = target ? recipientKeyChange(target) : null;
    if (change) this.setData({ review: { ...change, key } });
  },

  async onAcceptKey() {
    const review = this.data.review;
    if (!review || this.data.busy) return;
    this.setData({ busy: true });
    try {
      await acceptKey(review.user, review.publicKey);
      this.setData({ review: null, busy: false, error: '' });
      wx.showToast({ title: t('keychange_accepted'), icon: 'success' });
      await this.recheck();
    } catch (err) {
      this.setData({ busy: false, error: errorText(err) });
    }
  },

  onCancelReview() {
    this.setData({ review: null });
  },

  refreshExpiry() {
    const { expiry, customDay } = this.data;
    const date = expiryDate(expiry, new Date(), customDay);
    let expiryText: string;
    if (date === null) expiryText = t('compose_never_expires');
    else if (date === undefined)
      expiryText = expiry === 'CUSTOM' && !customDay ? '' : t('compose_bad_date', { days: maxExpiryDays() });
    else expiryText = t('compose_expires_on', { date: formatTime(date.toISOString()) });
    this.setData({ expiryText });
  },

  onContent(e) {
    this.setData({ content: e.detail.value });
  },

  onRemark(e) {
    this.setData({ remark: e.detail.value });
  },

  onNewName(e) {
    this.setData({ newName: e.detail.value, recipientError: '' });
  },

  onNewPhone(e) {
    this.setData({ newPhone: e.detail.value, recipientError: '' });
  },

  async onAddRecipient() {
    const name = this.data.newName.trim();
    const phone = this.data.newPhone.trim();
    if (!name || !phone) {
      this.setData({ recipientError: t('compose_need_both') });
      return;
    }
    const key = nextRowKey++;
    this.setData({
      recipients: [...this.data.recipients, row({ name, phone, status: 'checking' }, key)],
      newName: '',
      newPhone: '',
      recipientError: '',
    });
    const lookup = this.lookupRow(key, name, phone);
    pendingLookups.set(key, lookup);
    await lookup;
    pendingLookups.delete(key);
  },

  async lookupRow(key, name, phone) {
    let resolved: RecipientDraft;
    try {
      resolved = await resolveRecipient(name, phone);
    } catch (err) {
      resolved = { name, phone, status: 'error' };
      // The key was found but the contact book could not be trusted: say so, not "lookup failed".
      if (!api.isApiError(err)) this.setData({ error: errorText(err) });
    }
    const rows = this.data.recipients;
    if (!rows.some((r) => r.key === key)) return; // removed while looking up
    const me = isUnlocked() ? requireIdentity().user : null;
    const duplicate = rows.some((r) => r.key !== key && r.user !== undefined && r.user === resolved.user);
    if (resolved.status === 'found' && (resolved.user === me || duplicate)) {
      this.setData({
        recipients: rows.filter((r) => r.key !== key),
        recipientError: t(resolved.user === me ? 'compose_self' : 'compose_duplicate'),
      });
      return;
    }
    this.setData({ recipients: rows.map((r) => (r.key === key ? row(resolved, key) : r)) });
    // Precompute for the wrap to this key now, while the user writes, rather than after send.
    if (resolved.status === 'found' && resolved.publicKey) prepareKey(resolved.publicKey);
  },

  onRemoveRecipient(e) {
    const index = Number(e.currentTarget.dataset.index);
    this.setData({ recipients: this.data.recipients.filter((_, i) => i !== index) });
  },

  onExpiry(e) {
    const key = e.currentTarget.dataset.key as ExpiryOption;
    this.setData({ expiry: key });
    this.refreshExpiry();
  },

  onCustomDate(e) {
    this.setData({ expiry: 'CUSTOM', customDay: String(e.detail.value) });
    this.refreshExpiry();
  },

  onReadLimit(e) {
    this.setData({ readLimit: e.currentTarget.dataset.key as ReadLimitKey });
  },

  onUnlock() {
    goUnlock();
  },

  async onSeal() {
    if (this.data.busy) return;
    // WeChat shows the subscription prompt only from within the tap, so ask before anything waits:
    // "tell me when it is opened" and, for people not registered yet, "when they can get it".
    const asked =
      this.data.content.trim() && this.data.recipients.length > 0
        ? askInTap([
            'opened',
            ...(this.data.recipients.some((r) => r.status !== 'found') ? (['pending_ready'] as const) : []),
          ])
        : Promise.resolve([]);
    if (pendingLookups.size > 0) {
      this.setData({ busy: true, error: '' });
      wx.showLoading({ title: t('compose_waiting_lookups'), mask: true });
      await Promise.all(pendingLookups.values());
      wx.hideLoading();
      this.setData({ busy: false });
    }
    // Read after the wait: rows may have been found, missed or removed meanwhile.
    const { content, remark, recipients, expiry, customDay, readLimit } = this.data;
    const found = recipients.filter((r) => r.status === 'found');
    const waiting = recipients.filter((r) => r.status === 'missing');
    const expiresAt = expiryDate(expiry, new Date(), customDay);
    const changed = found.find((r) => r.trust === 'changed');
    const unlogged = found.find((r) => r.logProblem);
    let error = '';
    if (!content.trim()) error = t('compose_need_content');
    else if (found.length + waiting.length === 0) error = t('compose_need_recipient');
    else if (changed) error = t('compose_key_blocked', { name: changed.name });
    else if (unlogged?.logProblem) error = t(`err_${unlogged.logProblem}`, { name: unlogged.name });
    else if (expiresAt === undefined) error = t('compose_bad_date', { days: maxExpiryDays() });
    if (error) {
      this.setData({ error });
      return;
    }
    if (!isUnlocked()) {
      this.setData({ locked: true });
      return;
    }
    this.setData({ busy: true, error: '' });
    await asked;
    if (!(await confirmLeftOut(recipients))) {
      this.setData({ busy: false });
      return;
    }
    wx.showLoading({ title: t('compose_sealing'), mask: true });
    try {
      const maxOpens = READ_LIMIT[readLimit];
      const sent = await sealAndSend({ content, remark, recipients, expiry, customDay, maxOpens });
      wx.hideLoading();
      const expires = sent.expiresAt ? `&expires=${encodeURIComponent(sent.expiresAt)}` : '';
      wx.redirectTo({ url: `${PAGES.SHARE}?id=${sent.id}&url=${encodeURIComponent(sent.url)}${expires}` });
    } catch (err) {
      wx.hideLoading();
      // The page was left while the key worker sealed: nothing was sent, and there is no page to update.
      if (err instanceof KdfCancelledError) return;
      if (err instanceof QueuedError) {
        // Sealed and kept: sealing again would make a second letter. It goes out from the sent list.
        await tellQueued();
        goHome(PAGES.SENT);
        return;
      }
      this.setData({
        busy: false,
        error: err instanceof LogCheckError ? t(`err_${err.code}`, { name: err.subject }) : errorText(err),
      });
      // The book knew better than the page: show the row as changed.
      if (err instanceof KeyChangedError) await this.recheck();
    }
  },

  onUnload() {
    // Leaving while a large letter is sealed in the key worker stops it before anything is sent.
    cancelKdf();
  },
});
