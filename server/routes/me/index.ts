/** `GET /api/v1/me`, `POST /api/v1/me/phone`, `PUT /api/v1/me/keys`: the signed-in user. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { MeResponse } from '../../../shared/api/me';
import { meContract } from '../../../shared/api/me';
import { sm2IsValidPublicKey } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { MifengError } from '../../../shared/errors';
import { keyId, parseKeyBackup } from '../../../shared/protocol';
import { phoneFromWeChat } from '../../phone';
import { toApiUser, type UserRecord } from '../../plugins/app/users-repository';
import { contractRoute } from '../_contract';

const me: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('onRequest', fastify.authenticate);
  const secured = { tags: ['me'], security: [{ bearerAuth: [] }] };

  const profile = async (user: UserRecord | null): Promise<MeResponse> => {
    if (!user) throw new MifengError('Unauthorized');
    const key = user.currentKeyId ? await fastify.usersRepository.findKey(user.currentKeyId) : null;
    return {
      user: toApiUser(user),
      publicKey: key ? base64urlEncode(key.publicKey) : null,
      backup: key ? key.backup : null,
      maxExpiryDays: fastify.config.MAX_EXPIRY_DAYS,
    };
  };

  fastify.route({
    ...contractRoute(meContract.get, secured),
    handler: async (request) => profile(await fastify.usersRepository.findById(request.userId)),
  });

  fastify.route({
    ...contractRoute(meContract.setPhone, {
      ...secured,
      description: '`{code}` from the getPhoneNumber button; `{phone}` only when DEV_LOGIN is on.',
    }),
    handler: async (request) => {
      const body = request.body;
      let phone: string;
      if ('code' in body) {
        const got = await fastify.wechat.getPhoneNumber(body.code);
        const e164 = phoneFromWeChat(got.countryCode, got.purePhoneNumber);
        if (!e164)
          throw new MifengError('InvalidPhone', 'WeChat returned a number that cannot be normalized');
        phone = e164;
      } else {
        if (!fastify.config.DEV_LOGIN) throw new MifengError('ValidationFailed', 'body/code: required');
        phone = body.phone;
      }
      const hashed = fastify.phones.hash(phone);
      const user = await fastify.usersRepository.setPhone(request.userId, hashed.hash, hashed.masked);
      fastify.audit(request, 'phone_set');
      return profile(user);
    },
  });

  fastify.route({
    ...contractRoute(meContract.setKeys, {
      ...secured,
      description: 'Completes registration, or rotates the key pair (old public keys are kept).',
    }),
    handler: async (request) => {
      const { name, publicKey, backup } = request.body;
      const key = base64urlDecode(publicKey);
      if (!sm2IsValidPublicKey(key)) throw new MifengError('InvalidPublicKey');
      const user = await fastify.usersRepository.setKeys(request.userId, {
        name,
        keyId: keyId(key),
        publicKey: key,
        backup: parseKeyBackup(backup),
      });
      fastify.audit(request, 'key_set', { keyId: user.currentKeyId ?? '' });
      return profile(user);
    },
  });
};

export default me;
