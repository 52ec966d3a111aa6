/**
 * What every upload of a sealed letter goes through, whichever route takes it (`POST /envelopes`,
 * `POST /pending/:id/deliver`): sender = the token's user, `createdAt` within MAX_CLOCK_SKEW_MS of
 * the server clock, `expiresAt` null or in (now, now + MAX_EXPIRY_DAYS], every wrap of a version 3
 * letter present (none purged yet), and the signature under `senderKey`, a registered key of the
 * sender. The result is the row to store, body as received, with each version 3 recipient's
 * wrapHash as the verified signature covers it (what lets the server purge that wrap later).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DAY_MS, MAX_CLOCK_SKEW_MS } from '../../shared/api/common';
import { MifengError } from '../../shared/errors';
import { assertUniqueMembers } from '../../shared/json';
import { type Envelope, envelopeMaxOpens, recipientWrapHash } from '../../shared/protocol';
import type { NewEnvelope } from '../plugins/app/envelopes-repository';

declare module 'fastify' {
  interface FastifyRequest {
    /** The `envelope` member of a POST body as JSON.parse produced it, before validation. */
    rawEnvelope?: unknown;
  }
}

/**
 * Reads the JSON bodies of the routes registered in `fastify` (content-type parsers are
 * encapsulated per plugin) with Fastify's own parser — its errors and prototype-poisoning checks —
 * then refuses a member name given twice (docs/protocol.md §2) as 400 `malformed`, naming it.
 */
export function refuseDuplicateMembers(fastify: FastifyInstance): void {
  const parseJsonBody = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    parseJsonBody(request, text, (err, value) => {
      if (err) return done(err, undefined);
      try {
        assertUniqueMembers(text, value, 'the body');
      } catch (duplicate) {
        return done(duplicate as Error, undefined);
      }
      done(null, value);
    });
  });
}

/** preValidation hook keeping the envelope exactly as sent, for storing it as received. */
export async function keepRawEnvelope(request: FastifyRequest): Promise<void> {
  const body = request.body as { envelope?: unknown } | null;
  request.rawEnvelope = body && typeof body === 'object' ? body.envelope : undefined;
}

/** The checks that need no database: sender, clock skew, expiry bounds, no purged wrap. */
function checkUpload(envelope: Envelope, userId: string, now: number, maxExpiryDays: number): void {
  if (envelope.sender !== userId) throw new MifengError('SenderMismatch');
  const purged = envelope.v === 3 ? envelope.recipients.findIndex((r) => r.wrap === undefined) : -1;
  if (purged >= 0) {
    throw new MifengError(
      'ValidationFailed',
      `body/envelope/recipients/${purged}/wrap: a letter is uploaded with every wrap`,
    );
  }
  if (Math.abs(Date.parse(envelope.createdAt) - now) > MAX_CLOCK_SKEW_MS) throw new MifengError('ClockSkew');
  if (envelope.expiresAt !== null) {
    const expires = Date.parse(envelope.expiresAt);
    if (expires <= now || expires > now + maxExpiryDays * DAY_MS) {
      throw new MifengError('InvalidExpiry', `at most ${maxExpiryDays} days ahead`);
    }
  }
}

/** Checks `envelope` from `request`'s user and returns the row to store (without pending entries). */
export async function acceptUpload(
  fastify: FastifyInstance,
  request: FastifyRequest,
  envelope: Envelope,
  now: number,
): Promise<NewEnvelope> {
  checkUpload(envelope, request.userId, now, fastify.config.MAX_EXPIRY_DAYS);
  const signature = await fastify.signatures.verifyEnvelope(envelope, request.userId);
  if (signature === 'unknown_key') {
    // Not a key of this user at all: say whether they have one.
    const user = await fastify.usersRepository.findById(request.userId);
    throw new MifengError(user?.currentKeyId ? 'SenderKeyMismatch' : 'NotRegistered');
  }
  if (signature === 'bad_signature') throw new MifengError('BadSignature');
  return {
    id: envelope.id,
    receivedAt: new Date(now),
    senderId: request.userId,
    senderKeyId: envelope.senderKey,
    createdAt: new Date(envelope.createdAt),
    expiresAt: envelope.expiresAt === null ? null : new Date(envelope.expiresAt),
    body: JSON.stringify(request.rawEnvelope),
    maxOpens: envelopeMaxOpens(envelope),
    recipients: envelope.recipients.map((r) => ({
      userId: r.user,
      keyId: r.key,
      wrapHash: envelope.v === 3 ? recipientWrapHash(r) : null,
    })),
  };
}
