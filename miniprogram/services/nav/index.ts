/** Navigation between pages, in one place so the paths are written once. */

export const PAGES = {
  INBOX: '/pages/inbox/inbox',
  SENT: '/pages/sent/sent',
  ME: '/pages/me/me',
  REGISTER: '/pages/register/register',
  UNLOCK: '/pages/unlock/unlock',
  COMPOSE: '/pages/compose/compose',
  SHARE: '/pages/share/share',
  OPEN: '/pages/open/open',
  ALARM: '/pages/alarm/alarm',
} as const;

const TAB_PAGES: string[] = [PAGES.INBOX, PAGES.SENT, PAGES.ME];

/** Registration, coming back to `redirect` (a page path with its query) afterwards. */
export function goRegister(redirect?: string): void {
  const query = redirect ? `?redirect=${encodeURIComponent(redirect)}` : '';
  wx.reLaunch({ url: `${PAGES.REGISTER}${query}` });
}

/** The unlock page; it returns to the current page when done. */
export function goUnlock(): void {
  wx.navigateTo({ url: PAGES.UNLOCK });
}

/** Goes to `url` whether it is a tab page or not, replacing the page stack. */
export function goHome(url: string = PAGES.INBOX): void {
  const path = url.split('?')[0] ?? url;
  if (TAB_PAGES.includes(path)) wx.switchTab({ url: path });
  else wx.reLaunch({ url });
}

/** Back to the previous page, or home when this page was opened first. */
export function goBack(): void {
  if (getCurrentPages().length > 1) wx.navigateBack({ delta: 1 });
  else goHome();
}
