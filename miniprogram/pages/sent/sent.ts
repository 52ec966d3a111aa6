import { type BoxListData, type BoxListMethods, boxList } from '../../behaviors/box-list';
import { errorText, formatTime, t } from '../../i18n';
import { ENVELOPE_STATE, PENDING_STATE, type PendingEntry } from '../../lib';
import { cancelPending, listPending, readersOf, revoke } from '../../services/letters';
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
}

interface SentData extends BoxListData {
  pending: PendingRow[];
}

function pendingRow(entry: PendingEntry): PendingRow {
  return {
    id: entry.id,
    title: t('pending_to', { name: entry.name, phone: entry.phoneMasked }),
    state: entry.state,
    stateText: t(`pending_state_${entry.state}`),
    expiry: entry.expiresAt ? t('list_expires', { date: formatTime(entry.expiresAt) }) : t('list_permanent'),
    cancellable: entry.state === PENDING_STATE.WAITING || entry.state === PENDING_STATE.READY,
  };
}

const box = boxList('sent');

interface SentMethods extends BoxListMethods {
  loadPending(): Promise<void>;
  onCancelPending(e: WechatMiniprogram.TouchEvent): Promise<void>;
  onQr(e: WechatMiniprogram.TouchEvent): void;
  onOpens(e: WechatMiniprogram.TouchEvent): Promise<void>;
  onRevoke(e: WechatMiniprogram.TouchEvent): Promise<void>;
}

Page<SentData, SentMethods>({
  ...box,
  data: { ...box.data, pending: [] },

  onShow() {
    box.onShow.call(this as never);
    this.loadPending();
  },

  /** The entries still worth showing: not delivered long ago, newest first (the server's order). */
  async loadPending() {
    try {
      const entries = await listPending();
      this.setData({ pending: entries.map(pendingRow) });
    } catch {
      // The letter list says what went wrong; the pending list stays as it was.
    }
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
