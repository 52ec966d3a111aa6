import { applyTabBarLocale, errorText, type Messages, messages, t } from '../../i18n';
import { listBox } from '../../services/letters';
import { type LetterRow, letterRow } from '../../services/letters/rows';
import { goRegister, PAGES } from '../../services/nav';
import { isRegistered, signIn } from '../../services/session';

interface InboxData {
  t: Messages;
  loading: boolean;
  items: LetterRow[];
  nextCursor: string | null;
  error: string;
}

interface InboxMethods {
  reload(): Promise<void>;
  onMore(): Promise<void>;
  onOpen(e: WechatMiniprogram.TouchEvent): void;
  onCompose(): void;
  onScan(): void;
}

Page<InboxData, InboxMethods>({
  data: { t: messages(), loading: true, items: [], nextCursor: null, error: '' },

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

  async reload() {
    this.setData({ loading: true, error: '' });
    try {
      await signIn();
      if (!isRegistered()) {
        goRegister();
        return;
      }
      const page = await listBox('inbox');
      this.setData({ items: page.items.map((i) => letterRow(i, 'inbox')), nextCursor: page.nextCursor });
    } catch (err) {
      this.setData({ error: errorText(err) });
    } finally {
      this.setData({ loading: false });
    }
  },

  async onMore() {
    if (!this.data.nextCursor || this.data.loading) return;
    this.setData({ loading: true });
    try {
      const page = await listBox('inbox', this.data.nextCursor);
      this.setData({
        items: [...this.data.items, ...page.items.map((i) => letterRow(i, 'inbox'))],
        nextCursor: page.nextCursor,
      });
    } catch (err) {
      this.setData({ error: errorText(err) });
    } finally {
      this.setData({ loading: false });
    }
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
