/**
 * When two display names are "the same person" for finding a recipient: equal after NFKC,
 * trimming, collapsing spaces and lower-casing. Used by the lookup (routes/recipients) and by the
 * matching of pending letters at registration (plugins/app/pending-repository.ts), so a sender
 * who could not have looked someone up cannot reach them by writing before they register either.
 */
export function normalizeName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}
