/** List rows for the inbox and sent pages: the metadata of `GET /envelopes` put into words. */
import { formatTime, t } from '../../i18n';
import {
  type Box,
  ENVELOPE_STATE,
  type EnvelopeSummary,
  RECIPIENT_STATUS,
  type RecipientRef,
} from '../../lib';

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
  /**
   * What the read limit and the recipients did, in words: inbox, "burn after reading" or the
   * opens left; sent box, who removed it and who used every open.
   */
  notes: string[];
  /** A remove action is offered: always in the inbox, once closed in the sent box. */
  removable: boolean;
}

/** A recipient's name; a deleted account keeps none. */
function nameOf(name: string): string {
  return name || t('list_deleted_account');
}

/** Above this many others, the sent box counts the opens instead of naming each reader. */
const OPENS_NAMED_UP_TO = 3;

/** Who opened a sent letter, from the list's own facts (no call, also once the letter is closed). */
function openNotes(others: RecipientRef[]): string[] {
  const opened = others.filter((r) => r.openedAt);
  if (others.length > OPENS_NAMED_UP_TO) {
    return opened.length
      ? [t('list_opened_count', { opened: String(opened.length), total: String(others.length) })]
      : [];
  }
  return opened.map((r) => t('list_opened_by', { name: nameOf(r.name), date: formatTime(r.openedAt!) }));
}

/** The notes of a row (see LetterRow.notes). */
function notesOf(item: EnvelopeSummary, box: Box): string[] {
  if (box === 'inbox') {
    if (item.maxOpens === null || item.opensLeft === null || item.state !== ENVELOPE_STATE.ACTIVE) return [];
    if (item.opensLeft === 0) return [t('state_opens_used_title')];
    if (item.maxOpens === 1) return [t('list_burn')];
    return [t('list_opens_left', { left: String(item.opensLeft) })];
  }
  const others = item.recipients.filter((r) => r.user !== item.sender.user);
  const notes = openNotes(others);
  if (item.maxOpens === 1) notes.push(t('list_burn'));
  for (const r of others) {
    const name = nameOf(r.name);
    if (r.status === RECIPIENT_STATUS.REMOVED) notes.push(t('list_removed_by', { name }));
    else if (r.status === RECIPIENT_STATUS.OPENS_USED) notes.push(t('list_opens_used_by', { name }));
  }
  return notes;
}

/** A name with the verified mark when `user` is a contact verified in person. */
function marked(name: string, user: string, verified: ReadonlySet<string>): string {
  return verified.has(user) ? `${name} ✓` : name;
}

/**
 * `verified`: the users of the contact book verified in person (empty while locked); `remark`: the
 * letter's remark as this phone knows it ('' while locked); `waiting`: the names of the people a
 * sent letter still waits for (not registered yet), whom the server does not list as recipients.
 */
export function letterRow(
  item: EnvelopeSummary,
  box: Box,
  verified: ReadonlySet<string> = new Set(),
  remark = '',
  waiting: readonly string[] = [],
): LetterRow {
  const others = [
    ...item.recipients
      .filter((r) => r.user !== item.sender.user)
      .map((r) => marked(nameOf(r.name), r.user, verified)),
    ...waiting,
  ];
  return {
    id: item.id,
    title:
      box === 'inbox'
        ? t('list_from', { name: nameOf(item.sender.name) })
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
    notes: notesOf(item, box),
    removable: box === 'inbox' || item.state !== ENVELOPE_STATE.ACTIVE,
  };
}
