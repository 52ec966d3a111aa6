import { errorText, formatTime, type Messages, messages, t } from '../../i18n';
import { acceptKey, startContactsOver } from '../../services/contacts';
import { onLock } from '../../services/keyring';
import {
  idFromLetterUrl,
  idFromQuery,
  type KeyChange,
  type OpenedLetter,
  type OpenState,
  openLetter,
} from '../../services/letters';
import { goHome, goRegister, goUnlock, PAGES } from '../../services/nav';
import { askInTap, loadTemplates, offers } from '../../services/notify';
import { wxCall } from '../../services/wxp';

/** The states the state card draws (a changed key has its own screen). */
type CardState = Exclude<OpenState, 'open' | 'key_changed'>;

/** How each state is drawn by the state card. */
const STATE_KIND: Record<CardState, string> = {
  locked: 'info',
  unregistered: 'info',
  not_for_you: 'warn',
  old_key: 'warn',
  expired: 'empty',
  revoked: 'empty',
  burned: 'empty',
  opens_used: 'empty',
  wrap_purged: 'empty',
  limited: 'warn',
  tampered: 'error',
  contacts: 'error',
  not_in_log: 'error',
  log_forked: 'error',
  log_bad_head: 'error',
  network: 'warn',
  invalid_link: 'warn',
  error: 'error',
};

/** The page data that shows `state` on the state card, in the current language. */
function stateCard(state: Exclude<CardState, 'limited'>) {
  return {
    state,
    stateKind: STATE_KIND[state],
    stateTitle: t(`state_${state}_title`),
    stateText: t(`state_${state}_text`),
  };
}

/**
 * The warning before a limited letter is fetched (which uses an open), or — with none left — the
 * card that says so.
 */
function limitedCard(maxOpens: number, opensLeft: number) {
  if (opensLeft <= 0) return stateCard('opens_used');
  return {
    state: 'limited' as const,
    stateKind: STATE_KIND.limited,
    stateTitle: t('state_limited_title'),
    stateText:
      maxOpens === 1
        ? t('state_limited_burn_text')
        : t('state_limited_text', { max: String(maxOpens), left: String(opensLeft) }),
  };
}

interface OpenData {
  t: Messages;
  /** `scan`: opened without a letter (offer the scanner); `loading`; or an OpenState. */
  state: 'scan' | 'loading' | OpenState;
  id: string;
  letter: OpenedLetter | null;
  /** The sender's key change waiting for the reader's decision (state `key_changed`). */
  change: KeyChange | null;
  changeText: string;
  busy: boolean;
  error: string;
  createdText: string;
  expiresText: string;
  opens: { name: string; at: string }[];
  /** A limited letter that is open: what is left, in words (empty without a limit). */
  limitText: string;
  stateKind: string;
  stateTitle: string;
  stateText: string;
  captureWarning: boolean;
  /** The server sends "new letter" messages and this reader has not asked on this page yet. */
  canNotify: boolean;
}

interface OpenMethods {
  onNotify(): Promise<void>;
  captureHandler: (() => void) | null;
  stopLockWatch: (() => void) | null;
  load(spendOpen?: boolean): Promise<void>;
  forget(): void;
  onSpendOpen(): void;
  protect(on: boolean): void;
  onCopy(): void;
  onScan(): Promise<void>;
  onUnlock(): void;
  onRegister(): void;
  onRetry(): void;
  onHome(): void;
  onAcceptKey(): Promise<void>;
  onContactsOver(): Promise<void>;
}

