/**
 * `/api/v1/me*`: the signed-in user's profile, phone, keys (set, change, reset, history and every
 * backup), sealed contact book and WeChat subscription grants.
 *
 * Whenever a change leaves the user registered (name, phone and key), letters waiting for their
 * number and name (routes/pending) are matched to them and each of those senders is told once.
 *
 * Key changes: the first key needs nothing more; after that every `PUT /me/keys` carries a
 * key-change statement by the current key (docs/protocol.md §10), checked here against the key
 * on record, the server's clock and the last statement accepted. `POST /me/keys/reset` needs no
 * statement but a session that signed in with WeChat within FRESH_LOGIN_WINDOW_MS. A changed key
 * revokes every older token; the answer carries the caller's new one. `DELETE /me` deletes the
 * account under the same freshness rule.
 */

import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { MAX_CLOCK_SKEW_MS } from '../../../shared/api/common';
import { KEY_EVENT } from '../../../shared/api/keys';
import type { KeysSetResponse, MeResponse, ResetKeysBody } from '../../../shared/api/me';
import { FRESH_LOGIN_WINDOW_MS, meContract } from '../../../shared/api/me';
import { notificationsContract } from '../../../shared/api/notifications';
import { sm2IsValidPublicKey } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { MifengError } from '../../../shared/errors';
import { type KeyChange, keyId, parseKeyBackup, verifyKeyChange } from '../../../shared/protocol';
import { phoneFromWeChat } from '../../phone';
import { isRegistered, type KeyUpdate, toApiUser, type UserRecord } from '../../plugins/app/users-repository';
import { contractRoute } from '../_contract';

/** `FreshLoginRequired` unless the session signed in with WeChat within FRESH_LOGIN_WINDOW_MS. */
function requireFreshLogin(request: FastifyRequest): void {
  if (Date.now() - request.session.loginAt.getTime() > FRESH_LOGIN_WINDOW_MS) {
    throw new MifengError('FreshLoginRequired');
  }
}

