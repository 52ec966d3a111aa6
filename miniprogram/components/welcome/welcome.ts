/**
 * What Mifeng is, for someone who has not registered: the inbox's first screen. Looking around
 * needs no account; registration is asked for when writing or opening a letter.
 */
import { type Messages, messages } from '../../i18n';

Component({
  data: { t: messages() as Messages },
  lifetimes: {
    attached() {
      this.setData({ t: messages() });
    },
  },
});
