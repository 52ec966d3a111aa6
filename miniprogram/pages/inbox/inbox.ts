import { type BoxListData, type BoxListMethods, boxList } from '../../behaviors/box-list';
import { PAGES } from '../../services/nav';

interface InboxMethods extends BoxListMethods {
  onScan(): void;
}

Page<BoxListData, InboxMethods>({
  ...boxList('inbox'),

  onScan() {
    wx.navigateTo({ url: PAGES.OPEN });
  },
});
