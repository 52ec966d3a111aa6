/**
 * `fastify.phones`: turns a phone number into what the database may hold — HMAC-SM3(PHONE_PEPPER,
 * E.164 form) and the masked display form. The number itself is never stored or logged.
 */
import { createHmac } from 'node:crypto';
import fp from 'fastify-plugin';
import { maskPhone, normalizePhone } from '../../../shared/api/phone';
import { MifengError } from '../../../shared/errors';

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

/** HMAC-SM3 (GB/T 32905 with RFC 2104) of the normalized number under the pepper. */
export function phoneHash(pepper: string, e164: string): Uint8Array {
  return new Uint8Array(createHmac('sm3', pepper).update(e164, 'utf8').digest());
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
