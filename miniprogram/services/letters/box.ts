/**
 * The paged letter list of the inbox and sent pages: the first page (on show and on pull-down), the
 * next page (at the bottom), and the loading and error states in between. The page holds the data,
 * since it renders it; these functions move it from state to state through the page's `setData`.
 */
import { errorText } from '../../i18n';
import type { Box } from '../../lib';
import { verifiedUsers } from '../contacts';
import { isUnlocked } from '../keyring';
import { goRegister } from '../nav';
import { isRegistered, signIn } from '../session';
import { listBox } from './index';
import { type LetterRow, letterRow } from './rows';

/** The page data of a letter list. */
export interface BoxData {
  loading: boolean;
  items: LetterRow[];
  /** Where the next page starts; null once the last page is loaded. */
  nextCursor: string | null;
  /** Why the last load failed, in words; empty when it did not. */
  error: string;
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

/** The list before its first load. */
export function emptyBox(): BoxData {
  return { loading: true, items: [], nextCursor: null, error: '' };
}

/** Loads the first page of `box` in place of the list; sends people who have not registered to register. */
export async function reloadBox(page: BoxPage, box: Box): Promise<void> {
  page.setData({ loading: true, error: '' });
  try {
    await signIn();
    if (!isRegistered()) {
      goRegister();
      return;
    }
    const [next, verified] = await Promise.all([listBox(box), verifiedNow()]);
    page.setData({ items: next.items.map((i) => letterRow(i, box, verified)), nextCursor: next.nextCursor });
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
    const [next, verified] = await Promise.all([listBox(box, page.data.nextCursor), verifiedNow()]);
    page.setData({
      items: [...page.data.items, ...next.items.map((i) => letterRow(i, box, verified))],
      nextCursor: next.nextCursor,
    });
  } catch (err) {
    page.setData({ error: errorText(err) });
  } finally {
    page.setData({ loading: false });
  }
}
