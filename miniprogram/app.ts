/**
 * The app: fills the secure random pool from wx.getRandomValues at launch (sealing waits for it),
 * checks the WeChat version and offers updates, sends letters left in the outbox, checks the
 * transparency log for a key published in the user's name (services/transparency), and locks the
 * private key after a while in the background.
 */
import { appHidden, appShown } from './services/keyring';
import { flushAtLaunch } from './services/letters/outbox';
import { checkBaseLibrary, watchForUpdates } from './services/platform';
import { listenForPrivacyRequests } from './services/privacy';
import { startRandom } from './services/random';
import { checkOwnKeyAtLaunch } from './services/transparency';

App({
  onLaunch() {
    checkBaseLibrary();
    watchForUpdates();
    listenForPrivacyRequests();
    startRandom().catch(() => {
      // Retried by whenRandomReady() before anything needs randomness.
    });
    flushAtLaunch();
    // Not awaited: the alarm page replaces whatever opened first once the log was read.
    checkOwnKeyAtLaunch();
  },
  onShow() {
    appShown();
  },
  onHide() {
    appHidden();
  },
});
