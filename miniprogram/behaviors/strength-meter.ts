/**
 * What the register page and the Me page's key change show about a master key being typed: the
 * meter's page data, in the current language, from services/strength (which must have loaded its
 * estimator; until then the meter says it is checking).
 */
import { errorText, t } from '../i18n';
import {
  generatePassphrase,
  masterKeyStrength,
  strengthLoaded,
  strengthMessages,
} from '../services/strength';

export interface StrengthMeterData {
  /** 0 … 4 bars. */
  strengthScore: number;
  /** Whether the key may be used. */
  strengthOk: boolean;
  strengthText: string;
  /** Why a refused key is guessable ('' when accepted, empty or not rated yet). */
  strengthHint: string;
}

/** A form that sets a new master key (unlock's reset, Me's key change): typed twice, and rated. */
export interface NewKeyFormData extends StrengthMeterData {
  newKey: string;
  newKey2: string;
  /** A passphrase generated on request, shown so it can be written down. */
  passphrase: string;
}

/**
 * Puts a generated passphrase in both key fields (`fields`, as the page names them) and shows it,
 * then rates it with the page's `rate`; when none can be made, the page's error says why.
 */
export async function offerPassphrase(
  page: { setData(data: Record<string, unknown>): void; rate(): void },
  fields: [string, string],
): Promise<void> {
  try {
    const passphrase = await generatePassphrase();
    page.setData({ [fields[0]]: passphrase, [fields[1]]: passphrase, passphrase });
    page.rate();
  } catch (err) {
    page.setData({ error: errorText(err) });
  }
}

/** The meter for `key`, rated against what an attacker knows of the person (`personal`). */
export function strengthMeter(key: string, personal: string[]): StrengthMeterData {
  if (!key || !strengthLoaded()) {
    return {
      strengthScore: 0,
      strengthOk: false,
      strengthText: t(key ? 'strength_loading' : 'strength_empty'),
      strengthHint: '',
    };
  }
  const strength = masterKeyStrength(key, personal);
  const words = strengthMessages(strength);
  return {
    strengthScore: strength.score,
    strengthOk: strength.acceptable,
    strengthText: t(words.text),
    strengthHint: words.hint ? t(words.hint) : '',
  };
}
