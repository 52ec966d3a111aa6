/**
 * What to tell the person when WeChat's phone number button gives no code. Every outcome leaves
 * the button usable: declining, or the privacy guide, can be undone by tapping again; the others
 * are the operator's to fix and say so.
 */
import { t } from '../../i18n';
import { privacyFailure } from '../privacy';

/** errno when the mini program's phone verification quota is used up. */
const ERRNO_NO_QUOTA = 1400001;

export interface PhoneButtonDetail {
  code?: string;
  errMsg?: string;
  errno?: number;
}

/** The sentence for a failed getPhoneNumber, or '' when the person only closed the sheet. */
export function phoneFailureText(detail: PhoneButtonDetail): string {
  const errMsg = detail.errMsg ?? '';
  const privacy = privacyFailure(detail);
  if (privacy === 'refused') return t('phone_privacy_refused');
  if (privacy === 'undeclared') return t('phone_undeclared');
  if (detail.errno === ERRNO_NO_QUOTA) return t('phone_quota');
  if (/user deny|user cancel|fail cancel/.test(errMsg)) return t('phone_denied');
  // Accounts that may not use the button (e.g. personal ones) and anything new: name the reason.
  return t('phone_not_eligible', {
    reason: errMsg.replace(/^getPhoneNumber:\s*/, '') || String(detail.errno ?? ''),
  });
}
