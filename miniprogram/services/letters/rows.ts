/** List rows for the inbox and sent pages: the metadata of `GET /envelopes` put into words. */
import { formatTime, t } from '../../i18n';
import type { Box, EnvelopeSummary } from '../../lib';

export interface LetterRow {
  id: string;
  title: string;
  created: string;
  expiry: string;
  /** The raw expiry (ISO) or null, for the share page. */
  expiresAt: string | null;
  state: EnvelopeSummary['state'];
  stateText: string;
  /** Sent box: who opened it, filled on request. */
  opens: string[];
  opensLoaded: boolean;
  /** Inbox: the sender is a contact verified in person. */
  verified: boolean;
  /** Inbox: the sender's masked phone, so two senders of one name are told apart. */
  senderPhone: string;
  /** The remark, when this phone wrote or opened the letter and the keys are unlocked; else ''. */
  remark: string;
}

/** A name with the verified mark when `user` is a contact verified in person. */
function marked(name: string, user: string, verified: ReadonlySet<string>): string {
  return verified.has(user) ? `${name} ✓` : name;
}

/**
 * `verified`: the users of the contact book verified in person (empty while locked); `remark`: the
 * letter's remark as this phone knows it ('' while locked).
 */
export function letterRow(
  item: EnvelopeSummary,
  box: Box,
  verified: ReadonlySet<string> = new Set(),
  remark = '',
): LetterRow {
  const others = item.recipients
    .filter((r) => r.user !== item.sender.user)
    .map((r) => marked(r.name, r.user, verified));
  return {
    id: item.id,
    title:
      box === 'inbox'
        ? t('list_from', { name: item.sender.name })
        : t('list_to', { names: others.join(t('list_separator')) }),
    verified: box === 'inbox' && verified.has(item.sender.user),
    senderPhone: box === 'inbox' ? (item.sender.phoneMasked ?? '') : '',
    remark,
    created: formatTime(item.createdAt),
    expiry: item.expiresAt ? t('list_expires', { date: formatTime(item.expiresAt) }) : t('list_permanent'),
    expiresAt: item.expiresAt,
    state: item.state,
    stateText: t(`list_state_${item.state}`),
    opens: [],
    opensLoaded: false,
  };
}
