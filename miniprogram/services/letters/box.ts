/**
 * The paged letter list of the inbox and sent pages: the first page (on show and on pull-down), the
 * next page (at the bottom), and the loading and error states in between. The page holds the data,
 * since it renders it; these functions move it from state to state through the page's `setData`.
 */
import { errorText } from '../../i18n';
import type { Box } from '../../lib';
import { verifiedUsers } from '../contacts';
import { currentIdentity, isUnlocked } from '../keyring';
import { isRegistered, signIn } from '../session';
import { listBox } from './index';
import { listPending } from './pending';
import { type LetterRow, letterRow } from './rows';
import { knownRemark } from './sent-record';

/** The page data of a letter list. */
export interface BoxData {
  loading: boolean;
  items: LetterRow[];
  /** Where the next page starts; null once the last page is loaded. */
  nextCursor: string | null;
  /** Why the last load failed, in words; empty when it did not. */
  error: string;
  /** Not registered: the page explains instead of listing (no forced registration). */
  visitor: boolean;
}

/** A page that shows a letter list, as these functions use it. */
export interface BoxPage {
  data: BoxData;
  setData(data: Partial<BoxData>): void;
}

/** The contacts verified in person, for the marks; none while locked (the book needs the key). */
function verifiedNow(): Promise<ReadonlySet<string>> {
  return isUnlocked() ? verifiedUsers() : Promise.resolve(new Set());
}

/** The remark of each letter this phone wrote or opened, only while unlocked: nothing shows on a locked phone. */
function remarkNow(id: string): string {
  const user = currentIdentity()?.user;
  return user ? knownRemark(user, id) : '';
}

/**
 * For the sent box, the names each letter waits for, by letter: the server lists only registered
 * recipients, so a letter sent only to people not registered yet would say "To" and no one. Without
 * them (the call failed) the rows name the registered recipients alone.
 */
async function waitingNow(box: Box): Promise<ReadonlyMap<string, string[]>> {
  const byLetter = new Map<string, string[]>();
  if (box !== 'sent') return byLetter;
  try {
    for (const entry of await listPending()) {
      byLetter.set(entry.envelopeId, [...(byLetter.get(entry.envelopeId) ?? []), entry.name]);
    }
  } catch {
    // The sent page's own pending list says what went wrong.
  }
  return byLetter;
}

/** The list before its first load. */
export function emptyBox(): BoxData {
  return { loading: true, items: [], nextCursor: null, error: '', visitor: false };
}

/** Loads the first page of `box` in place of the list; someone not registered is a visitor, with nothing to list. */
export async function reloadBox(page: BoxPage, box: Box): Promise<void> {
  page.setData({ loading: true, error: '' });
  try {
    await signIn();
    if (!isRegistered()) {
      page.setData({ visitor: true, items: [], nextCursor: null });
      return;
    }
    const [next, verified, waiting] = await Promise.all([listBox(box), verifiedNow(), waitingNow(box)]);
    page.setData({
      visitor: false,
      items: next.items.map((i) => letterRow(i, box, verified, remarkNow(i.id), waiting.get(i.id))),
      nextCursor: next.nextCursor,
    });
  } catch (err) {
    page.setData({ error: errorText(err) });
  } finally {
    page.setData({ loading: false });
  }
}

/** Appends the next page of `box`, unless the list is at its end or already loading. */
export async function loadMoreOfBox(page: BoxPage, box: Box): Promise<void> {
  if (!page.data.nextCursor || page.data.loading) return;
  page.setData({ loading: true });
  try {
    const [next, verified, waiting] = await Promise.all([
      listBox(box, page.data.nextCursor),
      verifiedNow(),
      waitingNow(box),
    ]);
    page.setData({
      items: [
        ...page.data.items,
        ...next.items.map((i) => letterRow(i, box, verified, remarkNow(i.id), waiting.get(i.id))),
      ],
      nextCursor: next.nextCursor,
    });
  } catch (err) {
    page.setData({ error: errorText(err) });
  } finally {
    page.setData({ loading: false });
  }
}
