/** Constants of the compose page. */

/** The expiry chosen when the page opens (the choices are shared/api/expiry.ts). */
export const DEFAULT_EXPIRY = 'ONE_WEEK';
/** Longest content the textarea takes, in characters (the protocol's byte limit is checked on sealing). */
export const CONTENT_MAX_CHARS = 5000;
/** Longest remark, in characters. */
export const REMARK_MAX_CHARS = 200;
