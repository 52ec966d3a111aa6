/**
 * The app: fills the secure random pool from wx.getRandomValues at launch (sealing waits for it),
 * and locks the private key after a while in the background.
 */
import { appHidden, appShown } from './services/keyring';
import { listenForPrivacyRequests } from './services/privacy';
import { startRandom } from './services/random';

App({
  onLaunch() {
    listenForPrivacyRequests();
    startRandom().catch(() => {
      // Retried by whenRandomReady() before anything needs randomness.
    });
  },
  onShow() {
    appShown();
  },
  onHide() {
    appHidden();
  },
});