Page<OpenData, OpenMethods>({
  captureHandler: null,
  stopLockWatch: null,
  data: {
    t: messages(),
    state: 'loading',
    id: '',
    letter: null,
    change: null,
    changeText: '',
    busy: false,
    error: '',
    createdText: '',
    expiresText: '',
    opens: [],
    limitText: '',
    stateKind: 'info',
    stateTitle: '',
    stateText: '',
    captureWarning: false,
    canNotify: false,
  },

  onLoad(query: Record<string, string | undefined>) {
    wx.setNavigationBarTitle({ title: t('title_open') });
    this.setData({ t: messages() });
    if (query.id === undefined && query.q === undefined) {
      this.setData({ state: 'scan' });
      return;
    }
    const id = idFromQuery(query);
    if (!id) {
      this.setData(stateCard('invalid_link'));
      return;
    }
    this.setData({ id });
    // Warn when someone screenshots an open letter (WeChat tells us after the fact).
    this.captureHandler = () => {
      if (this.data.state !== 'open') return;
      this.setData({ captureWarning: true });
      wx.showModal({ title: t('title_open'), content: t('open_screenshot_warning'), showCancel: false });
    };
    if (typeof wx.onUserCaptureScreen === 'function') wx.onUserCaptureScreen(this.captureHandler);
    // When the key is dropped (background lock, "lock now"), what it decrypted leaves the page too.
    this.stopLockWatch = onLock(() => {
      if (this.data.state === 'open') this.setData({ letter: null, ...stateCard('locked') });
    });
  },

  async onNotify() {
    // From the tap itself: WeChat shows the subscription prompt for no other call.
    const accepted = await askInTap(['new_letter']);
    this.setData({ canNotify: false });
    if (accepted.length > 0) wx.showToast({ title: t('notify_on_toast'), icon: 'success' });
  },

  onShow() {
    loadTemplates().then(() => this.setData({ canNotify: offers(['new_letter']) }));
    // Reload each time: coming back from unlock or registration, or after a revoke elsewhere.
    if (this.data.id && this.data.state !== 'open') this.load();
    if (this.data.state === 'open') this.protect(true);
  },

  onHide() {
    this.protect(false);
    this.forget();
  },

  onUnload() {
    this.protect(false);
    this.forget();
    this.stopLockWatch?.();
    if (this.captureHandler && typeof wx.offUserCaptureScreen === 'function') {
      // The typings predate the listener argument; without it every listener would be removed.
      (wx.offUserCaptureScreen as (listener?: () => void) => void)(this.captureHandler);
    }
    this.setData({ letter: null });
  },

  /**
   * A limited letter keeps nothing once the reader leaves the page: the decrypted text is dropped
   * (it was never stored anywhere else) and the page falls back to the warning with the opens left.
   */
  forget() {
    const limit = this.data.letter?.limit;
    if (this.data.state !== 'open' || !limit) return;
    this.setData({ letter: null, limitText: '', ...limitedCard(limit.maxOpens, limit.opensLeft) });
  },

  /** Hides the screen from screenshots and recordings while a letter is open, where WeChat can. */
  protect(on: boolean) {
    if (typeof wx.setVisualEffectOnCapture !== 'function') return;
    wx.setVisualEffectOnCapture({ visualEffect: on ? 'hidden' : 'none', fail: () => {} });
  },

  async load(spendOpen = false) {
    this.setData({ state: 'loading', error: '' });
    const result = await openLetter(this.data.id, { spendOpen });
    if (result.state === 'limited') {
      this.setData({ letter: null, ...limitedCard(result.maxOpens, result.opensLeft) });
      return;
    }
    if (result.state === 'key_changed') {
      // Nothing of the letter is decrypted, let alone shown, before the reader decides.
      const { change } = result;
      this.setData({
        state: 'key_changed',
        change,
        changeText: t('state_key_changed_text', { name: change.name }),
        letter: null,
      });
      return;
    }
    if (result.state === 'open') {
      const { letter } = result;
      this.setData({
        state: 'open',
        letter,
        createdText: formatTime(letter.createdAt),
        expiresText: letter.expiresAt ? formatTime(letter.expiresAt) : t('open_never'),
        opens: letter.opens.map((o) => ({ name: o.name, at: formatTime(o.at) })),
        limitText: !letter.limit
          ? ''
          : letter.limit.opensLeft === 0
            ? t('open_limited_last')
            : t('open_limited_left', { left: String(letter.limit.opensLeft) }),
      });
      this.protect(true);
      return;
    }
    this.setData({ ...stateCard(result.state), letter: null });
  },

  onCopy() {
    const content = this.data.letter?.content;
    if (!content) return;
    wx.setClipboardData({
      data: content,
      success: () => wx.showToast({ title: t('open_copied'), icon: 'success' }),
    });
  },

  async onScan() {
    try {
      const res = await wxCall<WechatMiniprogram.ScanCodeSuccessCallbackResult>(wx.scanCode, {
        onlyFromCamera: false,
        scanType: ['qrCode'],
      });
      const id = idFromLetterUrl(res.result ?? '');
      if (!id) {
        this.setData(stateCard('invalid_link'));
        return;
      }
      this.setData({ id });
      await this.load();
    } catch {
      // Cancelled by the person: stay where we are.
    }
  },

  onUnlock() {
    goUnlock();
  },

  /** The reader read the warning and chose to use one open. */
  onSpendOpen() {
    this.load(true);
  },

  onRegister() {
    goRegister(`${PAGES.OPEN}?id=${this.data.id}`);
  },

  onRetry() {
    this.load();
  },

  onHome() {
    goHome();
  },

  /** A contact book that cannot be opened (a reset key, say): start a new one, after a warning. */
  async onContactsOver() {
    const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
      title: t('contacts_over_title'),
      content: t('contacts_over_text'),
      confirmText: t('modal_start_over'),
      cancelText: t('modal_cancel'),
    });
    if (!choice.confirm) return;
    try {
      await startContactsOver();
      await this.load();
    } catch (err) {
      this.setData({ stateText: errorText(err) });
    }
  },

  async onAcceptKey() {
    const change = this.data.change;
    if (!change || this.data.busy) return;
    this.setData({ busy: true });
    try {
      await acceptKey(change.user, change.publicKey);
      this.setData({ busy: false, change: null });
      await this.load();
    } catch (err) {
      this.setData({ busy: false, error: errorText(err) });
    }
  },
});
