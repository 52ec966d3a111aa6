/** Constants of the share page. */

/** Side of the QR canvas in CSS pixels (the WXML style must match). */
export const QR_SIZE = 240;
/** errMsg fragments WeChat uses when the album permission is refused. */
export const DENIED_PATTERNS = ['auth deny', 'auth denied', 'authorize no response', 'permission'];
