import { type BoxListData, type BoxListMethods, boxList } from '../../behaviors/box-list';
import { errorText, formatTime, t } from '../../i18n';
import { ENVELOPE_STATE, PENDING_STATE, type PendingEntry } from '../../lib';
import { isUnlocked } from '../../services/keyring';
import {
  acceptPendingKey,
  cancelPending,
  type KeyChange,
  listPending,
  pendingKeyChange,
  readersOf,
  revoke,
} from '../../services/letters';
import { PAGES } from '../../services/nav';
import { wxCall } from '../../services/wxp';

/** A letter waiting for someone not registered yet, as the sent page lists it. */
interface PendingRow {
  id: string;
  title: string;
  state: PendingEntry['state'];
  stateText: string;
  expiry: string;
  /** Still waiting or ready: the sender may stop waiting. */
  cancellable: boolean;
  /** Ready, but their key is not the one this phone pinned: delivered only once accepted. */
  keyChanged: boolean;
  /** What to do about it, in words (empty unless `keyChanged`). */
  keyNote: string;
}

interface SentData extends BoxListData {
  pending: PendingRow[];
  /** The key change of a pending entry being reviewed (the entry's id), or null. */
  review: (KeyChange & { id: string }) | null;
  busy: boolean;
}

function pendingRow(entry: PendingEntry, change: KeyChange | null): PendingRow {
  return {
    id: entry.id,
    title: t('pending_to', { name: entry.name, phone: entry.phoneMasked }),
    state: entry.state,
    stateText: change ? t('pending_state_key_changed') : t(`pending_state_${entry.state}`),
    keyChanged: change !== null,
    keyNote: change ? t('pending_key_changed_row', { name: entry.name }) : '',
    expiry: entry.expiresAt ? t('list_expires', { date: formatTime(entry.expiresAt) }) : t('list_permanent'),
    cancellable: entry.state === PENDING_STATE.WAITING || entry.state === PENDING_STATE.READY,
  };
}

const box = boxList('sent');

/**
 * The entries last listed with their key changes, by id: the review shows, and accepting seals to,
 * exactly the key the sender was shown.
 */
const listed = new Map<string, { entry: PendingEntry; change: KeyChange | null }>();

/** The key change of a ready entry, when this phone is unlocked and can tell (else null). */
async function changeOf(entry: PendingEntry): Promise<KeyChange | null> {
  if (entry.state !== PENDING_STATE.READY || !isUnlocked()) return null;
  try {
    return await pendingKeyChange(entry);
  } catch {
    // The contact book could not be opened: the next unlock says why; the row shows "ready".
    return null;
  }
}

interface SentMethods extends BoxListMethods {
  loadPending(): Promise<void>;
  onReviewPending(e: WechatMiniprogram.TouchEvent): void;
  onAcceptPendingKey(): Promise<void>;
  onCancelPendingReview(): void;
  onCancelPending(e: WechatMiniprogram.TouchEvent): Promise<void>;
  onQr(e: WechatMiniprogram.TouchEvent): void;
  onOpens(e: WechatMiniprogram.TouchEvent): Promise<void>;
  onRevoke(e: WechatMiniprogram.TouchEvent): Promise<void>;
}

