import { type BoxListData, type BoxListMethods, boxList } from '../../behaviors/box-list';
import { errorText, formatTime, t } from '../../i18n';
import { ENVELOPE_STATE } from '../../lib';
import { readersOf, revoke } from '../../services/letters';
import { PAGES } from '../../services/nav';
import { wxCall } from '../../services/wxp';

interface SentMethods extends BoxListMethods {
  onQr(e: WechatMiniprogram.TouchEvent): void;
  onOpens(e: WechatMiniprogram.TouchEvent): Promise<void>;
  onRevoke(e: WechatMiniprogram.TouchEvent): Promise<void>;
}

Page<BoxListData, SentMethods>({
  ...boxList('sent'),

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
