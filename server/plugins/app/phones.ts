/**
 * `fastify.phones`: turns a phone number into what the database may hold — HMAC-SM3(PHONE_PEPPER,
 * E.164 form) and the masked display form keeping the last four digits (server/phone.ts). The
 * number itself is never stored or logged. HMAC-SM3 is shared/crypto's, the same code the
 * protocol uses, so there is one SM3 in the project.
 */
import fp from 'fastify-plugin';
import { hmacSm3 } from '../../../shared/crypto';
import { utf8Encode } from '../../../shared/encoding';
import { MifengError } from '../../../shared/errors';
import { maskPhone, normalizePhone } from '../../phone';

export interface HashedPhone {
  hash: Uint8Array;
  masked: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    phones: {
      /** Hash and mask a typed number; `InvalidPhone` when it cannot be normalized. */
      hash(typed: string): HashedPhone;
    };
  }
}

/** HMAC-SM3 (GB/T 32905 with RFC 2104) of the normalized number under the pepper (UTF-8 both). */
export function phoneHash(pepper: string, e164: string): Uint8Array {
  return hmacSm3(utf8Encode(pepper), utf8Encode(e164));
}

export default fp(
  async (fastify) => {
    const pepper = fastify.config.PHONE_PEPPER;
    fastify.decorate('phones', {
      hash(typed: string): HashedPhone {
        const e164 = normalizePhone(typed);
        if (!e164) throw new MifengError('InvalidPhone');
        return { hash: phoneHash(pepper, e164), masked: maskPhone(e164) };
      },
    });
  },
  { name: 'phones', dependencies: ['config'] },
);
