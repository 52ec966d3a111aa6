import { offerPassphrase, strengthMeter } from '../../behaviors/strength-meter';
import { config } from '../../config';
import { errorText, type Messages, messages, t } from '../../i18n';
import * as api from '../../services/api';
import { cancelKdf } from '../../services/kdf';
import { type KeyStep, register } from '../../services/keyring';
import { goHome } from '../../services/nav';
import { loadTemplates, promptInTap, recordAccepted } from '../../services/notify';
import { openPrivacyContract, privacyContractName } from '../../services/privacy';
import { rememberProfile, signIn } from '../../services/session';
import { type PhoneButtonDetail, phoneFailureText } from '../../services/session/phone-failure';
import { loadStrength } from '../../services/strength';

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
  /** Why a refused key is guessable ('' when accepted or empty). */
  strengthHint: string;
  strengthOk: boolean;
  /** A passphrase generated on request, shown so it can be written down. */
  passphrase: string;
  acknowledged: boolean;
  busy: boolean;
  progress: number;
  stepText: string;
  error: string;
}

interface RegisterMethods {
  onLater(): void;
  onName(e: WechatMiniprogram.Input): void;
  onPhone(e: WechatMiniprogram.Input): void;
  onGetPhoneNumber(e: { detail: PhoneButtonDetail }): Promise<void>;
  onAgreeToggle(): void;
  onPrivacyContract(): void;
  onMasterKey(e: WechatMiniprogram.Input): void;
  onMasterKey2(e: WechatMiniprogram.Input): void;
  rate(): void;
  onPassphrase(): Promise<void>;
  onAcknowledge(): void;
  onSubmit(): Promise<void>;
  onUnload(): void;
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
    strengthHint: '',
    strengthOk: false,
    passphrase: '',
    acknowledged: false,
    busy: false,
    progress: 0,
    stepText: '',
    error: '',
  },

  async onLoad(query: Record<string, string | undefined>) {
    const redirect = query.redirect ? decodeURIComponent(query.redirect) : '';
    wx.setNavigationBarTitle({ title: t('title_register') });
    // WeChat adds a home button to a reLaunched page; here it would leave registration half-way.
    wx.hideHomeButton({});
    this.setData({
      redirect,
      t: messages(),
      devLogin: config.loginMode === 'dev',
      strengthText: t('strength_empty'),
    });
    privacyContractName().then((contractName) => this.setData({ contractName }));
    // The estimator is a chunk of its own: fetched while the person fills in name and phone.
    loadStrength().then(
      () => this.rate(),
      (err) => this.setData({ error: errorText(err) }),
    );
    try {
      const profile = await signIn();
      if (profile.user.registered) {
        goHome(redirect || undefined);
        return;
      }
      loadTemplates();
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
    this.rate();
  },

  onPhone(e) {
    this.setData({ phone: e.detail.value });
    this.rate();
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
    this.setData({ masterKey: e.detail.value, passphrase: '' });
    this.rate();
  },

  /** Rates the typed key against what an attacker knows of this person (name, phone). */
  rate() {
    const { masterKey, name, phone } = this.data;
    this.setData(strengthMeter(masterKey, [name, phone]));
  },

  onPassphrase() {
    return offerPassphrase(this, ['masterKey', 'masterKey2']);
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
    else if (!this.data.strengthOk)
      error = this.data.strengthHint || this.data.strengthText || t('strength_weak');
    else if (masterKey !== masterKey2) error = t('register_mismatch');
    if (error || !this.data.acknowledged) {
      this.setData({ error });
      return;
    }
    // In the tap itself, before any await (WeChat's rule): "tell me when a letter comes".
    const accepted = promptInTap(['new_letter']);
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
      this.setData({ masterKey: '', masterKey2: '', passphrase: '' });
      // Registered now, so the server counts the grant; a refusal or a failure changes nothing.
      await recordAccepted(await accepted);
      goHome(this.data.redirect || undefined);
    } catch (err) {
      this.setData({ busy: false, error: errorText(err), progress: 0, stepText: '' });
    }
  },

  /** Registration is never forced: a visitor goes back to looking around. */
  onLater() {
    goHome();
  },

  onUnload() {
    // Leaving mid-registration stops the key worker; nothing was uploaded yet.
    cancelKdf();
  },
});
