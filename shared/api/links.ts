/**
 * A letter's link, `<PUBLIC_URL>/s/<id>`: what its QR code encodes, what `POST /envelopes` answers,
 * what the landing page serves and what the mini program and the CLI accept back.
 */

import { EnvelopeIdSchema } from './common';
import { fillPath } from './contract';

/** The route of a letter's link (the landing page for ordinary cameras). */
export const LETTER_LINK_PATH = '/s/:id';

function origin(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

/** The link of letter `id` on the server reachable at `publicUrl`. */
export function letterUrl(publicUrl: string, id: string): string {
  return `${origin(publicUrl)}${fillPath(LETTER_LINK_PATH, { id })}`;
}

/**
 * The envelope id of a letter link, or null. With `publicUrl`, only exactly `<publicUrl>/s/<id>`
 * is accepted (the mini program takes no link of another server); without it, any http(s) URL
 * whose path is `/s/<id>`.
 */
export function idFromLetterUrl(url: string, publicUrl?: string): string | null {
  const prefix = LETTER_LINK_PATH.slice(0, LETTER_LINK_PATH.indexOf(':'));
  let rest: string;
  if (publicUrl !== undefined) {
    if (!url.startsWith(`${origin(publicUrl)}${prefix}`)) return null;
    rest = url.slice(origin(publicUrl).length + prefix.length);
  } else {
    const match = /^https?:\/\/[^/?#]+(\/[^?#]*)$/.exec(url);
    if (!match?.[1]?.startsWith(prefix)) return null;
    rest = match[1].slice(prefix.length);
  }
  return EnvelopeIdSchema.safeParse(rest).success ? rest : null;
}
