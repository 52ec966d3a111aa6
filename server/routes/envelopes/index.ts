/**
 * `/api/v1/envelopes`: upload (POST), fetch (GET /:id), status and sender before a fetch
 * (GET /:id/status), list (GET ?box=), confirm an open (POST /:id/opened), remove from a box
 * (POST /:id/remove) and revoke (DELETE /:id).
 *
 * Upload checks, in order: the body as JSON with no member name given twice in any object (the
 * protocol refuses them and JSON.parse would silently keep the last), the envelope against the
 * protocol's schema of version 1, 2 or 3 (route validation), sender = the
 * token's user, `createdAt` within MAX_CLOCK_SKEW_MS of the server clock, `expiresAt` null or in
 * (now, now + MAX_EXPIRY_DAYS], the signature under `senderKey` (a registered key of the sender),
 * then — in the insert statement itself — `senderKey` is the sender's current key, every
 * recipient exists with that key as their current key, and the sender is within their quotas
 * (plugins/app/quotas.ts). The envelope is stored as received, with its `pending` entries (people
 * not registered yet, by the keyed hash of their number: routes/pending) in the same statement. A
 * version 2 or 3 letter's read limit (`maxOpens`) is signed by its sender and taken from the envelope itself
 * (`acceptUpload`), never from anything unsigned: enforced here, never changed. A version 3
 * letter loses a recipient's wrap (to its signed wrapHash) once they can no longer fetch it
 * (plugins/app/envelopes-repository.ts).
 *
 * After an upload each recipient who asked is sent "a new secret letter", and after a recipient's
 * first confirmed open the sender "〈name〉 opened your letter" (plugins/app/notifications.ts),
 * neither holding up the answer.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  CLOSED_STATE_ERROR,
  ENVELOPE_STATE,
  type EnvelopeSender,
  envelopesContract,
  type GetEnvelopeResponse,
} from '../../../shared/api/envelopes';
import { letterUrl } from '../../../shared/api/links';
import { MifengError } from '../../../shared/errors';
import { normalizePhone } from '../../phone';
import type { LetterSender, NewPending } from '../../plugins/app/envelopes-repository';
import { contractRoute } from '../_contract';
import { acceptUpload, keepRawEnvelope, refuseDuplicateMembers } from '../_upload';

const envelopes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('onRequest', fastify.authenticate);
  const { PUBLIC_URL } = fastify.config;

  refuseDuplicateMembers(fastify);
  const secured = { security: [{ bearerAuth: [] }], tags: ['envelopes'] };

  /**
   * The sender block of a letter, the same for the fetch and for the status before it: the phone
   * checks it before a fetch that uses an open and requires the fetch to repeat it.
   */
  async function senderOf(letter: LetterSender): Promise<EnvelopeSender> {
    const [publicKey, keyHistory] = await Promise.all([
      fastify.signatures.publicKey(letter.senderKeyId),
      fastify.usersRepository.keyHistory(letter.senderId),
    ]);
    if (!publicKey) throw new MifengError('Internal', 'sender key missing');
    const log = await fastify.transparencyLog.keyInclusion(letter.senderKeyId);
    return {
      user: letter.senderId,
      name: letter.senderName,
      phoneMasked: letter.senderPhoneMasked,
      publicKey,
      keyId: letter.senderKeyId,
      keyHistory,
      ...(log ? { log } : {}),
    };
  }

  /** The `pending` of an upload, hashed; each number at most once, each bad one named. */
  function pendingEntries(pending: readonly { name: string; phone: string }[]): NewPending[] {
    const seen = new Map<string, number>();
    return pending.map(({ name, phone }, i) => {
      if (!normalizePhone(phone)) throw new MifengError('InvalidPhone', `body/pending/${i}/phone`);
      const hashed = fastify.phones.hash(phone);
      const key = Buffer.from(hashed.hash).toString('hex');
      const first = seen.get(key);
      if (first !== undefined) {
        throw new MifengError(
          'ValidationFailed',
          `body/pending/${i}/phone: the same number as pending/${first}`,
        );
      }
      seen.set(key, i);
      return {
        id: randomBytes(16).toString('base64url'),
        name,
        phoneHash: hashed.hash,
        phoneMasked: hashed.masked,
      };
    });
  }

  fastify.route({
    ...contractRoute(envelopesContract.create, {
      ...secured,
      description: 'Upload a sealed envelope (protocol version 1, 2 or 3). Answers the QR URL.',
    }),
    preValidation: keepRawEnvelope,
    handler: async (request, reply) => {
      const { envelope, pending = [] } = request.body;
      const row = await acceptUpload(fastify, request, envelope, Date.now());
      const waiting = pendingEntries(pending);
      // Stored only if senderKey and every recipient key are current (checked in the same statement).
      await fastify.envelopesRepository.create({ ...row, pending: waiting }, fastify.quotas);
      const recipients = envelope.recipients.map((r) => r.user).filter((u) => u !== request.userId);
      const sender = await fastify.usersRepository.findById(request.userId);
      fastify.notifications.newLetter(envelope.id, sender?.name ?? '', recipients, row.receivedAt);
      // Someone may have registered with a pending number since compose looked it up.
      await fastify.pendingRepository.matchPhones(waiting.map((p) => p.phoneHash));
      reply.code(201);
      return {
        id: envelope.id,
        url: letterUrl(PUBLIC_URL, envelope.id),
        ...(waiting.length > 0 ? { pending: waiting.map((p) => p.id) } : {}),
      };
    },
  });

  fastify.route({
    ...contractRoute(envelopesContract.get, {
      ...secured,
      description:
        "The envelope as uploaded (version 3: with only your own wrap), with the sender's name and " +
        'masked phone as of sending, the key that signed it and their key history. 404 unless you ' +
        'are its sender or a recipient; 410 once expired (`expired`), revoked (`revoked`) or burned ' +
        '(`burned`). For a recipient of a limited letter each fetch is one open (`reads`: opens ' +
        'left); none left is 410 `opens_used`. ' +
        'The sender also gets who opened it.',
    }),
    handler: async (request, reply) => {
      const found = await fastify.envelopesRepository.read(request.params.id, request.userId, new Date());
      if (found.kind === 'not_found') throw new MifengError('NotFound');
      if (found.kind === 'opens_used') throw new MifengError('OpensUsed');
      if (found.kind !== 'ok') throw new MifengError(CLOSED_STATE_ERROR[found.kind]);
      const sender = await senderOf(found);
      const opens = found.opens ? `,"opens":${JSON.stringify(found.opens)}` : '';
      const deliveries = found.deliveries ? `,"deliveries":${JSON.stringify(found.deliveries)}` : '';
      const reads = found.reads ? `,"reads":${JSON.stringify(found.reads)}` : '';
      // The envelope text goes out as the read answered it (stored, or a version 3 letter with only
      // the reader's wrap): no parse, no re-serialization here.
      reply.type('application/json; charset=utf-8');
      const json = `{"envelope":${found.body},"sender":${JSON.stringify(sender)}${opens}${deliveries}${reads}}`;
      return reply.send(json as unknown as GetEnvelopeResponse);
    },
  });

  fastify.route({
    ...contractRoute(envelopesContract.list, {
      ...secured,
      description: 'Metadata pages, newest first: `inbox` (addressed to you by others) or `sent`.',
    }),
    // Lists are for registered users (found by tests/server/authz-matrix.test.ts).
    onRequest: fastify.requireRegistered,
    handler: async (request) => {
      const { box, cursor } = request.query;
      return fastify.envelopesRepository.list(box, request.userId, cursor, new Date());
    },
  });

  fastify.route({
    ...contractRoute(envelopesContract.opened, {
      ...secured,
      description:
        "A recipient's app confirms it decrypted the letter: the sender's `opens`. Only a listed recipient " +
        '(404 for anyone else, the sender included), only while active (410). Idempotent.',
    }),
    handler: async (request, reply) => {
      const result = await fastify.envelopesRepository.confirmOpened(
        request.params.id,
        request.userId,
        new Date(),
      );
      if (result === 'not_found') throw new MifengError('NotFound');
      if (result === 'first') {
        const [letter, opener] = await Promise.all([
          fastify.envelopesRepository.senderOf(request.params.id),
          fastify.usersRepository.findById(request.userId),
        ]);
        if (letter) fastify.notifications.opened(letter, opener?.name ?? '', new Date());
      } else if (result !== 'ok') {
        throw new MifengError(CLOSED_STATE_ERROR[result]);
      }
      return reply.code(204).send();
    },
  });

  fastify.route({
    ...contractRoute(envelopesContract.status, {
      ...secured,
      description:
        'State, read limit and your opens left, without fetching the letter (so without using an ' +
        'open); while it is active, also its sender exactly as the fetch shows them, to check ' +
        'before fetching. 404 unless you are its sender or a recipient who has not removed it.',
    }),
    handler: async (request) => {
      const found = await fastify.envelopesRepository.status(request.params.id, request.userId, new Date());
      if (found.kind === 'not_found') throw new MifengError('NotFound');
      const { state, maxOpens, opensLeft } = found;
      if (state !== ENVELOPE_STATE.ACTIVE) return { state, maxOpens, opensLeft };
      return { state, maxOpens, opensLeft, sender: await senderOf(found) };
    },
  });

  fastify.route({
    ...contractRoute(envelopesContract.remove, {
      ...secured,
      description:
        'Removes a letter from your box. A recipient, at any time: never handed to you again. The ' +
        'sender, once revoked, expired or burned (409 `not_closed` while active): the body goes at ' +
        'once. Idempotent; 404 for anyone else.',
    }),
    handler: async (request, reply) => {
      const removed = await fastify.envelopesRepository.remove(request.params.id, request.userId, new Date());
      if (!removed) throw new MifengError('NotFound');
      fastify.audit(request, 'envelope_removed', { envelopeId: request.params.id });
      return reply.code(204).send();
    },
  });

  fastify.route({
    ...contractRoute(envelopesContract.revoke, {
      ...secured,
      description: 'Revoke (sender only): recipients then get 410 `revoked`. Idempotent.',
    }),
    handler: async (request, reply) => {
      const revoked = await fastify.envelopesRepository.revoke(request.params.id, request.userId, new Date());
      if (!revoked) throw new MifengError('NotFound');
      fastify.audit(request, 'envelope_revoked', { envelopeId: request.params.id });
      return reply.code(204).send();
    },
  });
};

export default envelopes;
