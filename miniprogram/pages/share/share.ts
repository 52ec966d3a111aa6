import { errorText, formatTime, type Messages, messages, t } from '../../i18n';
import { idFromLetterUrl, letterUrl } from '../../services/letters';
import { sentRecord } from '../../services/letters/sent-record';
import { goHome } from '../../services/nav';
import { privacyFailure } from '../../services/privacy';
import {
  type CanvasNode,
  drawPoster,
  drawQr,
  pixelRatio,
  posterHeight,
  queryCanvas,
} from '../../services/qr';
import { currentProfile, signIn } from '../../services/session';
import { WxError, wxCall } from '../../services/wxp';
import { DENIED_PATTERNS, QR_SIZE, SHARE_CARD_IMAGE } from './config';

interface ShareData {
  t: Messages;
  id: string;
  url: string;
  expiresText: string;
  /** From this phone's record of the letter (none when it was sent from another phone). */
  toText: string;
  notSentText: string;
  remark: string;
  qrSize: number;
  /** The saved image: the code with its caption, drawn off screen. */
  posterHeight: number;
  qrReady: boolean;
  saving: boolean;
  error: string;
}

interface ShareMethods {
  canvas: CanvasNode | null;
  showRecord(): Promise<void>;
  caption(): string[];
  drawCode(): Promise<void>;
  onSave(): Promise<void>;
  onDone(): void;
}

/** Lines under the saved code: what it is, from whom, until when. */
const CAPTION_LINES = 4;

Page<ShareData, ShareMethods>({
  canvas: null,
  data: {
    t: messages(),
    id: '',
    url: '',
    expiresText: '',
    toText: '',
    notSentText: '',
    remark: '',
    qrSize: QR_SIZE,
    posterHeight: posterHeight(QR_SIZE, CAPTION_LINES),
    qrReady: false,
    saving: false,
    error: '',
  },

  onLoad(query: Record<string, string | undefined>) {
    wx.setNavigationBarTitle({ title: t('title_share') });
    const id = query.id ?? '';
    // Draw only a URL of our own form for this very letter, whatever the query says.
    const given = query.url ? decodeURIComponent(query.url) : '';
    const url = given && idFromLetterUrl(given) === id ? given : letterUrl(id);
    const expires = query.expires ? decodeURIComponent(query.expires) : '';
    this.setData({
      t: messages(),
      id,
      url,
      expiresText: expires ? t('share_expires', { date: formatTime(expires) }) : t('compose_never_expires'),
    });
    this.showRecord();
  },

  /** Whom it went to, who was left out, and the remark: this phone's record of the letter. */
  async showRecord() {
    try {
      const me = currentProfile() ?? (await signIn());
      const record = sentRecord(me.user.id, this.data.id);
      if (!record) return;
      const separator = t('list_separator');
      this.setData({
        toText: t('share_to', { names: record.to.join(separator) }),
        notSentText: record.notSentTo.length
          ? t('share_not_sent_to', { names: record.notSentTo.join(separator) })
          : '',
        remark: record.remark,
      });
    } catch {
      // Offline: the page still shows and shares the code.
    }
  },

  caption() {
    const name = currentProfile()?.user.name ?? '';
    return [
      t('share_caption_what'),
      name ? t('share_caption_from', { name }) : '',
      this.data.expiresText,
      t('share_caption_how'),
    ].filter(Boolean);
  },

  onReady() {
    this.drawCode();
  },

  async drawCode() {
    const canvas = await queryCanvas(this as unknown as WechatMiniprogram.Page.TrivialInstance, '#qr');
    if (!canvas) return;
    this.canvas = canvas;
    await drawQr(canvas, this.data.url, QR_SIZE, pixelRatio());
    this.setData({ qrReady: true });
  },

  async onSave() {
    if (!this.canvas || this.data.saving) return;
    this.setData({ saving: true, error: '' });
    wx.showLoading({ title: t('loading'), mask: true });
    try {
      const poster = await queryCanvas(this as unknown as WechatMiniprogram.Page.TrivialInstance, '#poster');
      if (poster) await drawPoster(poster, this.data.url, this.caption(), QR_SIZE, pixelRatio());
      const { tempFilePath } = await wxCall<WechatMiniprogram.CanvasToTempFilePathSuccessCallbackResult>(
        wx.canvasToTempFilePath,
        { canvas: poster ?? this.canvas, fileType: 'png' },
      );
      await wxCall(wx.saveImageToPhotosAlbum, { filePath: tempFilePath });
      wx.hideLoading();
      wx.showToast({ title: t('share_saved'), icon: 'success' });
    } catch (err) {
      wx.hideLoading();
      const message = err instanceof WxError ? err.errMsg : '';
      const privacy = err instanceof WxError ? privacyFailure(err) : null;
      if (privacy) {
        // The privacy guide, not a permission: the settings page cannot change it.
        this.setData({
          error: t(privacy === 'refused' ? 'share_privacy_refused' : 'share_privacy_undeclared'),
        });
      } else if (DENIED_PATTERNS.some((p) => message.includes(p))) {
        // Refused once, WeChat stops asking: the only way back is the settings page.
        const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
          title: t('share_save'),
          content: t('share_denied'),
          confirmText: t('modal_settings'),
          cancelText: t('modal_cancel'),
        });
        if (choice.confirm) wx.openSetting({});
      } else if (!message.includes('cancel')) {
        this.setData({ error: message ? t('share_save_failed') : errorText(err) });
      }
    } finally {
      this.setData({ saving: false });
    }
  },

  onDone() {
    goHome();
  },

  onShareAppMessage() {
    // The card says nothing about the letter: no sender, no remark, no recipients.
    return {
      title: t('share_card_title'),
      path: `/pages/open/open?id=${this.data.id}`,
      imageUrl: SHARE_CARD_IMAGE,
    };
  },
});
