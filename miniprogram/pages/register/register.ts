import { config } from '../../config';
import { errorText, type Messages, messages, t } from '../../i18n';
import * as api from '../../services/api';
import { type KeyStep, register } from '../../services/keyring';
import { goHome } from '../../services/nav';
import { openPrivacyContract, privacyContractName } from '../../services/privacy';
import { rememberProfile, signIn } from '../../services/session';
import { type PhoneButtonDetail, phoneFailureText } from '../../services/session/phone-failure';
import { masterKeyStrength } from '../../services/strength';

const STEPS: KeyStep[] = ['phone', 'keys', 'backup', 'upload', 'done'];

interface RegisterData {
  t: Messages;
  /** Where to go once registered (a page path with its query), or '' for the inbox. */
  redirect: string;
  ready: boolean;
  devLogin: boolean;
  name: string;
  phone: string;
  /** The masked number once the server verified it (WeChat login). */
  phoneVerified: string;
  /** The person ticked "I have read and agree to the privacy guide" (needed before the phone step). */
  agreed: boolean;
  contractName: string;
  masterKey: string;
  masterKey2: string;
  strengthScore: number;
  strengthText: string;
  strengthOk: boolean;
  acknowledged: boolean;
  busy: boolean;
  progress: number;
  stepText: string;
  error: string;
}

interface RegisterMethods {
  onName(e: WechatMiniprogram.Input): void;
  onPhone(e: WechatMiniprogram.Input): void;
  onGetPhoneNumber(e: { detail: PhoneButtonDetail }): Promise<void>;
  onAgreeToggle(): void;
  onPrivacyContract(): void;
  onMasterKey(e: WechatMiniprogram.Input): void;
  onMasterKey2(e: WechatMiniprogram.Input): void;
  onAcknowledge(): void;
  onSubmit(): Promise<void>;
}

Page<RegisterData, RegisterMethods>({
  data: {
    t: messages(),
    redirect: '',
    ready: false,
    devLogin: config.loginMode === 'dev',
    name: '',
    phone: '',
    phoneVerified: '',
    agreed: false,
    contractName: '',
    masterKey: '',
    masterKey2: '',
    strengthScore: 0,
    strengthText: '',
    strengthOk: false,
    acknowledged: false,
    busy: false,
    progress: 0,
    stepText: '',
    error: '',
  },

  async onLoad(query: Record<string, string | undefined>) {
    const redirect = query.redirect ? decodeURIComponent(query.redirect) : '';
    wx.setNavigationBarTitle({ title: t('title_register') });
    this.setData({
      redirect,
      t: messages(),
      devLogin: config.loginMode === 'dev',
      strengthText: t('strength_empty'),
    });
    privacyContractName().then((contractName) => this.setData({ contractName }));
    try {
      const profile = await signIn();
      if (profile.user.registered) {
        goHome(redirect || undefined);
        return;
      }
      this.setData({
        ready: true,
        name: profile.user.name ?? '',
        phoneVerified: profile.user.phoneMasked ?? '',
      });
    } catch (err) {
      this.setData({ ready: true, error: errorText(err) });
    }
  },

  onName(e) {
    this.setData({ name: e.detail.value });
  },

  onPhone(e) {
    this.setData({ phone: e.detail.value });
  },

  async onGetPhoneNumber(e) {
    const code = e.detail.code;
    if (!code) {
      this.setData({ error: phoneFailureText(e.detail) });
      return;
    }
    this.setData({ busy: true, error: '' });
    wx.showLoading({ title: t('register_step_phone'), mask: true });
    try {
      const profile = await api.setPhone({ code });
      rememberProfile(profile);
      this.setData({ phoneVerified: profile.user.phoneMasked ?? '' });
    } catch (err) {
      this.setData({ error: errorText(err) });
    } finally {
      wx.hideLoading();
      this.setData({ busy: false });
    }
  },

  onAgreeToggle() {
    this.setData({ agreed: !this.data.agreed, error: '' });
  },

  onPrivacyContract() {
    openPrivacyContract().catch(() => {
      // No guide configured (DevTools with the tourist app id): nothing to open.
    });
  },

  onMasterKey(e) {
    const strength = masterKeyStrength(e.detail.value);
    this.setData({
      masterKey: e.detail.value,
      strengthScore: strength.score,
      strengthOk: strength.acceptable,
      strengthText: t(`strength_${strength.verdict}`),
    });
  },

  onMasterKey2(e) {
    this.setData({ masterKey2: e.detail.value });
  },

  onAcknowledge() {
    this.setData({ acknowledged: !this.data.acknowledged });
  },

  async onSubmit() {
    const { name, phone, phoneVerified, masterKey, masterKey2, devLogin } = this.data;
    let error = '';
    if (!this.data.agreed) error = t('register_need_agreement');
    else if (!name.trim()) error = t('register_need_name');
    else if (!phoneVerified && !(devLogin && phone.trim())) error = t('register_need_phone');
    else if (!masterKeyStrength(masterKey).acceptable) error = this.data.strengthText || t('strength_weak');
    else if (masterKey !== masterKey2) error = t('register_mismatch');
    if (error || !this.data.acknowledged) {
      this.setData({ error });
      return;
    }
    this.setData({ busy: true, error: '', progress: 0 });
    try {
      const phoneProof = phoneVerified ? null : { phone: phone.trim() };
      await register({ name: name.trim(), masterKey, phone: phoneProof }, (step) => {
        this.setData({
          progress: Math.round((STEPS.indexOf(step) + 1) * (100 / STEPS.length)),
          stepText: t(`register_step_${step}`),
        });
      });
      // Forget the typed keys as soon as they are not needed.
      this.setData({ masterKey: '', masterKey2: '' });
      goHome(this.data.redirect || undefined);
    } catch (err) {
      this.setData({ busy: false, error: errorText(err), progress: 0, stepText: '' });
    }
  },
});
