/**
 * The privacy popup of a page that uses a privacy-scoped API: shown when WeChat asks for the
 * person's agreement (services/privacy), with the guide one tap away. Agreeing goes through
 * WeChat's own `agreePrivacyAuthorization` button, which the base library checks was tapped.
 */
import { type Messages, messages } from '../../i18n';
import {
  attachAsker,
  detachAsker,
  openPrivacyContract,
  type PrivacyAnswer,
  type PrivacyAsker,
  privacyContractName,
} from '../../services/privacy';

const AGREE_BUTTON_ID = 'privacy-agree';

/** Per popup: its registration, and the WeChat calls waiting for the person's answer. */
interface Waiting {
  asker: PrivacyAsker;
  pending: Array<(answer: PrivacyAnswer) => void>;
}
const waiting = new WeakMap<object, Waiting>();

Component({
  data: { t: messages() as Messages, visible: false, contractName: '' },

  lifetimes: {
    attached() {
      const entry: Waiting = {
        pending: [],
        asker: {
          ask: (resolve) => {
            // Two privacy calls at once (rare) share one answer.
            entry.pending.push(resolve);
            this.setData({ visible: true, t: messages() });
            privacyContractName().then((contractName) => this.setData({ contractName }));
          },
        },
      };
      waiting.set(this, entry);
      attachAsker(entry.asker);
    },
    detached() {
      const entry = waiting.get(this);
      if (!entry) return;
      detachAsker(entry.asker);
      for (const resolve of entry.pending.splice(0)) resolve({ event: 'disagree' });
    },
  },

  pageLifetimes: {
    show() {
      const entry = waiting.get(this);
      if (entry) attachAsker(entry.asker);
    },
    hide() {
      const entry = waiting.get(this);
      if (entry) detachAsker(entry.asker);
    },
  },

  methods: {
    answer(answer: PrivacyAnswer) {
      const entry = waiting.get(this);
      for (const resolve of entry?.pending.splice(0) ?? []) resolve(answer);
      this.setData({ visible: false });
    },
    onAgree() {
      this.answer({ event: 'agree', buttonId: AGREE_BUTTON_ID });
    },
    onDisagree() {
      this.answer({ event: 'disagree' });
    },
    onContract() {
      openPrivacyContract().catch(() => {
        // Nothing to show when the guide is not configured; the popup stays.
      });
    },
  },
});
