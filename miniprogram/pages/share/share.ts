import { errorText, formatTime, type Messages, messages, t } from '../../i18n';
import { idFromLetterUrl, letterUrl } from '../../services/letters';
import { goHome } from '../../services/nav';
import { privacyFailure } from '../../services/privacy';
import { type CanvasNode, drawQr, pixelRatio, queryCanvas } from '../../services/qr';
import { WxError, wxCall } from '../../services/wxp';
import { DENIED_PATTERNS, QR_SIZE } from './config';

interface ShareData {
  t: Messages;
  id: string;
  url: string;
  expiresText: string;
  qrSize: number;
  qrReady: boolean;
  saving: boolean;
  error: string;
}

interface ShareMethods {
  canvas: CanvasNode | null;
  drawCode(): Promise<void>;
  onSave(): Promise<void>;
  onDone(): void;
}

Page<ShareData, ShareMethods>({
  canvas: null,
  data: {
    t: messages(),
    id: '',
    url: '',
    expiresText: '',
    qrSize: QR_SIZE,
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
      const { tempFilePath } = await wxCall<WechatMiniprogram.CanvasToTempFilePathSuccessCallbackResult>(
        wx.canvasToTempFilePath,
        { canvas: this.canvas, fileType: 'png' },
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
    return { title: t('share_card_title'), path: `/pages/open/open?id=${this.data.id}` };
  },
});
