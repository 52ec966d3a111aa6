import { errorText, type Messages, messages, t } from '../../i18n';
import { isMifengError } from '../../lib';
import { cancelKdf, KdfCancelledError } from '../../services/kdf';
import { unlock } from '../../services/keyring';
import { goBack } from '../../services/nav';

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
      this.setData({ masterKey: '', busy: false });
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
