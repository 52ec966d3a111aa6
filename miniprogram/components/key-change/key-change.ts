/**
 * The key-change screen: a contact's key is not the one this phone pinned. Says what that can mean,
 * shows the old and the new fingerprint to compare with the person, and (slot) the page's choices:
 * accept the new key or not. Used by compose (before sealing) and open (before any content).
 */
import { type Messages, messages, t } from '../../i18n';

Component({
  properties: {
    name: { type: String, value: '' },
    oldFingerprint: { type: String, value: '' },
    newFingerprint: { type: String, value: '' },
    /** The old key was verified in person: say that the mark goes with it. */
    wasVerified: { type: Boolean, value: false },
    /** `signed` (the old key vouched for the new one) or `reset` (nothing did: the stronger warning). */
    kind: { type: String, value: 'reset' },
  },
  data: { t: {} as Messages, title: '', text: '' },
  observers: {
    name(name: string) {
      this.setData({
        t: messages(),
        title: t('keychange_title', { name }),
        text: t('keychange_text', { name }),
      });
    },
  },
  lifetimes: {
    attached() {
      const name = this.data.name;
      this.setData({
        t: messages(),
        title: t('keychange_title', { name }),
        text: t('keychange_text', { name }),
      });
    },
  },
});
