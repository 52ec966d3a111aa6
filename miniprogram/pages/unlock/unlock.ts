import { type NewKeyFormData, offerPassphrase, strengthMeter } from '../../behaviors/strength-meter';
import { errorText, type Messages, messages, t } from '../../i18n';
import { isMifengError } from '../../lib';
import { startContactsOver } from '../../services/contacts';
import { cancelKdf, KdfCancelledError } from '../../services/kdf';
import { resetKeys, unlock } from '../../services/keyring';
import { deliverReadyOnce, showDeliveryReport } from '../../services/letters';
import { goBack } from '../../services/nav';
import { currentProfile } from '../../services/session';
import { loadStrength } from '../../services/strength';

interface UnlockData extends NewKeyFormData {
  t: Messages;
  masterKey: string;
  busy: boolean;
  error: string;
  /** "Forgot master key": the reset form is shown instead of the unlock field. */
  resetting: boolean;
  acknowledged: boolean;
  stepText: string;
}

interface UnlockMethods {
  onMasterKey(e: WechatMiniprogram.Input): void;
  onSubmit(): Promise<void>;
  onForgot(): void;
  onCancelReset(): void;
  onNewKey(e: WechatMiniprogram.Input): void;
  onNewKey2(e: WechatMiniprogram.Input): void;
  rate(): void;
  onPassphrase(): Promise<void>;
  onAcknowledge(): void;
  onReset(): Promise<void>;
  onUnload(): void;
}

const RESET_FORM = {
  newKey: '',
  newKey2: '',
  passphrase: '',
  acknowledged: false,
  strengthScore: 0,
  strengthText: '',
  strengthHint: '',
  strengthOk: false,
  stepText: '',
  error: '',
};

Page<UnlockData, UnlockMethods>({
  data: { t: messages(), masterKey: '', busy: false, resetting: false, ...RESET_FORM },

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
      const report = await deliverReadyOnce();
      this.setData({ busy: false });
      if (report) await showDeliveryReport(report);
      goBack();
    } catch (err) {
      if (err instanceof KdfCancelledError) return;
      const wrong = isMifengError(err, 'WrongMasterKey');
      this.setData({ busy: false, error: wrong ? t('unlock_wrong') : errorText(err) });
    }
  },

  onForgot() {
    wx.setNavigationBarTitle({ title: t('reset_title') });
    this.setData({ resetting: true, masterKey: '', ...RESET_FORM, strengthText: t('strength_empty') });
    // The estimator chunk is fetched only when someone actually resets.
    loadStrength().then(
      () => this.rate(),
      (err) => this.setData({ error: errorText(err) }),
    );
  },

  onCancelReset() {
    wx.setNavigationBarTitle({ title: t('title_unlock') });
    this.setData({ resetting: false, ...RESET_FORM });
  },

  onNewKey(e) {
    this.setData({ newKey: e.detail.value, passphrase: '' });
    this.rate();
  },

  onNewKey2(e) {
    this.setData({ newKey2: e.detail.value });
  },

  /** Rates the new key as registration does, against what an attacker knows of this person. */
  rate() {
    const user = currentProfile()?.user;
    this.setData(strengthMeter(this.data.newKey, [user?.name ?? '']));
  },

  onPassphrase() {
    return offerPassphrase(this, ['newKey', 'newKey2']);
  },

  onAcknowledge() {
    this.setData({ acknowledged: !this.data.acknowledged, error: '' });
  },

  async onReset() {
    const { newKey, newKey2, busy } = this.data;
    if (busy) return;
    let error = '';
    if (!this.data.strengthOk) error = this.data.strengthHint || this.data.strengthText || t('strength_weak');
    else if (newKey !== newKey2) error = t('register_mismatch');
    else if (!this.data.acknowledged) error = t('reset_need_ack');
    if (error) {
      this.setData({ error });
      return;
    }
    this.setData({ busy: true, error: '' });
    try {
      await resetKeys(newKey, (step) => {
        if (step === 'keys' || step === 'backup' || step === 'upload')
          this.setData({ stepText: t(`register_step_${step}`) });
      });
      // The old book is sealed to the lost key: it cannot be opened, so a new one takes its place.
      await startContactsOver().catch(() => {});
      this.setData({ busy: false, resetting: false, ...RESET_FORM });
      wx.showToast({ title: t('reset_done'), icon: 'success' });
      goBack();
    } catch (err) {
      if (err instanceof KdfCancelledError) return;
      this.setData({ busy: false, stepText: '', error: errorText(err) });
    }
  },

  onUnload() {
    // Leaving while the backup is being opened (or a new one sealed) stops the key worker.
    cancelKdf();
  },
});
