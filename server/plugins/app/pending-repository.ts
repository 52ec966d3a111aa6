/**
 * `fastify.pendingRepository`: letters waiting for someone who has not registered yet.
 *
 * An entry is stored with its letter (envelopes-repository `create`) and holds the name the sender
 * typed and the keyed hash of the number, never the number. When a user who has finished
 * registering holds that hash and that name (the lookup's name rule, server/names.ts), the entry is
 * matched to them (`recipientId`, "ready") and the sender is told. Delivering it is one transaction
 * that marks the entry delivered (only if it was not) and stores the new envelope, so two instances
 * delivering the same entry at once store exactly one letter: the second finds it delivered under
 * the row lock and stores nothing.
 */
import fp from 'fastify-plugin';
import { ENVELOPE_STATE } from '../../../shared/api/envelopes';
import { PENDING_PAGE_SIZE, PENDING_STATE, type PendingState } from '../../../shared/api/pending';
import { MifengError } from '../../../shared/errors';
import { normalizeName } from '../../names';
import {
  burnIfDone,
  createEnvelopesRepository,
  envelopeState,
  type NewEnvelope,
  type QuotaLimits,
} from './envelopes-repository';

declare module 'fastify' {
  interface FastifyInstance {
    pendingRepository: ReturnType<typeof createPendingRepository>;
  }
}

type Prisma = import('fastify').FastifyInstance['prisma'];

/** An entry as its sender sees it (the route adds the recipient's key while it is ready). */
export interface PendingRecord {
  id: string;
  envelopeId: string;
  name: string;
  phoneMasked: string;
  /** Null once the letter is purged. */
  phoneHash: Uint8Array | null;
  state: PendingState;
  createdAt: Date;
  expiresAt: Date | null;
  /** The letter's opens per recipient: the copy's too. */
  maxOpens: number | null;
  recipientId: string | null;
  deliveredEnvelopeId: string | null;
}

/** A match made at registration: who should be told that whom they wrote to has arrived. */
export interface PendingMatch {
  senderId: string;
  /** The name the sender typed. */
  name: string;
}

const entrySelect = {
  id: true,
  envelopeId: true,
  name: true,
  phoneMasked: true,
  phoneHash: true,
  createdAt: true,
  recipientId: true,
  deliveredAt: true,
  deliveredEnvelopeId: true,
  envelope: { select: { expiresAt: true, revokedAt: true, purgedAt: true, maxOpens: true } },
} as const;

type EntryRow = {
  id: string;
  envelopeId: string;
  name: string;
  phoneMasked: string;
  phoneHash: Uint8Array | null;
  createdAt: Date;
  recipientId: string | null;
  deliveredAt: Date | null;
  deliveredEnvelopeId: string | null;
  envelope: {
    expiresAt: Date | null;
    revokedAt: Date | null;
    purgedAt: Date | null;
    maxOpens: number | null;
  };
};

/** Delivered wins (the copy exists), then the letter's own closed state, then ready or waiting. */
export function pendingState(row: EntryRow, now: Date): PendingState {
  if (row.deliveredAt) return PENDING_STATE.DELIVERED;
  const letter = envelopeState(row.envelope, now);
  if (letter === ENVELOPE_STATE.REVOKED) return PENDING_STATE.REVOKED;
  if (letter === ENVELOPE_STATE.EXPIRED || row.envelope.purgedAt) return PENDING_STATE.EXPIRED;
  return row.recipientId ? PENDING_STATE.READY : PENDING_STATE.WAITING;
}

function toRecord(row: EntryRow, now: Date): PendingRecord {
  return {
    id: row.id,
    envelopeId: row.envelopeId,
    name: row.name,
    phoneMasked: row.phoneMasked,
    phoneHash: row.phoneHash ? new Uint8Array(row.phoneHash) : null,
    state: pendingState(row, now),
    createdAt: row.createdAt,
    expiresAt: row.envelope.expiresAt,
    maxOpens: row.envelope.maxOpens,
    recipientId: row.recipientId,
    deliveredEnvelopeId: row.deliveredEnvelopeId,
  };
}

