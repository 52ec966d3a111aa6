import { type BoxListData, type BoxListMethods, boxList } from '../../behaviors/box-list';
import { t } from '../../i18n';
import { PAGES } from '../../services/nav';
import { askInTap, loadTemplates, offers } from '../../services/notify';

interface InboxData extends BoxListData {
  /** The server sends "new letter" messages: the inbox offers them, also before any letter came. */
  canNotify: boolean;
}

interface InboxMethods extends BoxListMethods {
  onScan(): void;
  onNotify(): Promise<void>;
}

const box = boxList('inbox');

Page<InboxData, InboxMethods>({
  ...box,
  data: { ...box.data, canNotify: false },

  onShow() {
    box.onShow.call(this as never);
    // A visitor is refused the templates: nothing is offered until they register.
    loadTemplates().then(() => this.setData({ canNotify: offers(['new_letter']) }));
  },

  onScan() {
    wx.navigateTo({ url: PAGES.OPEN });
  },

  async onNotify() {
    // From the tap itself: WeChat shows the subscription prompt for no other call.
    const accepted = await askInTap(['new_letter']);
    this.setData({ canNotify: false });
    if (accepted.length > 0) wx.showToast({ title: t('notify_on_toast'), icon: 'success' });
  },
});
