/**
 * A full-width state message: an icon, a title, a sentence and (slot) the way forward. Used for
 * every non-happy state (locked, not for you, expired, revoked, tampered, network, empty lists).
 */
Component({
  properties: {
    /** Picks the icon and its colour: info | warn | error | success | empty. */
    kind: { type: String, value: 'info' },
    title: { type: String, value: '' },
    text: { type: String, value: '' },
  },
});
