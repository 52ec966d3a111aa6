/**
 * The key-change screen's facts about one person whose key is not the one the contact book pinned:
 * compose (a recipient), open (a sender) and the sent page (a pending recipient who registered)
 * all show the same screen from the same facts.
 */
import { base64urlDecode, formatFingerprint, type KeyHistory, keyChangeKind } from '../../lib';

/** A key the contact book knows another key for, as the key-change screen shows it. */
export interface KeyChange {
  user: string;
  name: string;
  oldFingerprint: string;
  newFingerprint: string;
  /** The old key was verified in person: the mark is dropped with it. */
  wasVerified: boolean;
  /** `signed`: the old key vouched for the new one; `reset`: nothing did (a stronger warning). */
  kind: 'signed' | 'reset';
  /** The new key, to pin when the person accepts it. */
  publicKey: string;
}

/** The change from the `pinned` key to the key `person` has now (both base64url). */
export function keyChangeOf(
  person: { user: string; name: string; publicKey: string; keyHistory: KeyHistory },
  pinned: { publicKey: string; verified: boolean },
): KeyChange {
  return {
    user: person.user,
    name: person.name,
    oldFingerprint: formatFingerprint(base64urlDecode(pinned.publicKey)),
    newFingerprint: formatFingerprint(base64urlDecode(person.publicKey)),
    wasVerified: pinned.verified,
    kind: keyChangeKind(person.user, pinned.publicKey, person.publicKey, person.keyHistory),
    publicKey: person.publicKey,
  };
}
