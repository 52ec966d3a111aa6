/**
 * `fastify.envelopesRepository`: every query about envelopes, their recipients, opens, read limits
 * and removals.
 *
 * An envelope's `body` is its JSON as the sender uploaded it (the signature covers it). Purging
 * drops `body` (ciphertext and wraps) and keeps the tombstone: id, sender, recipients, times and
 * state.
 *
 * Read limits: for a letter with `max_opens`, every fetch by a recipient other than the sender is
 * one open, counted by a conditional update (`opens < max_opens`) in the statement that hands the
 * body out, so of two fetches racing for the last open exactly one gets it. A recipient whose
 * opens are used (or who removed the letter, or deleted their account) is never handed the body
 * again, and the body — ciphertext and every wrap — is dropped as soon as no recipient other than
 * the sender can fetch it (`burnIfDone`).
 *
 * Version 3 letters sign each wrap through its hash, which upload stored per recipient
 * (`wrap_hash`, computed by shared/protocol from the verified envelope). So in the same statement
 * or transaction that uses up a recipient's opens or removes them, their entry in `body` is
 * rewritten as {user, key, wrapHash} (`purgeWrapSql`): their wrap is gone from the server and the
 * signature still holds for everyone else. It is the only rewrite the server makes to a body, and
 * each reader of a version 3 letter is served only its own wrap (`servedBodySql`). Versions 1 and
 * 2 sign every wrap itself: their bodies stay exactly as received until burned or purged whole.
 */
import fp from 'fastify-plugin';
import { DAY_MS } from '../../../shared/api/common';
import {
  type ClosedEnvelopeState,
  ENVELOPE_PAGE_SIZE,
  ENVELOPE_STATE,
  type EnvelopeState,
  type EnvelopeSummary,
  RECIPIENT_STATUS,
} from '../../../shared/api/envelopes';
import { type ErrorName, MifengError } from '../../../shared/errors';
import type { Prisma as PrismaNamespace } from '../../generated/prisma/client';
import { sql } from '../external/prisma';

declare module 'fastify' {
  interface FastifyInstance {
    envelopesRepository: ReturnType<typeof createEnvelopesRepository>;
  }
}

/** The Prisma client, or the client of an interactive transaction (`prisma.$transaction(async (tx) => …)`). */
type Prisma = Omit<
  import('fastify').FastifyInstance['prisma'],
  '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'
>;

/** Someone not registered yet whom the letter waits for (plugins/app/pending-repository.ts). */
export interface NewPending {
  id: string;
  name: string;
  phoneHash: Uint8Array;
  phoneMasked: string;
}

/** One recipient of a new envelope: who, their key, and (version 3) their entry's wrapHash. */
export interface NewRecipient {
  userId: string;
  keyId: string;
  wrapHash: string | null;
}

export interface NewEnvelope {
  id: string;
  /** The server's clock when the upload arrived: the daily quota counts by it. */
  receivedAt: Date;
  senderId: string;
  senderKeyId: string;
  createdAt: Date;
  expiresAt: Date | null;
  /** The envelope JSON as received. */
  body: string;
  /** Opens per recipient, from the signed envelope; null = no limit. */
  maxOpens: number | null;
  recipients: NewRecipient[];
  /** Stored with the envelope, in the same statement. */
  pending?: NewPending[];
}

/** Per-sender limits on uploads (QUOTA_* in server/config.ts). */
export interface QuotaLimits {
  /** Letters neither expired, revoked nor burned. */
  activeLetters: number;
  /** Bytes of those letters' bodies. */
  storedBytes: number;
  /** Letters received from the sender in the last 24 hours. */
  lettersPerDay: number;
}

/** A sender's usage, as `usageQuery` reads it. */
interface Usage {
  active: bigint | number;
  stored: bigint | number;
  today: bigint | number;
}