Page<SentData, SentMethods>({
  ...box,
  data: { ...box.data, pending: [], review: null, busy: false },

  onShow() {
    box.onShow.call(this as never);
    this.loadPending();
  },

  /** The entries still worth showing: not delivered long ago, newest first (the server's order). */
  async loadPending() {
    try {
      const entries = await listPending();
      const changes = await Promise.all(entries.map(changeOf));
      listed.clear();
      for (const [i, entry] of entries.entries()) listed.set(entry.id, { entry, change: changes[i]! });
      this.setData({ pending: entries.map((entry, i) => pendingRow(entry, changes[i]!)) });
    } catch {
      // The letter list says what went wrong; the pending list stays as it was.
    }
  },

  onReviewPending(e) {
    const id = String(e.currentTarget.dataset.id);
    const change = listed.get(id)?.change;
    if (change) this.setData({ review: { ...change, id } });
  },

  /** The sender compared the fingerprints and accepts: the letter is sealed to that key and goes. */
  async onAcceptPendingKey() {
    const review = this.data.review;
    const entry = review ? listed.get(review.id)?.entry : undefined;
    if (!review || !entry || this.data.busy) return;
    this.setData({ busy: true });
    wx.showLoading({ title: t('loading'), mask: true });
    try {
      const outcome = await acceptPendingKey(entry);
      wx.hideLoading();
      this.setData({ review: null, busy: false });
      if (outcome === 'delivered') {
        wx.showToast({ title: t('pending_delivered_toast', { count: 1 }), icon: 'none' });
      } else {
        // Accepted all the same: the next unlock delivers it once nothing stands in the way.
        await wxCall(wx.showModal, {
          title: t('pending_not_delivered_title'),
          content:
            outcome === 'not_in_log'
              ? t('err_not_in_log', { name: entry.name })
              : t('pending_deliver_failed', { name: entry.name }),
          showCancel: false,
          confirmText: t('modal_ok'),
        });
      }
    } catch (err) {
      wx.hideLoading();
      this.setData({ busy: false });
      wx.showToast({ title: errorText(err), icon: 'none' });
    }
    await this.loadPending();
  },

  /** Not accepted: the letter keeps waiting, and can still be cancelled. */
  onCancelPendingReview() {
    this.setData({ review: null });
  },

  async onCancelPending(e) {
    const id = String(e.currentTarget.dataset.id);
    const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
      title: t('pending_cancel_confirm_title'),
      content: t('pending_cancel_confirm_text'),
      confirmText: t('modal_stop_waiting'),
      confirmColor: '#FA5151',
      cancelText: t('modal_cancel'),
    });
    if (!choice.confirm) return;
    try {
      await cancelPending(id);
      wx.showToast({ title: t('pending_cancelled_toast'), icon: 'success' });
      this.setData({ pending: this.data.pending.filter((p) => p.id !== id) });
    } catch (err) {
      wx.showToast({ title: errorText(err), icon: 'none' });
    }
  },

  onQr(e) {
    const item = this.data.items.find((i) => i.id === e.currentTarget.dataset.id);
    if (!item) return;
    const expires = item.expiresAt ? `&expires=${encodeURIComponent(item.expiresAt)}` : '';
    wx.navigateTo({ url: `${PAGES.SHARE}?id=${item.id}${expires}` });
  },

  async onOpens(e) {
    const id = String(e.currentTarget.dataset.id);
    wx.showLoading({ title: t('loading') });
    try {
      const { opened, delivered } = await readersOf(id);
      const lines = [
        ...opened.map((o) => t('list_opened_by', { name: o.name, date: formatTime(o.at) })),
        ...delivered.map((o) => t('list_delivered_to', { name: o.name, date: formatTime(o.at) })),
      ];
      this.setData({
        items: this.data.items.map((item) =>
          item.id === id ? { ...item, opens: lines, opensLoaded: true } : item,
        ),
      });
    } catch (err) {
      wx.showToast({ title: errorText(err), icon: 'none' });
    } finally {
      wx.hideLoading();
    }
  },

  async onRevoke(e) {
    const id = String(e.currentTarget.dataset.id);
    const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
      title: t('list_revoke_confirm_title'),
      content: t('list_revoke_confirm_text'),
      confirmText: t('modal_revoke'),
      confirmColor: '#FA5151',
      cancelText: t('modal_cancel'),
    });
    if (!choice.confirm) return;
    wx.showLoading({ title: t('loading'), mask: true });
    try {
      await revoke(id);
      wx.hideLoading();
      wx.showToast({ title: t('list_revoked_toast'), icon: 'success' });
      this.setData({
        items: this.data.items.map((item) =>
          item.id === id
            ? { ...item, state: ENVELOPE_STATE.REVOKED, stateText: t('list_state_revoked') }
            : item,
        ),
      });
    } catch (err) {
      wx.hideLoading();
      wx.showToast({ title: errorText(err), icon: 'none' });
    }
  },
});
