/**
 * WeChat's user privacy flow. A privacy-scoped API (the phone number button, saving to the album,
 * the clipboard) called before the person agreed to the mini program's privacy guide pauses and
 * fires `wx.onNeedPrivacyAuthorization`; the page on screen then shows its `privacy-popup`, and the
 * person's answer resumes or fails the call. The guide itself is configured in the admin console
 * and opened with `wx.openPrivacyContract` (docs/miniprogram.md lists what to declare).
 */
import { wxCall } from '../wxp';

/** errno of a privacy API refused because the person declined the privacy guide. */
const ERRNO_REFUSED = 104;
/** errno of a privacy API the operator did not declare in the privacy guide. */
const ERRNO_UNDECLARED = 112;

/**
 * Why a privacy-scoped call failed, when the privacy guide is the reason: `refused` (the person
 * declined it; asking again shows the popup again) or `undeclared` (the operator's guide lacks
 * this API; nothing on the phone can fix it). Settings pages cannot fix either.
 */
export type PrivacyFailure = 'refused' | 'undeclared';

export function privacyFailure(failure: { errno?: unknown; errMsg?: unknown }): PrivacyFailure | null {
  const errMsg = typeof failure.errMsg === 'string' ? failure.errMsg : '';
  if (failure.errno === ERRNO_REFUSED || errMsg.includes('privacy permission is not authorized'))
    return 'refused';
  if (failure.errno === ERRNO_UNDECLARED || errMsg.includes('not declared in the privacy agreement')) {
    return 'undeclared';
  }
  return null;
}

export type PrivacyAnswer = { event: 'agree'; buttonId: string } | { event: 'disagree' };
type Resolve = (answer: PrivacyAnswer | { event: 'exposureAuthorization' }) => void;

/** A popup that can ask: the privacy-popup component of a page on screen. */
export interface PrivacyAsker {
  ask(resolve: (answer: PrivacyAnswer) => void, referrer: string): void;
}

/** Popups of pages on screen, the newest last (a page pushed on top is the one visible). */
const askers: PrivacyAsker[] = [];

export function attachAsker(asker: PrivacyAsker): void {
  detachAsker(asker);
  askers.push(asker);
}

export function detachAsker(asker: PrivacyAsker): void {
  const at = askers.indexOf(asker);
  if (at >= 0) askers.splice(at, 1);
}

/** Registers the listener once, at launch. Older base libraries have no privacy flow to answer. */
export function listenForPrivacyRequests(): void {
  if (typeof wx.onNeedPrivacyAuthorization !== 'function') return;
  const listen = wx.onNeedPrivacyAuthorization as unknown as (
    listener: (resolve: Resolve, eventInfo?: { referrer?: string }) => void,
  ) => void;
  listen((resolve, eventInfo) => {
    const asker = askers[askers.length - 1];
    // WeChat keeps the call pending until resolve: with no popup on screen, decline at once.
    if (!asker) return resolve({ event: 'disagree' });
    resolve({ event: 'exposureAuthorization' });
    asker.ask(resolve, eventInfo?.referrer ?? '');
  });
}

/** The name of the operator's privacy guide, e.g. 《密封隐私保护指引》, or '' when unknown. */
export async function privacyContractName(): Promise<string> {
  if (typeof wx.getPrivacySetting !== 'function') return '';
  try {
    const res = await wxCall<{ privacyContractName?: string }>(wx.getPrivacySetting);
    return res.privacyContractName ?? '';
  } catch {
    return '';
  }
}

/** Opens the privacy guide in WeChat's own page. */
export function openPrivacyContract(): Promise<void> {
  return wxCall(wx.openPrivacyContract);
}