/** One pass over the sender's envelopes (index on sender_id) counting what the quotas limit. */
function usageQuery(senderId: string, now: Date, dayAgo: Date) {
  return sql`
    SELECT count(*) FILTER (WHERE active) AS active,
           coalesce(sum(size) FILTER (WHERE active), 0) AS stored,
           count(*) FILTER (WHERE received_at > ${dayAgo}) AS today
    FROM (SELECT size, received_at,
                 revoked_at IS NULL AND burned_at IS NULL
                   AND (expires_at IS NULL OR expires_at > ${now}) AS active
          FROM envelopes WHERE sender_id = ${senderId}) mine`;
}

/** The quota an upload of `size` bytes would exceed, or null. */
export function quotaExceeded(usage: Usage, size: number, quota: QuotaLimits): ErrorName | null {
  if (Number(usage.today) >= quota.lettersPerDay) return 'QuotaLettersPerDay';
  if (Number(usage.active) >= quota.activeLetters) return 'QuotaActiveLetters';
  if (Number(usage.stored) + size > quota.storedBytes) return 'QuotaStoredBytes';
  return null;
}

/**
 * What a reader gets from `read`: not found, a closed state (`revoked`, `expired`, `burned`), no
 * opens left (a recipient of a limited letter), or the letter.
 */
export type ReadResult =
  | { kind: 'not_found' }
  | { kind: ClosedEnvelopeState }
  | { kind: 'opens_used' }
  | ({
      kind: 'ok';
      body: string;
      isSender: boolean;
      /** For the sender: recipients whose app confirmed it decrypted the letter, first first. */
      opens?: { user: string; name: string; at: string }[];
      /** For the sender: recipients it was handed to who have not confirmed opening it. */
      deliveries?: { user: string; name: string; at: string }[];
      /** For a recipient of a limited letter: the limit and the opens left after this fetch. */
      reads?: { maxOpens: number; opensLeft: number };
    } & LetterSender);

/** Who sent a letter, as stored with it: the route adds the key, its history and log proof. */
export interface LetterSender {
  senderId: string;
  senderName: string;
  senderPhoneMasked: string | null;
  senderKeyId: string;
}

/** What `status` answers: the letter's state and limit, the reader's opens left, and its sender. */
export type StatusResult =
  | { kind: 'not_found' }
  | ({
      kind: 'ok';
      state: EnvelopeState;
      maxOpens: number | null;
      opensLeft: number | null;
    } & LetterSender);

/** State of an envelope at `now`: burned wins over revoked, which wins over expired. */
export function envelopeState(
  row: { revokedAt: Date | null; expiresAt: Date | null; burnedAt?: Date | null },
  now: Date,
): EnvelopeState {
  if (row.burnedAt) return ENVELOPE_STATE.BURNED;
  if (row.revokedAt) return ENVELOPE_STATE.REVOKED;
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return ENVELOPE_STATE.EXPIRED;
  return ENVELOPE_STATE.ACTIVE;
}

