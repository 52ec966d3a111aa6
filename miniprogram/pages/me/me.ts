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
import { base64urlDecode, formatFingerprint } from '../../lib';
import { changeMasterKey, isUnlocked, lock } from '../../services/keyring';
import { goHome, goRegister, goUnlock } from '../../services/nav';
import { refreshProfile, signIn, signOut } from '../../services/session';
import { masterKeyStrength } from '../../services/strength';
import { wxCall } from '../../services/wxp';

interface MeData {
  t: Messages;
  loading: boolean;
  name: string;
  phone: string;
  fingerprint: string;
  unlocked: boolean;
  changing: boolean;
  newKey: string;
  newKey2: string;
  strengthText: string;
  strengthOk: boolean;
  busy: boolean;
  stepText: string;
  error: string;
  locale: Locale;
}

interface MeMethods {
  load(): Promise<void>;
  onToggleChange(): void;
  onNewKey(e: WechatMiniprogram.Input): void;
  onNewKey2(e: WechatMiniprogram.Input): void;
  onChangeKey(): Promise<void>;
  onUnlock(): void;
  onLock(): void;
  onLogout(): Promise<void>;
  onLanguage(): void;
}

Page<MeData, MeMethods>({
  data: {
    t: messages(),
    loading: true,
    name: '',
    phone: '',
    fingerprint: '',
    unlocked: false,
    changing: false,
    newKey: '',
    newKey2: '',
    strengthText: '',
    strengthOk: false,
    busy: false,
    stepText: '',
    error: '',
    locale: 'zh',
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
      if (!profile.user.registered) {
        goRegister();
        return;
      }
      this.setData({
        name: profile.user.name ?? '',
        phone: profile.user.phoneMasked ?? '',
        fingerprint: profile.publicKey ? formatFingerprint(base64urlDecode(profile.publicKey)) : '',
      });
    } catch (err) {
      this.setData({ error: errorText(err) });
    } finally {
      this.setData({ loading: false });
    }
  },

  onToggleChange() {
    this.setData({ changing: !this.data.changing, newKey: '', newKey2: '', error: '', strengthText: '' });
  },

  onNewKey(e) {
    const strength = masterKeyStrength(e.detail.value);
    this.setData({
      newKey: e.detail.value,
      strengthOk: strength.acceptable,
      strengthText: t(`strength_${strength.verdict}`),
    });
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
    if (!masterKeyStrength(newKey).acceptable) {
      this.setData({ error: this.data.strengthText || t('strength_weak') });
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
      this.setData({ busy: false, changing: false, newKey: '', newKey2: '', stepText: '' });
      wx.showToast({ title: t('me_changed'), icon: 'success' });
    } catch (err) {
      this.setData({ busy: false, stepText: '', error: errorText(err) });
    }
  },

  onUnlock() {
    goUnlock();
  },

  onLock() {
    lock();
    this.setData({ unlocked: false });
  },

  async onLogout() {
    const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
      title: t('me_logout'),
      content: t('me_logout_confirm'),
      confirmText: t('modal_logout'),
      cancelText: t('modal_cancel'),
    });
    if (!choice.confirm) return;
    signOut();
    goHome();
  },

  onLanguage() {
    const next: Locale = getLocale() === 'zh' ? 'en' : 'zh';
    setLocale(next);
    wx.setNavigationBarTitle({ title: t('title_me') });
    applyTabBarLocale();
    this.setData({ t: messages(), locale: next });
  },
});