/** The key a `PUT /me/keys` or reset body uploads, checked: a point on the curve, a valid backup. */
function keyUpload(body: ResetKeysBody): Pick<KeyUpdate, 'name' | 'keyId' | 'publicKey' | 'backup'> {
  const key = base64urlDecode(body.publicKey);
  if (!sm2IsValidPublicKey(key)) throw new MifengError('InvalidPublicKey');
  return { name: body.name, keyId: keyId(key), publicKey: key, backup: parseKeyBackup(body.backup) };
}

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

  /** Matches letters waiting for this user's number and tells each of their senders, once. */
  const arrived = async (user: UserRecord): Promise<void> => {
    if (!isRegistered(user)) return;
    const matches = await fastify.pendingRepository.matchUser(user.id);
    const told = new Set<string>();
    for (const { senderId, name } of matches) {
      if (told.has(senderId)) continue;
      told.add(senderId);
      fastify.notifications.pendingReady(senderId, name);
    }
  };

  const me = async (request: FastifyRequest): Promise<UserRecord> => {
    const user = await fastify.usersRepository.findById(request.userId);
    if (!user) throw new MifengError('Unauthorized');
    return user;
  };

  /** The signed-in user and the key their body uploads. */
  const upload = async (request: FastifyRequest, body: ResetKeysBody) => ({
    key: keyUpload(body),
    user: await me(request),
  });

  /** Records the update and answers the profile with a token under the (maybe bumped) version. */
  const applyKeys = async (request: FastifyRequest, update: KeyUpdate): Promise<KeysSetResponse> => {
    const user = await fastify.usersRepository.setKeys(request.userId, update);
    fastify.audit(request, 'key_set', { keyId: update.keyId, kind: update.event ?? 'same-key' });
    await arrived(user);
    const issued = fastify.issueToken(user.id, user.tokenVersion, request.session.loginAt);
    return { ...(await profile(user)), ...issued };
  };

  /** Why `statement` cannot change `user`'s key to `next`, as a coded error; nothing when it can. */
  const checkStatement = async (user: UserRecord, statement: KeyChange | undefined, next: Uint8Array) => {
    if (!statement) throw new MifengError('KeyChangeRequired');
    const current = user.currentKeyId ? await fastify.usersRepository.findKey(user.currentKeyId) : null;
    if (!current || statement.oldKey !== current.keyId) {
      throw new MifengError('KeyChangeStale', 'oldKey is not your current key');
    }
    const expected = { user: user.id, oldPublicKey: current.publicKey, newPublicKey: next };
    if (!verifyKeyChange(statement, expected)) {
      throw new MifengError(
        'KeyChangeInvalid',
        'the statement is not signed by your current key for this key',
      );
    }
    const at = Date.parse(statement.at);
    if (Math.abs(at - Date.now()) > MAX_CLOCK_SKEW_MS) {
      throw new MifengError('KeyChangeInvalid', 'at is too far from the server clock');
    }
    if (user.lastStatementAt && at <= user.lastStatementAt.getTime()) {
      throw new MifengError('KeyChangeStale', 'at is not later than your last statement');
    }
  };

  fastify.route({
    ...contractRoute(meContract.get, secured),
    handler: async (request) => profile(await me(request)),
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
      await arrived(user);
      return profile(user);
    },
  });

  fastify.route({
    ...contractRoute(meContract.setKeys, {
      ...secured,
      description:
        'Registers the first key; after that changes the key, the backup or the name, each with a ' +
        'key-change statement signed by the current key. A new key revokes older tokens.',
    }),
    handler: async (request) => {
      const { statement } = request.body;
      const { user, key } = await upload(request, request.body);
      if (user.currentKeyId) await checkStatement(user, statement, key.publicKey);
      else if (statement) throw new MifengError('KeyChangeInvalid', 'there is no key yet to sign a change');
      const event = !user.currentKeyId
        ? KEY_EVENT.REGISTER
        : user.currentKeyId === key.keyId
          ? null
          : KEY_EVENT.SIGNED_CHANGE;
      return applyKeys(request, { ...key, statement: statement ?? null, event, replaces: user.currentKeyId });
    },
  });

  fastify.route({
    ...contractRoute(meContract.resetKeys, {
      ...secured,
      description:
        'A new key without a statement (the old one is lost), only within a few minutes of a WeChat ' +
        'sign-in. Recorded as a reset in the key history; revokes older tokens.',
    }),
    handler: async (request) => {
      requireFreshLogin(request);
      const { user, key } = await upload(request, request.body);
      if (user.currentKeyId === key.keyId) {
        throw new MifengError('Conflict', 'this is already your key: a reset needs a new one');
      }
      return applyKeys(request, {
        ...key,
        statement: null,
        event: user.currentKeyId ? KEY_EVENT.RESET : KEY_EVENT.REGISTER,
        replaces: user.currentKeyId,
      });
    },
  });

  fastify.route({
    ...contractRoute(meContract.delete, {
      ...secured,
      description:
        'Deletes your account, only within a few minutes of a WeChat sign-in: your letters, keys, ' +
        'backups, contact book, phone and sessions go; letters you received are removed for you. ' +
        'The transparency log keeps a tombstone for your key.',
    }),
    handler: async (request, reply) => {
      requireFreshLogin(request);
      await fastify.usersRepository.deleteAccount(request.userId);
      fastify.audit(request, 'account_deleted');
      return reply.code(204).send();
    },
  });

  fastify.route({
    ...contractRoute(meContract.keys, {
      ...secured,
      description: 'Your key history and every backup you stored, so letters sealed to old keys still open.',
    }),
    handler: async (request) => {
      const [history, backups] = await Promise.all([
        fastify.usersRepository.keyHistory(request.userId),
        fastify.usersRepository.backups(request.userId),
      ]);
      return { history, backups };
    },
  });

  fastify.route({
    ...contractRoute(meContract.contacts, {
      ...secured,
      description: 'Your contact book, sealed on your phone (the server cannot read it), and its counter.',
    }),
    preHandler: fastify.requireRegistered,
    handler: async (request) => fastify.usersRepository.contactBook(request.userId),
  });

  fastify.route({
    ...contractRoute(meContract.putContacts, {
      ...secured,
      description: 'Replaces the sealed contact book; `counter` must be the stored one plus 1 (else 409).',
    }),
    preHandler: fastify.requireRegistered,
    handler: async (request) => {
      const { blob, counter } = request.body;
      await fastify.usersRepository.putContactBook(request.userId, base64urlDecode(blob), counter);
      fastify.audit(request, 'contacts_set', { counter: String(counter) });
      return { counter };
    },
  });

  fastify.route({
    ...contractRoute(notificationsContract.get, {
      ...secured,
      description:
        'Which subscription messages this server sends (template ids) and your grants left. Also ' +
        'before registration, so the registration tap can ask for them.',
    }),
    handler: async (request) => ({
      templates: fastify.notifications.templates,
      grants: await fastify.notifications.grants(request.userId),
    }),
  });

  fastify.route({
    ...contractRoute(notificationsContract.grant, {
      ...secured,
      description:
        'Records the templates you accepted in one wx.requestSubscribeMessage: one more message of ' +
        'each kind may be sent to you. Kinds this server does not send are ignored.',
    }),
    preHandler: fastify.requireRegistered,
    handler: async (request) => {
      const { templates } = fastify.notifications;
      const kinds = request.body.accepted.filter((kind) => templates[kind] !== null);
      return { templates, grants: await fastify.notifications.grant(request.userId, kinds) };
    },
  });
};

export default me;