/** Keyset cursor over (createdAt desc, id desc). */
function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string'
    ) {
      const createdAt = new Date(value[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new MifengError('ValidationFailed', 'querystring/cursor: not a cursor from this API');
}

/** A row of the read query (raw SQL, snake_case). */
interface ReadRow {
  sender_id: string;
  sender_key_id: string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  burned_at: Date | string | null;
  body: string | null;
  sender_name: string;
  sender_phone_masked: string | null;
  max_opens: number | null;
  /** A listed recipient who has not removed it. */
  is_recipient: boolean;
  /** Opens the reader used before this read. */
  opens: number | null;
  /** Opens the reader has used after this read, when it handed the letter out; else null. */
  counted: number | null;
}

function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

/** The state of a raw row. */
function rowState(row: Pick<ReadRow, 'revoked_at' | 'expires_at' | 'burned_at'>, now: Date): EnvelopeState {
  return envelopeState(
    {
      revokedAt: toDate(row.revoked_at),
      expiresAt: toDate(row.expires_at),
      burnedAt: toDate(row.burned_at),
    },
    now,
  );
}

/** Opens left of `used`, under a limit (null without one). */
function opensLeft(maxOpens: number | null, used: number): number | null {
  return maxOpens === null ? null : Math.max(0, maxOpens - used);
}

type Runner = Pick<PrismaNamespace.TransactionClient, '$executeRaw'>;

/**
 * `e.body` with recipient row `r`'s entry written as {user, key, wrapHash}: the stored wrapHash is
 * the one the signature covers, so the signed bytes do not change (docs/protocol.md §Envelope
 * version 3). The whole body goes through jsonb, whose text differs from the upload's only in
 * spacing and member order, which the signature does not cover.
 */
const purgeWrapSql = sql`jsonb_set(e.body::jsonb, ARRAY['recipients', r.position::text],
  jsonb_build_object('user', r.user_id, 'key', r.key_id, 'wrapHash', r.wrap_hash))::text`;

/** Whether row `r`'s entry in `e.body` still holds its wrap (a version 3 letter's, stored). */
const holdsWrapSql = sql`(r.wrap_hash IS NOT NULL AND e.body IS NOT NULL
  AND (e.body::jsonb #> ARRAY['recipients', r.position::text]) ? 'wrap')`;

/**
 * `e.body` as handed to `readerId`: for a version 3 letter every other recipient's entry as
 * {user, key, wrapHash}, so a reader learns no one else's wrap; other letters as stored.
 */
function servedBodySql(readerId: string) {
  return sql`CASE WHEN e.body IS NULL
      OR NOT EXISTS (SELECT 1 FROM envelope_recipients o WHERE o.envelope_id = e.id AND o.wrap_hash IS NOT NULL)
    THEN e.body
    ELSE jsonb_set(e.body::jsonb, '{recipients}', (
      SELECT jsonb_agg(CASE WHEN o.user_id = ${readerId} THEN e.body::jsonb -> 'recipients' -> o.position
                            ELSE jsonb_build_object('user', o.user_id, 'key', o.key_id, 'wrapHash', o.wrap_hash) END
                       ORDER BY o.position)
      FROM envelope_recipients o WHERE o.envelope_id = e.id))::text
    END`;
}

/**
 * Purges `userId`'s wrap from each of the version 3 letters `ids` they received (not sent): run in
 * the transaction that removes them. Letters of versions 1 and 2, and entries already purged, are
 * left as they are.
 */
export async function purgeWraps(db: Runner, ids: string[], userId: string): Promise<void> {
  if (ids.length === 0) return;
  await db.$executeRaw`
    UPDATE envelopes e SET body = ${purgeWrapSql}
    FROM envelope_recipients r
    WHERE e.id = ANY(${ids}) AND r.envelope_id = e.id AND r.user_id = ${userId}
      AND e.sender_id <> ${userId} AND ${holdsWrapSql}`;
}

/**
 * Drops the body of each of `ids` that no recipient other than the sender can fetch any more (each
 * removed it or used their opens): the letter is burned. One statement; run after the change that
 * may have closed the last recipient, in its own snapshot, so of two recipients finishing at once
 * the later check sees both. A letter addressed to its sender alone is never burned this way.
 */
export async function burnIfDone(db: Runner, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.$executeRaw`
    UPDATE envelopes e SET body = NULL, purged_at = COALESCE(e.purged_at, ${now}), burned_at = ${now}
    WHERE e.id = ANY(${ids}) AND e.body IS NOT NULL
      AND EXISTS (SELECT 1 FROM envelope_recipients r WHERE r.envelope_id = e.id AND r.user_id <> e.sender_id)
      AND NOT EXISTS (
        SELECT 1 FROM envelope_recipients r
        WHERE r.envelope_id = e.id AND r.user_id <> e.sender_id AND r.removed_at IS NULL
          AND (e.max_opens IS NULL OR r.opens < e.max_opens))`;
}

export function createEnvelopesRepository(prisma: Prisma) {
  return {
    /**
     * Stores a new envelope, its recipient rows and its pending entries atomically, in one statement
     * (data-modifying CTEs, one round trip), and only if — checked in that same statement — `senderKeyId` is the
     * sender's current key, every recipient's key id is their current key and the sender stays
     * within `quota`. When nothing was written, says why: `Conflict` (id taken), `NotRegistered`,
     * `SenderKeyMismatch`, `RecipientKeyMismatch` naming the first bad entry, or the quota.
     *
     * The quota is read in the same statement as the insert, so concurrent uploads of one sender
     * may each see the usage before the others: the limits can be passed by at most the uploads
     * in flight at once (which the per-user rate limit bounds).
     */
    async create(input: NewEnvelope, quota: QuotaLimits, retried = false): Promise<void> {
      const size = Buffer.byteLength(input.body);
      const dayAgo = new Date(input.receivedAt.getTime() - DAY_MS);
      const recipients = JSON.stringify(
        input.recipients.map((r, position) => ({
          user_id: r.userId,
          key_id: r.keyId,
          wrap_hash: r.wrapHash,
          position,
        })),
      );
      const pending = JSON.stringify(
        (input.pending ?? []).map((p) => ({
          id: p.id,
          name: p.name,
          phone_hash: Buffer.from(p.phoneHash).toString('hex'),
          phone_masked: p.phoneMasked,
        })),
      );
      const rows = await prisma.$queryRaw<{ envelope_id: string }[]>`
        WITH wanted AS (
          SELECT * FROM jsonb_to_recordset(${recipients}::jsonb)
            AS r(user_id text, key_id text, wrap_hash text, position int)
        ),
        usage AS (${usageQuery(input.senderId, input.receivedAt, dayAgo)}),
        keys_ok AS (
          SELECT (SELECT count(*) FROM wanted w JOIN users u ON u.id = w.user_id AND u.current_key_id = w.key_id)
                   = ${input.recipients.length}
             AND EXISTS (SELECT 1 FROM users WHERE id = ${input.senderId} AND current_key_id = ${input.senderKeyId})
             AND (SELECT active < ${quota.activeLetters} AND stored + ${size} <= ${quota.storedBytes}
                         AND today < ${quota.lettersPerDay} FROM usage)
             AS ok
        ),
        e AS (
          INSERT INTO envelopes (id, sender_id, sender_key_id, sender_name, sender_phone_masked,
                                 created_at, expires_at, received_at, body, size, max_opens)
          SELECT ${input.id}, ${input.senderId}, ${input.senderKeyId}, s.name, s.phone_masked,
                 ${input.createdAt}, ${input.expiresAt}, ${input.receivedAt}, ${input.body}, ${size},
                 ${input.maxOpens}::int
          FROM keys_ok JOIN users s ON s.id = ${input.senderId} AND s.name IS NOT NULL
          WHERE keys_ok.ok
          ON CONFLICT (id) DO NOTHING
          RETURNING id
        ),
        p AS (
          INSERT INTO pending_recipients (id, envelope_id, sender_id, name, phone_hash, phone_masked)
          SELECT x.id, e.id, ${input.senderId}, x.name, decode(x.phone_hash, 'hex'), x.phone_masked
          FROM e, jsonb_to_recordset(${pending}::jsonb) AS x(id text, name text, phone_hash text, phone_masked text)
        )
        INSERT INTO envelope_recipients (envelope_id, user_id, key_id, wrap_hash, position)
        SELECT e.id, w.user_id, w.key_id, w.wrap_hash, w.position FROM e, wanted w
        RETURNING envelope_id`;
      if (rows.length > 0) return;

      // Nothing written: find out why (the rare path, so extra queries are fine).
      if ((await prisma.envelope.count({ where: { id: input.id } })) > 0) {
        throw new MifengError('Conflict', 'an envelope with this id exists');
      }
      const ids = [...new Set([input.senderId, ...input.recipients.map((r) => r.userId)])];
      const current = new Map(
        (
          await prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, currentKeyId: true } })
        ).map((u) => [u.id, u.currentKeyId]),
      );
      const senderKey = current.get(input.senderId);
      if (!senderKey) throw new MifengError('NotRegistered');
      if (senderKey !== input.senderKeyId) throw new MifengError('SenderKeyMismatch');
      const bad = input.recipients.findIndex((r) => current.get(r.userId) !== r.keyId);
      if (bad >= 0) throw new MifengError('RecipientKeyMismatch', `recipients/${bad}`);
      const [usage] = await prisma.$queryRaw<
        Usage[]
      >`${usageQuery(input.senderId, input.receivedAt, dayAgo)}`;
      const over = quotaExceeded(usage!, size, quota);
      if (over) throw new MifengError(over);
      // Everything holds now: a letter expired or was revoked in between and freed the quota.
      if (retried) throw new MifengError('Conflict', 'the letter could not be stored; send it again');
      return this.create(input, quota, true);
    },

    /**
     * Reads an envelope for `readerId` (its sender or a listed recipient who has not removed it;
     * anyone else gets `not_found`, the same as a missing id). The lookup, the state check, the
     * recording of a recipient's first delivery and — for a limited letter — the counting of an
     * open are one statement, so one snapshot: the body is handed to a recipient exactly when their
     * row was updated, never for a letter revoked or expired as seen by this read, and of two reads
     * racing for a last open the second finds `opens < max_opens` false once the first committed
     * (PostgreSQL re-checks the condition on the updated row). The open that uses up a version 3
     * letter's last open also purges the reader's wrap from the stored body in that statement: the
     * reader is handed the body as it was, with their wrap, and nobody is handed it again. Whether
     * it was opened is the recipient's app's to say (`confirmOpened`).
     */
    async read(id: string, readerId: string, now: Date): Promise<ReadResult> {
      const [row] = await prisma.$queryRaw<ReadRow[]>`
        WITH target AS (
          SELECT e.sender_id, e.sender_key_id, e.expires_at, e.revoked_at, e.burned_at,
                 ${servedBodySql(readerId)} AS body,
                 e.sender_name, e.sender_phone_masked, e.max_opens,
                 (r.user_id IS NOT NULL AND r.removed_at IS NULL) AS is_recipient, r.opens
          FROM envelopes e
          LEFT JOIN envelope_recipients r ON r.envelope_id = e.id AND r.user_id = ${readerId}
          WHERE e.id = ${id} AND (e.sender_id <> ${readerId} OR e.sender_removed_at IS NULL)
        ),
        counted AS (
          UPDATE envelope_recipients r
          SET delivered_at = COALESCE(r.delivered_at, ${now}),
              opens = r.opens + (CASE WHEN e.max_opens IS NULL THEN 0 ELSE 1 END)
          FROM envelopes e
          WHERE r.envelope_id = ${id} AND r.user_id = ${readerId} AND e.id = r.envelope_id
            AND e.sender_id <> ${readerId} AND r.removed_at IS NULL
            AND e.body IS NOT NULL AND e.revoked_at IS NULL
            AND (e.expires_at IS NULL OR e.expires_at > ${now})
            AND (CASE WHEN e.max_opens IS NULL THEN r.delivered_at IS NULL ELSE r.opens < e.max_opens END)
          RETURNING r.opens
        ),
        purged AS (
          UPDATE envelopes e SET body = ${purgeWrapSql}
          FROM envelope_recipients r, counted c
          WHERE e.id = ${id} AND r.envelope_id = e.id AND r.user_id = ${readerId}
            AND c.opens >= e.max_opens AND ${holdsWrapSql}
        )
        SELECT t.*, (SELECT opens FROM counted) AS counted FROM target t`;
      if (!row) return { kind: 'not_found' };
      const isSender = row.sender_id === readerId;
      if (!isSender && !row.is_recipient) return { kind: 'not_found' };
      const limited = !isSender && row.max_opens !== null;
      // Said before the state: their last open may well be what burned it.
      if (limited && (row.opens ?? 0) >= row.max_opens!) return { kind: 'opens_used' };
      const state = rowState(row, now);
      if (state !== ENVELOPE_STATE.ACTIVE) return { kind: state };
      // Not counted with a body there: the opens were used, perhaps by a read that won the race.
      if (limited && row.counted === null) {
        return row.body === null ? { kind: ENVELOPE_STATE.EXPIRED } : { kind: 'opens_used' };
      }
      // A purged body belongs to an expired or revoked letter whose grace period is over.
      if (row.body === null) return { kind: ENVELOPE_STATE.EXPIRED };
      if (limited && row.counted! >= row.max_opens!) await burnIfDone(prisma, [id], now);

      const result: ReadResult = {
        kind: 'ok',
        body: row.body,
        senderId: row.sender_id,
        senderName: row.sender_name,
        senderPhoneMasked: row.sender_phone_masked,
        senderKeyId: row.sender_key_id,
        isSender,
        ...(limited ? { reads: { maxOpens: row.max_opens!, opensLeft: row.max_opens! - row.counted! } } : {}),
      };
      if (isSender) {
        const handed = await prisma.envelopeRecipient.findMany({
          where: { envelopeId: id, deliveredAt: { not: null }, userId: { not: readerId } },
          orderBy: [{ openedAt: 'asc' }, { deliveredAt: 'asc' }, { position: 'asc' }],
          select: { userId: true, deliveredAt: true, openedAt: true, user: { select: { name: true } } },
        });
        const entry = (o: (typeof handed)[number], at: Date) => ({
          user: o.userId,
          name: o.user.name ?? '',
          at: at.toISOString(),
        });
        result.opens = handed.filter((o) => o.openedAt).map((o) => entry(o, o.openedAt!));
        result.deliveries = handed.filter((o) => !o.openedAt).map((o) => entry(o, o.deliveredAt!));
      }
      return result;
    },

    /**
     * A page of the inbox (addressed to me by others, not removed by me) or the sent box (not
     * removed by me), newest first. In the sent box each recipient who can no longer fetch the
     * letter says why (`status`); in the inbox, `opensLeft` is the reader's own.
     */
    async list(
      box: 'inbox' | 'sent',
      userId: string,
      cursor: string | undefined,
      now: Date,
    ): Promise<{ items: EnvelopeSummary[]; nextCursor: string | null }> {
      const after = cursor ? decodeCursor(cursor) : null;
      const rows = await prisma.envelope.findMany({
        where: {
          ...(box === 'sent'
            ? { senderId: userId, senderRemovedAt: null }
            : { recipients: { some: { userId, removedAt: null } }, senderId: { not: userId } }),
          ...(after
            ? {
                OR: [
                  { createdAt: { lt: after.createdAt } },
                  { createdAt: after.createdAt, id: { lt: after.id } },
                ],
              }
            : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: ENVELOPE_PAGE_SIZE + 1,
        select: {
          id: true,
          senderId: true,
          createdAt: true,
          expiresAt: true,
          revokedAt: true,
          burnedAt: true,
          maxOpens: true,
          senderName: true,
          senderPhoneMasked: true,
          recipients: {
            orderBy: { position: 'asc' },
            select: { userId: true, opens: true, removedAt: true, user: { select: { name: true } } },
          },
        },
      });
      const page = rows.slice(0, ENVELOPE_PAGE_SIZE);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => {
          const mine = r.recipients.find((p) => p.userId === userId);
          const statusOf = (p: (typeof r.recipients)[number]) => {
            if (box !== 'sent' || p.userId === userId) return {};
            if (p.removedAt) return { status: RECIPIENT_STATUS.REMOVED };
            if (r.maxOpens !== null && p.opens >= r.maxOpens) return { status: RECIPIENT_STATUS.OPENS_USED };
            return {};
          };
          return {
            id: r.id,
            sender: { user: r.senderId, name: r.senderName, phoneMasked: r.senderPhoneMasked },
            recipients: r.recipients.map((p) => ({
              user: p.userId,
              name: p.user.name ?? '',
              ...statusOf(p),
            })),
            createdAt: r.createdAt.toISOString(),
            expiresAt: r.expiresAt ? r.expiresAt.toISOString() : null,
            state: envelopeState(r, now),
            maxOpens: r.maxOpens,
            opensLeft: box === 'inbox' && mine ? opensLeft(r.maxOpens, mine.opens) : null,
          };
        }),
        nextCursor: rows.length > ENVELOPE_PAGE_SIZE && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },

    /**
     * Records that recipient `readerId`'s app decrypted letter `id` (the first time counts; again
     * is a no-op). Only a listed recipient other than the sender who has not removed it, only
     * while the letter is active — or burned after it was handed to them (their last open burns
     * it before their app can confirm) — and in one statement with that check. A confirmation
     * implies the delivery. `first` when this call recorded the open (the sender may be told),
     * `ok` when it was recorded before.
     */
    async confirmOpened(
      id: string,
      readerId: string,
      now: Date,
    ): Promise<'first' | 'ok' | 'not_found' | ClosedEnvelopeState> {
      const [row] = await prisma.$queryRaw<
        (Pick<ReadRow, 'expires_at' | 'revoked_at' | 'burned_at' | 'body'> & {
          handed: boolean;
          sender_id: string;
          opened_at: Date | string | null;
        })[]
      >`
        WITH target AS (
          SELECT e.expires_at, e.revoked_at, e.burned_at, e.body, (r.delivered_at IS NOT NULL) AS handed,
                 e.sender_id, r.opened_at
          FROM envelopes e
          JOIN envelope_recipients r ON r.envelope_id = e.id AND r.user_id = ${readerId}
          WHERE e.id = ${id} AND e.sender_id <> ${readerId} AND r.removed_at IS NULL
        ),
        opened AS (
          UPDATE envelope_recipients r
          SET opened_at = COALESCE(r.opened_at, ${now}), delivered_at = COALESCE(r.delivered_at, ${now})
          FROM target t
          WHERE r.envelope_id = ${id} AND r.user_id = ${readerId}
            AND (t.body IS NOT NULL OR (t.burned_at IS NOT NULL AND t.handed)) AND t.revoked_at IS NULL
            AND (t.expires_at IS NULL OR t.expires_at > ${now})
          RETURNING r.opened_at
        )
        SELECT * FROM target`;
      if (!row) return 'not_found';
      const state = envelopeState(
        { revokedAt: toDate(row.revoked_at), expiresAt: toDate(row.expires_at) },
        now,
      );
      if (state !== ENVELOPE_STATE.ACTIVE) return state;
      if (row.body !== null || (row.burned_at !== null && row.handed))
        return row.opened_at === null ? 'first' : 'ok';
      return row.burned_at !== null ? ENVELOPE_STATE.BURNED : ENVELOPE_STATE.EXPIRED;
    },

    /**
     * Where `readerId` stands with letter `id` without fetching it (so without using an open):
     * its state, limit and the reader's opens left. Same visibility as `read`.
     */
    async status(id: string, readerId: string, now: Date): Promise<StatusResult> {
      const row = await prisma.envelope.findUnique({
        where: { id },
        select: {
          senderId: true,
          senderName: true,
          senderPhoneMasked: true,
          senderKeyId: true,
          senderRemovedAt: true,
          revokedAt: true,
          expiresAt: true,
          burnedAt: true,
          maxOpens: true,
          recipients: { where: { userId: readerId }, select: { opens: true, removedAt: true } },
        },
      });
      if (!row) return { kind: 'not_found' };
      const isSender = row.senderId === readerId;
      const mine = row.recipients[0];
      if (isSender ? row.senderRemovedAt !== null : !mine || mine.removedAt !== null)
        return { kind: 'not_found' };
      return {
        kind: 'ok',
        state: envelopeState(row, now),
        maxOpens: row.maxOpens,
        opensLeft: isSender || !mine ? null : opensLeft(row.maxOpens, mine.opens),
        senderId: row.senderId,
        senderName: row.senderName,
        senderPhoneMasked: row.senderPhoneMasked,
        senderKeyId: row.senderKeyId,
      };
    },

    /**
     * Removes letter `id` from `userId`'s box. Its sender may remove it once it is closed (revoked,
     * expired or burned; `NotClosed` while active): the body goes at once and it leaves the sent
     * box. A recipient may remove it at any time: it leaves their inbox, is never handed to them
     * again, their wrap of a version 3 letter is purged in the same statement, and the body goes
     * once no other recipient can fetch it. Idempotent; false when `userId` is neither.
     */
    async remove(id: string, userId: string, now: Date): Promise<boolean> {
      const row = await prisma.envelope.findUnique({
        where: { id },
        select: {
          senderId: true,
          revokedAt: true,
          expiresAt: true,
          burnedAt: true,
          recipients: { where: { userId }, select: { userId: true } },
        },
      });
      if (!row) return false;
      if (row.senderId === userId) {
        if (envelopeState(row, now) === ENVELOPE_STATE.ACTIVE) throw new MifengError('NotClosed');
        await prisma.$executeRaw`
          UPDATE envelopes SET sender_removed_at = COALESCE(sender_removed_at, ${now}), body = NULL,
                 purged_at = COALESCE(purged_at, ${now})
          WHERE id = ${id} AND sender_id = ${userId}`;
        return true;
      }
      if (row.recipients.length === 0) return false;
      await prisma.$executeRaw`
        WITH removed AS (
          UPDATE envelope_recipients SET removed_at = ${now}
          WHERE envelope_id = ${id} AND user_id = ${userId} AND removed_at IS NULL
        )
        UPDATE envelopes e SET body = ${purgeWrapSql}
        FROM envelope_recipients r
        WHERE e.id = ${id} AND r.envelope_id = e.id AND r.user_id = ${userId} AND ${holdsWrapSql}`;
      await burnIfDone(prisma, [id], now);
      return true;
    },

    /** Who sent `id`, or null when there is no such envelope. */
    async senderOf(id: string): Promise<string | null> {
      const row = await prisma.envelope.findUnique({ where: { id }, select: { senderId: true } });
      return row?.senderId ?? null;
    },

    /**
     * Revokes the sender's envelope (idempotent) with the copies sealed again from it for people
     * who registered later: to the sender they are one letter. False when `senderId` did not send `id`.
     */
    async revoke(id: string, senderId: string, now: Date): Promise<boolean> {
      const copies = await prisma.pendingRecipient.findMany({
        where: { envelopeId: id, senderId, deliveredEnvelopeId: { not: null } },
        select: { deliveredEnvelopeId: true },
      });
      const ids = [id, ...copies.map((copy) => copy.deliveredEnvelopeId!)];
      const { count } = await prisma.envelope.updateMany({
        where: { id: { in: ids }, senderId, revokedAt: null },
        data: { revokedAt: now },
      });
      if (count > 0) return true;
      return (await prisma.envelope.count({ where: { id, senderId } })) > 0;
    },

    /**
     * Purges envelopes expired or revoked before `cutoff`: drops the body, sets `purgedAt`, keeps
     * the row. One statement per batch; rows another instance is purging are skipped (SKIP LOCKED)
     * and `purged_at IS NULL` is re-checked under the row lock, so each envelope is purged once.
     * Returns the ids purged by this call.
     */
    async purge(cutoff: Date, now: Date, batchSize = 500): Promise<string[]> {
      const purged: string[] = [];
      for (;;) {
        // A closed letter's pending entries go with its body, so no phone hash outlives the letter.
        const rows = await prisma.$queryRaw<{ id: string }[]>`
          WITH purged AS (
            UPDATE envelopes SET body = NULL, purged_at = ${now}
            WHERE id IN (
              SELECT id FROM envelopes
              WHERE purged_at IS NULL
                AND ((revoked_at IS NOT NULL AND revoked_at <= ${cutoff})
                  OR (expires_at IS NOT NULL AND expires_at <= ${cutoff}))
              ORDER BY id
              LIMIT ${batchSize}
              FOR UPDATE SKIP LOCKED
            )
            AND purged_at IS NULL
            RETURNING id
          ),
          dropped AS (DELETE FROM pending_recipients WHERE envelope_id IN (SELECT id FROM purged))
          SELECT id FROM purged`;
        for (const r of rows) purged.push(r.id);
        if (rows.length < batchSize) return purged;
      }
    },
  };
}

export default fp(
  async (fastify) => {
    fastify.decorate('envelopesRepository', createEnvelopesRepository(fastify.prisma));
  },
  { name: 'envelopes-repository', dependencies: ['prisma'] },
);
