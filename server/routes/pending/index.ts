/**
 * `/api/v1/pending`: the sender's letters to people not registered yet — list them, deliver one
 * sealed again once its recipient has registered, or cancel one.
 *
 * Delivering takes the same checks as any upload (routes/_upload.ts) plus: the entry is the
 * caller's and `ready`, the new envelope goes to exactly the caller and the entry's recipient (at
 * their current key, checked when it is stored) and keeps the letter's expiry. The server cannot
 * see that the content and remark are the same: the sender's phone seals them from its own copy
 * (docs/protocol.md, re-sealing for a pending recipient).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CLOSED_STATE_ERROR } from '../../../shared/api/envelopes';
import { letterUrl } from '../../../shared/api/links';
import { PENDING_STATE, type PendingEntry, pendingContract } from '../../../shared/api/pending';
import type { LookupResponse } from '../../../shared/api/recipients';
import { MifengError } from '../../../shared/errors';
import type { PendingRecord } from '../../plugins/app/pending-repository';
import { contractRoute } from '../_contract';
import { lookupAnswer } from '../_lookup';
import { acceptUpload, keepRawEnvelope, refuseDuplicateMembers } from '../_upload';

const pending: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('onRequest', fastify.authenticate);
  fastify.addHook('onRequest', fastify.requireRegistered);
  refuseDuplicateMembers(fastify);
  const secured = { security: [{ bearerAuth: [] }], tags: ['pending'] };

  /** The recipient of a ready entry as a lookup shows them; null if the number changed hands since. */
  async function recipientOf(entry: PendingRecord): Promise<LookupResponse | null> {
    if (!entry.phoneHash) return null;
    const holder = await fastify.usersRepository.findByPhoneHash(entry.phoneHash);
    if (!holder || holder.id !== entry.recipientId) return null;
    return lookupAnswer(fastify, holder);
  }

  async function toEntry(entry: PendingRecord): Promise<PendingEntry> {
    const recipient = entry.state === PENDING_STATE.READY ? await recipientOf(entry) : null;
    return {
      id: entry.id,
      envelopeId: entry.envelopeId,
      name: entry.name,
      phoneMasked: entry.phoneMasked,
      // A ready entry whose number went to someone else waits again, for its owner.
      state: entry.state === PENDING_STATE.READY && !recipient ? PENDING_STATE.WAITING : entry.state,
      createdAt: entry.createdAt.toISOString(),
      expiresAt: entry.expiresAt ? entry.expiresAt.toISOString() : null,
      ...(recipient ? { recipient } : {}),
      deliveredEnvelopeId: entry.deliveredEnvelopeId,
    };
  }

  fastify.route({
    ...contractRoute(pendingContract.list, {
      ...secured,
      description:
        'Your letters waiting for people not registered yet (of letters not purged), newest first; a ' +
        '`ready` one carries its recipient and their current key, to seal it again for them.',
    }),
    handler: async (request) => {
      const entries = await fastify.pendingRepository.list(request.userId, new Date());
      return { items: await Promise.all(entries.map(toEntry)) };
    },
  });

  fastify.route({
    ...contractRoute(pendingContract.deliver, {
      ...secured,
      description:
        'Delivers a ready entry: the letter sealed again to you and its recipient, same expiry. ' +
        'Exactly one delivery per entry (409 `pending_delivered` for the others).',
    }),
    preValidation: keepRawEnvelope,
    handler: async (request, reply) => {
      const now = new Date();
      const { envelope } = request.body;
      const entry = await fastify.pendingRepository.find(request.params.id, request.userId, now);
      if (!entry) throw new MifengError('NotFound');
      if (entry.state === PENDING_STATE.DELIVERED) throw new MifengError('PendingDelivered');
      if (entry.state === PENDING_STATE.EXPIRED || entry.state === PENDING_STATE.REVOKED) {
        throw new MifengError(CLOSED_STATE_ERROR[entry.state]);
      }
      if (entry.state !== PENDING_STATE.READY || !entry.recipientId) throw new MifengError('PendingNotReady');
      const row = await acceptUpload(fastify, request, envelope, now.getTime());
      const users = envelope.recipients.map((r) => r.user).sort();
      const wanted = [request.userId, entry.recipientId].sort();
      if (users.length !== 2 || users[0] !== wanted[0] || users[1] !== wanted[1]) {
        throw new MifengError(
          'ValidationFailed',
          "body/envelope/recipients: must be exactly you and the entry's recipient",
        );
      }
      if ((row.expiresAt?.getTime() ?? null) !== (entry.expiresAt?.getTime() ?? null)) {
        throw new MifengError('InvalidExpiry', "body/envelope/expiresAt: must be the letter's own expiry");
      }
      if (row.maxOpens !== entry.maxOpens) {
        throw new MifengError(
          'ValidationFailed',
          "body/envelope/maxOpens: must be the letter's own read limit",
        );
      }
      await fastify.pendingRepository.deliver(entry.id, entry.recipientId, row, fastify.quotas, now);
      fastify.audit(request, 'pending_delivered', { envelopeId: envelope.id });
      const sender = await fastify.usersRepository.findById(request.userId);
      fastify.notifications.newLetter(envelope.id, sender?.name ?? '', [entry.recipientId], now);
      reply.code(201);
      return { id: envelope.id, url: letterUrl(fastify.config.PUBLIC_URL, envelope.id) };
    },
  });

  fastify.route({
    ...contractRoute(pendingContract.cancel, {
      ...secured,
      description:
        'Cancels an entry not delivered yet: it is deleted with the hash of its number. 409 once delivered.',
    }),
    handler: async (request, reply) => {
      await fastify.pendingRepository.cancel(request.params.id, request.userId, new Date());
      fastify.audit(request, 'pending_cancelled');
      return reply.code(204).send();
    },
  });
};

export default pending;
