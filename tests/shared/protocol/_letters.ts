// The letter both envelope suites (version 1 and version 2) start from, and the clock it is sealed on.
import { webcrypto } from 'node:crypto';
import { type ErrorName, isMifengError } from '../../../shared/errors';
import {
  type Envelope,
  type Identity,
  type SealInput,
  type SealOptions,
  sealEnvelope,
} from '../../../shared/protocol';

/** Node's CSPRNG, the random source the suites seal with. */
export const nodeRandom = (n: number) => webcrypto.getRandomValues(new Uint8Array(n));
export const isError = (name: ErrorName) => (err: unknown) => isMifengError(err, name);

export const NOW = new Date('2026-11-24T12:00:00.000Z');
/** An hour after sealing: when the letters are opened. */
export const LATER = new Date('2026-11-24T13:00:00.000Z');
export const EXPIRES = new Date('2026-11-27T12:00:00.000Z');

/** A letter from alice to bob and carol, sealed at NOW, with overrides. */
export function sealFromAlice(
  people: { alice: Identity; bob: Identity; carol: Identity },
  input: Partial<SealInput> = {},
  options: SealOptions = {},
): Envelope {
  return sealEnvelope(
    {
      sender: people.alice,
      recipients: [
        { user: 'bob', publicKey: people.bob.publicKey },
        { user: 'carol', publicKey: people.carol.publicKey },
      ],
      content: 'The safe code is 4711.',
      remark: 'safe',
      expiresAt: EXPIRES,
      ...input,
    },
    { now: NOW, ...options },
  );
}
