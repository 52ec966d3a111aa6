/** Constants of the share page. */

/** Side of the QR canvas in CSS pixels (the WXML style must match). */
export const QR_SIZE = 240;
/** errMsg fragments WeChat uses when the album permission is refused. */
export const DENIED_PATTERNS = ['auth deny', 'auth denied', 'authorize no response', 'permission'];
/** The chat card's picture (5:4, drawn by `npm run generate:images`): the same for every letter. */
export const SHARE_CARD_IMAGE = '/images/share-card.png';