export function createPendingRepository(prisma: Prisma) {
  /**
   * Matches the open entries for `phoneHash` to the registered user holding it, when the name the
   * sender typed is theirs; not entries of letters they already receive, nor their own.
   */
  async function matchPhone(phoneHash: Uint8Array, now: Date): Promise<PendingMatch[]> {
    const hash = Uint8Array.from(phoneHash);
    const holder = await prisma.user.findUnique({
      where: { phoneHash: hash },
      select: { id: true, name: true, currentKeyId: true },
    });
    if (!holder?.name || !holder.currentKeyId) return [];
    const candidates = await prisma.pendingRecipient.findMany({
      where: {
        phoneHash: hash,
        recipientId: null,
        deliveredAt: null,
        senderId: { not: holder.id },
        envelope: {
          revokedAt: null,
          purgedAt: null,
          OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
          recipients: { none: { userId: holder.id } },
        },
      },
      select: { id: true, senderId: true, name: true },
    });
    const wanted = normalizeName(holder.name);
    const matched = candidates.filter((c) => normalizeName(c.name) === wanted);
    if (matched.length === 0) return [];
    // Only entries still unmatched: another instance may have matched some in between.
    const claimed = await prisma.pendingRecipient.updateManyAndReturn({
      where: { id: { in: matched.map((m) => m.id) }, recipientId: null },
      data: { recipientId: holder.id, readyAt: now },
      select: { senderId: true, name: true },
    });
    return claimed;
  }

  return {
    /** Matches every open entry for each hash (see `matchPhone`). */
    async matchPhones(hashes: readonly Uint8Array[], now = new Date()): Promise<PendingMatch[]> {
      const all: PendingMatch[] = [];
      for (const hash of hashes) all.push(...(await matchPhone(hash, now)));
      return all;
    },

    /** Matches the entries waiting for `userId`'s number, once they are registered. */
    async matchUser(userId: string, now = new Date()): Promise<PendingMatch[]> {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { phoneHash: true } });
      return user?.phoneHash ? matchPhone(user.phoneHash, now) : [];
    },

    /** `senderId`'s entries of letters not purged yet, newest first. */
    async list(senderId: string, now: Date): Promise<PendingRecord[]> {
      const rows = await prisma.pendingRecipient.findMany({
        where: { senderId, envelope: { purgedAt: null } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: PENDING_PAGE_SIZE,
        select: entrySelect,
      });
      return rows.map((r) => toRecord(r, now));
    },

    /** `senderId`'s entry `id`, or null (someone else's entries are not found either). */
    async find(id: string, senderId: string, now: Date): Promise<PendingRecord | null> {
      const row = await prisma.pendingRecipient.findFirst({ where: { id, senderId }, select: entrySelect });
      return row ? toRecord(row, now) : null;
    },

    /**
     * Marks entry `id` delivered by `envelope` and stores that envelope, in one transaction, only if
     * the entry is still undelivered, matched to `recipientId` and its letter still open with the
     * same expiry. `PendingDelivered` when another delivery got there first; the envelope checks of
     * `create` (keys, quota) roll the mark back.
     */
    async deliver(
      id: string,
      recipientId: string,
      envelope: NewEnvelope,
      quota: QuotaLimits,
      now: Date,
    ): Promise<void> {
      const letter = await prisma.$transaction(async (tx) => {
        const [marked] = await tx.$queryRaw<{ envelope_id: string }[]>`
          UPDATE pending_recipients p
          SET delivered_at = ${now}, delivered_envelope_id = ${envelope.id}
          FROM envelopes e
          WHERE p.id = ${id} AND p.sender_id = ${envelope.senderId} AND p.recipient_id = ${recipientId}
            AND p.delivered_at IS NULL AND e.id = p.envelope_id
            AND e.revoked_at IS NULL AND e.body IS NOT NULL
            AND (e.expires_at IS NULL OR e.expires_at > ${now})
            AND e.expires_at IS NOT DISTINCT FROM ${envelope.expiresAt}
          RETURNING p.envelope_id`;
        if (!marked) return null;
        await createEnvelopesRepository(tx).create(envelope, quota);
        return marked.envelope_id;
      });
      if (!letter) throw new MifengError('PendingDelivered');
      // The letter waited for this entry: it may be burned now.
      await burnIfDone(prisma, [letter], now);
    },

    /**
     * Deletes `senderId`'s undelivered entry `id` (the phone hash goes with it). `NotFound` for
     * none, `PendingDelivered` once delivered (revoke the delivered letter instead).
     */
    async cancel(id: string, senderId: string, now: Date): Promise<void> {
      const deleted = await prisma.$queryRaw<{ envelope_id: string }[]>`
        DELETE FROM pending_recipients
        WHERE id = ${id} AND sender_id = ${senderId} AND delivered_at IS NULL
        RETURNING envelope_id`;
      if (deleted.length > 0) {
        // The letter waited for this entry: it may be burned now.
        await burnIfDone(prisma, [deleted[0]!.envelope_id], now);
        return;
      }
      const left = await prisma.pendingRecipient.count({ where: { id, senderId } });
      throw new MifengError(left > 0 ? 'PendingDelivered' : 'NotFound');
    },
  };
}

export default fp(
  async (fastify) => {
    fastify.decorate('pendingRepository', createPendingRepository(fastify.prisma));
  },
  { name: 'pending-repository', dependencies: ['prisma'] },
);
