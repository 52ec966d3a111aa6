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
}

export function letterRow(item: EnvelopeSummary, box: Box): LetterRow {
  const others = item.recipients.filter((r) => r.user !== item.sender.user).map((r) => r.name);
  return {
    id: item.id,
    title:
      box === 'inbox'
        ? t('list_from', { name: item.sender.name })
        : t('list_to', { names: others.join(t('list_separator')) }),
    created: formatTime(item.createdAt),
    expiry: item.expiresAt ? t('list_expires', { date: formatTime(item.expiresAt) }) : t('list_permanent'),
    expiresAt: item.expiresAt,
    state: item.state,
    stateText: t(`list_state_${item.state}`),
    opens: [],
    opensLoaded: false,
  };
}
