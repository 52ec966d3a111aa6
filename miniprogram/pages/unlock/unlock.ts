import { errorText, type Messages, messages, t } from '../../i18n';
import { isMifengError } from '../../lib';
import { cancelKdf, KdfCancelledError } from '../../services/kdf';
import { unlock } from '../../services/keyring';
import { deliverReady } from '../../services/letters';
import { goBack } from '../../services/nav';
import { wxCall } from '../../services/wxp';

interface UnlockData {
  t: Messages;
  masterKey: string;
  busy: boolean;
  error: string;
}

interface UnlockMethods {
  onMasterKey(e: WechatMiniprogram.Input): void;
  onSubmit(): Promise<void>;
  onUnload(): void;
}

Page<UnlockData, UnlockMethods>({
  data: { t: messages(), masterKey: '', busy: false, error: '' },

  onLoad() {
    wx.setNavigationBarTitle({ title: t('title_unlock') });
    this.setData({ t: messages() });
  },

  onMasterKey(e) {
    this.setData({ masterKey: e.detail.value, error: '' });
  },

  async onSubmit() {
    if (!this.data.masterKey || this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      await unlock(this.data.masterKey);
      this.setData({ masterKey: '' });
      // Letters waiting for people who have registered since go out now that the key is here.
      const report = await deliverReady();
      this.setData({ busy: false });
      if (report.keyChanged.length > 0) {
        await wxCall(wx.showModal, {
          title: t('pending_key_changed_title'),
          content: t('pending_key_changed_body', { names: report.keyChanged.join(t('list_separator')) }),
          showCancel: false,
          confirmText: t('modal_ok'),
        });
      }
      for (const name of report.notInLog) {
        await wxCall(wx.showModal, {
          title: t('pending_key_changed_title'),
          content: t('err_not_in_log', { name }),
          showCancel: false,
          confirmText: t('modal_ok'),
        });
      }
      if (report.delivered.length > 0) {
        wx.showToast({
          title: t('pending_delivered_toast', { count: report.delivered.length }),
          icon: 'none',
        });
      }
      goBack();
    } catch (err) {
      if (err instanceof KdfCancelledError) return;
      const wrong = isMifengError(err, 'WrongMasterKey');
      this.setData({ busy: false, error: wrong ? t('unlock_wrong') : errorText(err) });
    }
  },

  onUnload() {
    // Leaving while the backup is being opened stops the key worker.
    cancelKdf();
  },
});
