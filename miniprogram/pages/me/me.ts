import { type NewKeyFormData, offerPassphrase, strengthMeter } from '../../behaviors/strength-meter';
import {
  applyTabBarLocale,
  errorText,
  getLocale,
  type Locale,
  type Messages,
  messages,
  setLocale,
  t,
} from '../../i18n';
import { isMifengError } from '../../lib';
import { type ScanOutcome, verifyScan } from '../../services/contacts';
import { cancelKdf, KdfCancelledError } from '../../services/kdf';
import { changeMasterKey, isUnlocked, lock, ownKey, rotateKey } from '../../services/keyring';
import { goHome, goRegister, goUnlock, PAGES } from '../../services/nav';
import { drawQr, pixelRatio, queryCanvas } from '../../services/qr';
import { deleteAccount, refreshProfile, signIn, signOut } from '../../services/session';
import { loadStrength } from '../../services/strength';
import { wxCall } from '../../services/wxp';

/** Side of the "my key" QR code, in CSS pixels. */
const KEY_QR_SIZE = 200;

interface MeData extends NewKeyFormData {
  t: Messages;
  loading: boolean;
  name: string;
  phone: string;
  /** From the unlocked private key; empty while locked. */
  fingerprint: string;
  /** The "my key" QR code's text, drawn while unlocked. */
  keyQr: string;
  keyQrSize: number;
  verifyText: string;
  verifyOk: boolean;
  unlocked: boolean;
  changing: boolean;
  /** The "change my key pair" form is open. */
  rotating: boolean;
  /** The current master key, typed to seal the new key under it. */
  rotateMasterKey: string;
  busy: boolean;
  stepText: string;
  error: string;
  locale: Locale;
  /** Not registered: the page offers registration instead of a profile. */
  visitor: boolean;
}

interface MeMethods {
  onRegister(): void;
  load(): Promise<void>;
  showOwnKey(): Promise<void>;
  onVerify(): Promise<void>;
  onToggleChange(): void;
  onToggleRotate(): void;
  onRotateMasterKey(e: WechatMiniprogram.Input): void;
  onRotate(): Promise<void>;
  onNewKey(e: WechatMiniprogram.Input): void;
  onNewKey2(e: WechatMiniprogram.Input): void;
  rate(): void;
  onPassphrase(): Promise<void>;
  onChangeKey(): Promise<void>;
  onHide(): void;
  onUnload(): void;
  onUnlock(): void;
  onLock(): void;
  onLogout(): Promise<void>;
  onDeleteAccount(): Promise<void>;
  onLanguage(): void;
}

