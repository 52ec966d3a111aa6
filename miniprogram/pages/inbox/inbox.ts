import { applyTabBarLocale, type Messages, messages, t } from '../../i18n';
import { type BoxData, emptyBox, loadMoreOfBox, reloadBox } from '../../services/letters/box';
import { PAGES } from '../../services/nav';

interface InboxData extends BoxData {
  t: Messages;
}

interface InboxMethods {
  reload(): Promise<void>;
  onMore(): Promise<void>;
  onOpen(e: WechatMiniprogram.TouchEvent): void;
  onCompose(): void;
  onScan(): void;
}

Page<InboxData, InboxMethods>({
  data: { t: messages(), ...emptyBox() },

  onShow() {
    wx.setNavigationBarTitle({ title: t('title_inbox') });
    applyTabBarLocale();
    this.setData({ t: messages() });
    this.reload();
  },

  onPullDownRefresh() {
    this.reload().then(() => wx.stopPullDownRefresh());
  },

  onReachBottom() {
    this.onMore();
  },

  reload() {
    return reloadBox(this, 'inbox');
  },

  onMore() {
    return loadMoreOfBox(this, 'inbox');
  },

  onOpen(e) {
    wx.navigateTo({ url: `${PAGES.OPEN}?id=${e.currentTarget.dataset.id}` });
  },

  onCompose() {
    wx.navigateTo({ url: PAGES.COMPOSE });
  },

  onScan() {
    wx.navigateTo({ url: PAGES.OPEN });
  },
});
