/**
 * What the inbox and sent pages do alike, as Page options each of them spreads into its own
 * `Page({…})`: the data before the first load; on show, the title, tab bar and texts in the current
 * language, then the first page of the box; pull down to reload; the bottom of the list loads more;
 * tapping a letter opens it; the compose button writes one. The list itself is
 * services/letters/box.ts.
 */
import { applyTabBarLocale, errorText, type Messages, messages, t } from '../i18n';
import type { Box } from '../lib';
import { removeLetter } from '../services/letters';
import { type BoxData, emptyBox, loadMoreOfBox, reloadBox } from '../services/letters/box';
import { PAGES } from '../services/nav';
import { wxCall } from '../services/wxp';

/** The page data of a box page. */
export interface BoxListData extends BoxData {
  t: Messages;
}

/** The methods every box page has. */
export interface BoxListMethods {
  reload(): Promise<void>;
  onMore(): Promise<void>;
  onOpen(e: WechatMiniprogram.TouchEvent): void;
  onCompose(): void;
  onRemove(e: WechatMiniprogram.TouchEvent): Promise<void>;
}

type BoxListPage = WechatMiniprogram.Page.Instance<BoxListData, BoxListMethods>;

/** The shared Page options of the page that lists `box`. */
export function boxList(box: Box) {
  return {
    data: { t: messages(), ...emptyBox() },

    onShow(this: BoxListPage) {
      wx.setNavigationBarTitle({ title: t(`title_${box}`) });
      applyTabBarLocale();
      this.setData({ t: messages() });
      this.reload();
    },

    onPullDownRefresh(this: BoxListPage) {
      this.reload().then(() => wx.stopPullDownRefresh());
    },

    onReachBottom(this: BoxListPage) {
      this.onMore();
    },

    reload(this: BoxListPage) {
      return reloadBox(this, box);
    },

    onMore(this: BoxListPage) {
      return loadMoreOfBox(this, box);
    },

    onOpen(e: WechatMiniprogram.TouchEvent) {
      wx.navigateTo({ url: `${PAGES.OPEN}?id=${e.currentTarget.dataset.id}` });
    },

    onCompose() {
      wx.navigateTo({ url: PAGES.COMPOSE });
    },

    /** Removes a letter from this box, after saying what that means. */
    async onRemove(this: BoxListPage, e: WechatMiniprogram.TouchEvent) {
      const id = String(e.currentTarget.dataset.id);
      const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
        title: t('list_remove_confirm_title'),
        content: t(box === 'inbox' ? 'list_remove_inbox_text' : 'list_remove_sent_text'),
        confirmText: t('modal_remove'),
        confirmColor: '#FA5151',
        cancelText: t('modal_cancel'),
      });
      if (!choice.confirm) return;
      wx.showLoading({ title: t('loading'), mask: true });
      try {
        await removeLetter(id);
        wx.hideLoading();
        wx.showToast({ title: t('list_removed_toast'), icon: 'success' });
        this.setData({ items: this.data.items.filter((item) => item.id !== id) });
      } catch (err) {
        wx.hideLoading();
        wx.showToast({ title: errorText(err), icon: 'none' });
      }
    },
  };
}
