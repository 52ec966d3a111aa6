/**
 * The alarm the launch check raises (services/transparency): the log lists a key in the user's
 * name that the user did not make, or this phone holds proof that the log forked. The way out of
 * the first, when it was the user's own reset on another phone, is to unlock with that key's
 * master key: holding the key settles it (the page then says so).
 */
import { formatTime, type Messages, messages, t } from '../../i18n';
import { base64urlDecode, formatFingerprint } from '../../lib';
import { goHome, goUnlock } from '../../services/nav';
import { currentProfile } from '../../services/session';
import { forkEvidence, ownKeyAlarm } from '../../services/transparency';

interface AlarmData {
  t: Messages;
  /** `alarm`: a foreign key; `forked`: proof of a forked log; `clear`: nothing (any more). */
  state: 'loading' | 'alarm' | 'forked' | 'clear';
  fingerprint: string;
  whenText: string;
  kindText: string;
}

interface AlarmMethods {
  show(): void;
  onMine(): void;
  onDismiss(): void;
}

Page<AlarmData, AlarmMethods>({
  data: { t: messages(), state: 'loading', fingerprint: '', whenText: '', kindText: '' },

  onLoad() {
    wx.setNavigationBarTitle({ title: t('title_alarm') });
    this.setData({ t: messages() });
  },

  onShow() {
    // Again after coming back from unlock, which may have settled it.
    this.show();
  },

  show() {
    if (forkEvidence()) {
      this.setData({ state: 'forked' });
      return;
    }
    const user = currentProfile()?.user.id;
    const alarm = user ? ownKeyAlarm(user) : null;
    if (!alarm) {
      this.setData({ state: 'clear' });
      return;
    }
    this.setData({
      state: 'alarm',
      fingerprint: formatFingerprint(base64urlDecode(alarm.leaf.publicKey)),
      whenText: formatTime(alarm.leaf.time),
      kindText: t(
        `alarm_kind_${alarm.leaf.kind.replace('-', '_') as 'register' | 'signed_change' | 'reset'}`,
      ),
    });
  },

  onMine() {
    goUnlock();
  },

  onDismiss() {
    goHome();
  },
});
