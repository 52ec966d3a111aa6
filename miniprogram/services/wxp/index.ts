/**
 * Promise wrappers over the callback-style wx APIs the services use. Each resolves with the
 * success result or rejects with `WxError` carrying WeChat's `errMsg`. Nothing here relies on
 * microtask ordering (on iOS, WeChat's Promise is a setTimeout polyfill).
 */

/** A failed wx API call. `errMsg` is WeChat's text, e.g. "saveImageToPhotosAlbum:fail auth deny". */
export class WxError extends Error {
  readonly errMsg: string;
  /** WeChat's numeric error code, where the base library gives one (e.g. 104: privacy refused). */
  readonly errno: number | undefined;
  constructor(errMsg: string, errno?: number) {
    super(errMsg);
    this.name = 'WxError';
    this.errMsg = errMsg;
    this.errno = errno;
  }
}

/**
 * Calls the callback-style API `fn` with `options` plus success/fail callbacks and settles with
 * its outcome (`T`: the success result type, e.g. WechatMiniprogram.ShowModalSuccessCallbackResult).
 */
export function wxCall<T>(
  fn: (options: never) => unknown,
  options: Record<string, unknown> = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    (fn as (options: Record<string, unknown>) => unknown)({
      ...options,
      success: (res: T) => resolve(res),
      fail: (err: { errMsg?: string; errno?: number } | undefined) =>
        reject(new WxError(err?.errMsg ?? 'fail', err?.errno)),
    });
  });
}

/** Resolves after `ms` milliseconds: lets the view render (a progress state) before blocking work. */
export function pause(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads a JSON value from local storage, or null. */
export function readStorage<T>(key: string): T | null {
  try {
    const value = wx.getStorageSync(key);
    return value === '' || value === undefined ? null : (value as T);
  } catch {
    return null;
  }
}

export function writeStorage(key: string, value: unknown): void {
  wx.setStorageSync(key, value);
}

export function removeStorage(key: string): void {
  try {
    wx.removeStorageSync(key);
  } catch {
    // nothing stored
  }
}

/** Empties this mini program's local storage (account deletion). */
export function clearStorage(): void {
  wx.clearStorageSync();
}
