/**
 * `/api/v1/envelopes`: upload (POST), fetch (GET /:id), status before a fetch (GET /:id/status),
 * list (GET ?box=), confirm an open (POST /:id/opened), remove from a box (POST /:id/remove) and
 * revoke (DELETE /:id).
 *
 * Upload checks, in order: the body against protocol v1's schema (route validation), sender = the
 * token's user, `createdAt` within MAX_CLOCK_SKEW_MS of the server clock, `expiresAt` null or in
 * (now, now + MAX_EXPIRY_DAYS], the signature under `senderKey` (a registered key of the sender),
 * then — in the insert statement itself — `senderKey` is the sender's current key, every
 * recipient exists with that key as their current key, and the sender is within their quotas
 * (plugins/app/quotas.ts). The envelope is stored as received, with its read limit taken from the
 * signed envelope itself (never from anything unsigned).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DAY_MS, MAX_CLOCK_SKEW_MS } from '../../../shared/api/common';
import {
  CLOSED_STATE_ERROR,
  envelopesContract,
  type GetEnvelopeResponse,
} from '../../../shared/api/envelopes';
import { letterUrl } from '../../../shared/api/links';
import { MifengError } from '../../../shared/errors';
import { type Envelope, envelopeMaxOpens } from '../../../shared/protocol';
import { contractRoute } from '../_contract';

declare module 'fastify' {
  interface FastifyRequest {
    /** The `envelope` member of a POST body as JSON.parse produced it, before validation. */
    rawEnvelope?: unknown;
  }
}

const envelopes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('onRequest', fastify.authenticate);
  const { MAX_EXPIRY_DAYS, PUBLIC_URL } = fastify.config;
  const secured = { security: [{ bearerAuth: [] }], tags: ['envelopes'] };

  /** The checks that need no database: sender, clock skew, expiry bounds. */
  function checkUpload(envelope: Envelope, userId: string, now: number): void {
    if (envelope.sender !== userId) throw new MifengError('SenderMismatch');
    if (Math.abs(Date.parse(envelope.createdAt) - now) > MAX_CLOCK_SKEW_MS)
      throw new MifengError('ClockSkew');
    if (envelope.expiresAt !== null) {
      const expires = Date.parse(envelope.expiresAt);
      if (expires <= now || expires > now + MAX_EXPIRY_DAYS * DAY_MS) {
        throw new MifengError('InvalidExpiry', `at most ${MAX_EXPIRY_DAYS} days ahead`);
      }
    }
  }

  fastify.route({
    ...contractRoute(envelopesContract.create, {
      ...secured,
      description: 'Upload a sealed envelope (protocol v1). Answers the QR URL.',
    }),
    preValidation: async (request) => {
      const body = request.body as { envelope?: unknown } | null;
      request.rawEnvelope = body && typeof body === 'object' ? body.envelope : undefined;
    },
    handler: async (request, reply) => {
      const envelope = request.body.envelope;
      const now = Date.now();
      checkUpload(envelope, request.userId, now);
      const signature = await fastify.signatures.verifyEnvelope(envelope, request.userId);
      if (signature === 'unknown_key') {
        // Not a key of this user at all: say whether they have one.
        const user = await fastify.usersRepository.findById(request.userId);
        throw new MifengError(user?.currentKeyId ? 'SenderKeyMismatch' : 'NotRegistered');
      }
      if (signature === 'bad_signature') throw new MifengError('BadSignature');
      // Stored only if senderKey and every recipient key are current (checked in the same statement).
      await fastify.envelopesRepository.create(
        {
          id: envelope.id,
          receivedAt: new Date(now),
          senderId: request.userId,
          senderKeyId: envelope.senderKey,
          createdAt: new Date(envelope.createdAt),
          expiresAt: envelope.expiresAt === null ? null : new Date(envelope.expiresAt),
          body: JSON.stringify(request.rawEnvelope),
          maxOpens: envelopeMaxOpens(envelope),
          recipients: envelope.recipients.map((r) => ({ userId: r.user, keyId: r.key })),
        },
        fastify.quotas,
      );
      reply.code(201);
      return { id: envelope.id, url: letterUrl(PUBLIC_URL, envelope.id) };
    },
  });

  fastify.route({
    ...contractRoute(envelopesContract.get, {
      ...secured,
      description:
        "The envelope as uploaded, with the sender's name and masked phone as of sending, the key " +
        'that signed it and their key history. 404 unless you are its sender or a recipient; ' +
        '410 once expired (`expired`), revoked (`revoked`) or burned (`burned`). For a recipient of a ' +
        'limited letter each fetch is one open (`reads`: opens left); none left is 410 `opens_used`. ' +
        'The sender also gets who opened it.',
    }),
    handler: async (request, reply) => {
      const found = await fastify.envelopesRepository.read(request.params.id, request.userId, new Date());
      if (found.kind === 'not_found') throw new MifengError('NotFound');
      if (found.kind === 'opens_used') throw new MifengError('OpensUsed');
      if (found.kind !== 'ok') throw new MifengError(CLOSED_STATE_ERROR[found.kind]);
      const [publicKey, keyHistory] = await Promise.all([
        fastify.signatures.publicKey(found.senderKeyId),
        fastify.usersRepository.keyHistory(found.senderId),
      ]);
      if (!publicKey) throw new MifengError('Internal', 'sender key missing');
      const log = await fastify.transparencyLog.keyInclusion(found.senderKeyId);
      const sender = {
        user: found.senderId,
        name: found.senderName,
        phoneMasked: found.senderPhoneMasked,
        publicKey,
        keyId: found.senderKeyId,
        keyHistory,
        ...(log ? { log } : {}),
      };
      const opens = found.opens ? `,"opens":${JSON.stringify(found.opens)}` : '';
      const deliveries = found.deliveries ? `,"deliveries":${JSON.stringify(found.deliveries)}` : '';
      const reads = found.reads ? `,"reads":${JSON.stringify(found.reads)}` : '';
      // The stored envelope text goes out as stored: no parse, no re-serialization.
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
      if (result !== 'ok') throw new MifengError(CLOSED_STATE_ERROR[result]);
      return reply.code(204).send();
    },
  });

  fastify.route({
    ...contractRoute(envelopesContract.status, {
      ...secured,
      description:
        'State, read limit and your opens left, without fetching the letter (so without using an ' +
        'open). 404 unless you are its sender or a recipient who has not removed it.',
    }),
    handler: async (request) => {
      const found = await fastify.envelopesRepository.status(request.params.id, request.userId, new Date());
      if (found.kind === 'not_found') throw new MifengError('NotFound');
      return { state: found.state, maxOpens: found.maxOpens, opensLeft: found.opensLeft };
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
