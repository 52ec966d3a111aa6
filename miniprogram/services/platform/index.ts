/**
 * The WeChat the app runs in: the oldest base library it works on, and new versions of the app.
 *
 * The admin console's "基础库最低版本设置" keeps older WeChats from opening the app at all; this
 * check is for what slips through (a console left unset, DevTools' own base library choice).
 */
import { t } from '../../i18n';

/**
 * The privacy agreement (`wx.onNeedPrivacyAuthorization`, the `agreePrivacyAuthorization` button,
 * `wx.getPrivacySetting`) came in 2.32.3; without it the phone step cannot be agreed to. Everything
 * else the code needs is older: capture protection (`wx.setVisualEffectOnCapture`, 2.20.0),
 * `wx.getRandomValues` (2.25.3 on every platform), canvas type 2d.
 */
export const MIN_BASE_LIBRARY = '2.32.3';

/** Negative, zero or positive as `a` is older than, the same as or newer than `b` (`x.y.z`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The base library version (`SDKVersion`) from the API the running base library has, or null. */
export function baseLibraryVersion(): string | null {
  try {
    const info = typeof wx.getAppBaseInfo === 'function' ? wx.getAppBaseInfo() : wx.getSystemInfoSync();
    return typeof info.SDKVersion === 'string' ? info.SDKVersion : null;
  } catch {
    return null;
  }
}

/**
 * True when this WeChat is new enough. Otherwise tells the person to update WeChat (a modal they
 * cannot miss) and returns false: the app still shows its pages, but nothing would work right.
 */
export function checkBaseLibrary(): boolean {
  const version = baseLibraryVersion();
  // Unknown (a host that does not say): nothing to tell the person.
  if (version === null || compareVersions(version, MIN_BASE_LIBRARY) >= 0) return true;
  wx.showModal({
    title: t('platform_old_title'),
    content: t('platform_old_body', { version, min: MIN_BASE_LIBRARY }),
    showCancel: false,
    confirmText: t('modal_ok'),
  });
  return false;
}

/**
 * Offers a new version as soon as WeChat has downloaded it. Restarting loses nothing: a letter being
 * sent waits in the outbox and is sent on the next launch.
 */
export function watchForUpdates(): void {
  if (typeof wx.getUpdateManager !== 'function') return;
  const manager = wx.getUpdateManager();
  manager.onUpdateReady(() => {
    wx.showModal({
      title: t('update_title'),
      content: t('update_ready'),
      confirmText: t('modal_restart'),
      cancelText: t('modal_cancel'),
      success: (res) => {
        if (res.confirm) manager.applyUpdate();
      },
    });
  });
  manager.onUpdateFailed(() => {
    wx.showToast({ title: t('update_failed'), icon: 'none' });
  });
}