Page<MeData, MeMethods>({
  data: {
    t: messages(),
    loading: true,
    name: '',
    phone: '',
    fingerprint: '',
    keyQr: '',
    keyQrSize: KEY_QR_SIZE,
    verifyText: '',
    verifyOk: false,
    unlocked: false,
    changing: false,
    rotating: false,
    rotateMasterKey: '',
    newKey: '',
    newKey2: '',
    strengthScore: 0,
    strengthText: '',
    strengthHint: '',
    strengthOk: false,
    passphrase: '',
    busy: false,
    stepText: '',
    error: '',
    locale: 'zh',
    visitor: false,
  },

  onRegister() {
    goRegister(PAGES.ME);
  },

  onShow() {
    wx.setNavigationBarTitle({ title: t('title_me') });
    applyTabBarLocale();
    this.setData({ t: messages(), locale: getLocale(), unlocked: isUnlocked() });
    this.load();
  },

  async load() {
    this.setData({ loading: true, error: '' });
    try {
      await signIn();
      const profile = await refreshProfile();
      this.setData({ visitor: !profile.user.registered });
      if (!profile.user.registered) return;
      this.setData({ name: profile.user.name ?? '', phone: profile.user.phoneMasked ?? '' });
      await this.showOwnKey();
    } catch (err) {
      this.setData({ error: errorText(err) });
    } finally {
      this.setData({ loading: false });
    }
  },

  /** The own fingerprint and "my key" QR code (services/keyring ownKey); nothing while locked. */
  async showOwnKey() {
    const own = ownKey();
    this.setData({ fingerprint: own?.fingerprint ?? '', keyQr: own?.qr ?? '' });
    if (!own) return;
    const canvas = await queryCanvas(this as unknown as WechatMiniprogram.Page.TrivialInstance, '#key-qr');
    if (canvas) await drawQr(canvas, own.qr, KEY_QR_SIZE, pixelRatio());
  },

  async onVerify() {
    if (!isUnlocked()) {
      goUnlock();
      return;
    }
    let scanned: string;
    try {
      const res = await wxCall<WechatMiniprogram.ScanCodeSuccessCallbackResult>(wx.scanCode, {
        onlyFromCamera: true,
        scanType: ['qrCode'],
      });
      scanned = res.result ?? '';
    } catch {
      return; // cancelled
    }
    let outcome: ScanOutcome;
    try {
      outcome = await verifyScan(scanned);
    } catch (err) {
      this.setData({ verifyText: errorText(err), verifyOk: false });
      return;
    }
    const text = {
      verified: t('verify_ok'),
      mismatch: t('verify_mismatch'),
      unknown: t('verify_unknown'),
      not_a_key: t('verify_not_a_key'),
      self: t('verify_self'),
    }[outcome.result];
    this.setData({ verifyText: text, verifyOk: outcome.result === 'verified' });
    wx.showModal({ title: t('verify_title'), content: text, showCancel: false });
  },

  onToggleChange() {
    const changing = !this.data.changing;
    this.setData({
      changing,
      rotating: false,
      newKey: '',
      newKey2: '',
      passphrase: '',
      error: '',
      strengthText: '',
      strengthHint: '',
      strengthOk: false,
    });
    // The estimator chunk is fetched only when someone actually changes the key.
    if (changing) {
      loadStrength().then(
        () => this.rate(),
        (err) => this.setData({ error: errorText(err) }),
      );
    }
  },

  onToggleRotate() {
    this.setData({ rotating: !this.data.rotating, changing: false, rotateMasterKey: '', error: '' });
  },

  onRotateMasterKey(e) {
    this.setData({ rotateMasterKey: e.detail.value, error: '' });
  },

  async onRotate() {
    if (!isUnlocked()) {
      goUnlock();
      return;
    }
    if (!this.data.rotateMasterKey || this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      await rotateKey(this.data.rotateMasterKey, (step) => {
        if (step === 'backup') this.setData({ stepText: t('unlock_working') });
        if (step === 'keys' || step === 'upload') this.setData({ stepText: t(`register_step_${step}`) });
      });
      this.setData({ busy: false, rotating: false, rotateMasterKey: '', stepText: '' });
      wx.showToast({ title: t('me_rotated'), icon: 'success' });
      await this.showOwnKey();
    } catch (err) {
      if (err instanceof KdfCancelledError) return;
      const wrong = isMifengError(err, 'WrongMasterKey');
      this.setData({ busy: false, stepText: '', error: wrong ? t('unlock_wrong') : errorText(err) });
    }
  },

  onNewKey(e) {
    this.setData({ newKey: e.detail.value, passphrase: '' });
    this.rate();
  },

  /** Rates the new key against what an attacker knows of this person (the name). */
  rate() {
    const { newKey, name } = this.data;
    this.setData(strengthMeter(newKey, [name]));
  },

  onPassphrase() {
    return offerPassphrase(this, ['newKey', 'newKey2']);
  },

  onNewKey2(e) {
    this.setData({ newKey2: e.detail.value });
  },

  async onChangeKey() {
    const { newKey, newKey2 } = this.data;
    if (!isUnlocked()) {
      goUnlock();
      return;
    }
    if (!this.data.strengthOk) {
      this.setData({ error: this.data.strengthHint || this.data.strengthText || t('strength_weak') });
      return;
    }
    if (newKey !== newKey2) {
      this.setData({ error: t('register_mismatch') });
      return;
    }
    this.setData({ busy: true, error: '' });
    try {
      await changeMasterKey(newKey, (step) => {
        if (step === 'backup' || step === 'upload') this.setData({ stepText: t(`register_step_${step}`) });
      });
      this.setData({ busy: false, changing: false, newKey: '', newKey2: '', passphrase: '', stepText: '' });
      wx.showToast({ title: t('me_changed'), icon: 'success' });
    } catch (err) {
      if (err instanceof KdfCancelledError) return;
      this.setData({ busy: false, stepText: '', error: errorText(err) });
    }
  },

  onHide() {
    // A tab switch hides the page: stop re-sealing; the old backup stays valid on the server.
    if (this.data.busy) {
      cancelKdf();
      this.setData({ busy: false, stepText: '' });
    }
  },

  onUnload() {
    cancelKdf();
  },

  onUnlock() {
    goUnlock();
  },

  onLock() {
    lock();
    this.setData({ unlocked: false, fingerprint: '', keyQr: '' });
  },

  async onLogout() {
    const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
      title: t('me_logout'),
      content: t('me_logout_confirm'),
      confirmText: t('modal_logout'),
      cancelText: t('modal_cancel'),
    });
    if (!choice.confirm) return;
    await signOut();
    goHome();
  },

  /** Deletes the account after a confirmation that says what goes and what stays. */
  async onDeleteAccount() {
    if (this.data.busy) return;
    const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
      title: t('me_delete_title'),
      content: t('me_delete_text'),
      confirmText: t('modal_delete_account'),
      confirmColor: '#FA5151',
      cancelText: t('modal_cancel'),
    });
    if (!choice.confirm) return;
    this.setData({ busy: true, error: '' });
    wx.showLoading({ title: t('loading'), mask: true });
    try {
      await deleteAccount();
      wx.hideLoading();
      wx.showToast({ title: t('me_deleted'), icon: 'success' });
      this.setData({ busy: false });
      goHome();
    } catch (err) {
      wx.hideLoading();
      this.setData({ busy: false, error: errorText(err) });
    }
  },

  onLanguage() {
    const next: Locale = getLocale() === 'zh' ? 'en' : 'zh';
    setLocale(next);
    wx.setNavigationBarTitle({ title: t('title_me') });
    applyTabBarLocale();
    this.setData({ t: messages(), locale: next });
  },
});
