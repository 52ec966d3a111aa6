/**
 * What the register page and the Me page's key change show about a master key being typed: the
 * meter's page data, in the current language, from services/strength (which must have loaded its
 * estimator; until then the meter says it is checking).
 */
import { t } from '../i18n';
import { masterKeyStrength, strengthLoaded, strengthMessages } from '../services/strength';

export interface StrengthMeterData {
  /** 0 … 4 bars. */
  strengthScore: number;
  /** Whether the key may be used. */
  strengthOk: boolean;
  strengthText: string;
  /** Why a refused key is guessable ('' when accepted, empty or not rated yet). */
  strengthHint: string;
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
