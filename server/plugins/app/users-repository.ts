/**
 * `fastify.usersRepository`: every query about users, their keys, key history, backups and
 * contact books.
 *
 * Phone numbers arrive here already normalized and hashed (HMAC-SM3 with PHONE_PEPPER); the number
 * itself never reaches the database. Public keys are kept after rotation (`retiredAt` set), so
 * envelopes signed with an older key still verify; every backup is kept, so they still open; every
 * event that made a key current is kept with its statement, so phones can check the chain.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { User } from '../../../shared/api/common';
import { KEY_EVENT, type KeyEventKind, type KeyHistory, MAX_KEY_HISTORY } from '../../../shared/api/keys';
import type { BackupRecord, ContactBook } from '../../../shared/api/me';
import { base64urlEncode } from '../../../shared/encoding';
import { MifengError } from '../../../shared/errors';
import type { KeyBackup, KeyChange } from '../../../shared/protocol';
import { sql } from '../external/prisma';
import { burnIfDone, purgeWraps } from './envelopes-repository';
import { appendLogLeaf } from './transparency-log';

/** A user row in the shape routes need. */
export interface UserRecord {
  id: string;
  name: string | null;
  phoneMasked: string | null;
  hasPhone: boolean;
  currentKeyId: string | null;
  /** Tokens issued under another version are revoked. */
  tokenVersion: number;
  /** `at` of the last key-change statement accepted. */
  lastStatementAt: Date | null;
}

/** A key row. */
export interface KeyRecord {
  keyId: string;
  userId: string;
  publicKey: Uint8Array;
  backup: KeyBackup;
}

/** What a phone lookup finds: the holder of that phone hash, registered or not. */
export interface PhoneHolder {
  id: string;
  name: string | null;
  keyId: string | null;
  publicKey: Uint8Array | null;
  keyHistory: KeyHistory;
}

/** What `setKeys` records: the key, its backup, and how it became (or stays) current. */
export interface KeyUpdate {
  name: string;
  keyId: string;
  publicKey: Uint8Array;
  backup: KeyBackup;
  /** The statement that vouched for it (null at registration and reset). */
  statement: KeyChange | null;
  /** The history event to record, or null when the key stays the same (new backup or name). */
  event: KeyEventKind | null;
  /** The current key this update replaces (null at registration): compare-and-set. */
  replaces: string | null;
}

/** Whether a user has finished registering: name, phone and a current key. */
export function isRegistered(user: Pick<UserRecord, 'name' | 'hasPhone' | 'currentKeyId'>): boolean {
  return Boolean(user.name && user.hasPhone && user.currentKeyId);
}

/** The API's view of a user. */
export function toApiUser(user: UserRecord): User {
  return {
    id: user.id,
    name: user.name,
    phoneMasked: user.phoneMasked,
    keyId: user.currentKeyId,
    registered: isRegistered(user),
  };
}

/** A fresh user id: base64url of 16 random bytes. */
export function newUserId(): string {
  return randomBytes(16).toString('base64url');
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}

const userSelect = {
  id: true,
  name: true,
  phoneMasked: true,
  phoneHash: true,
  currentKeyId: true,
  tokenVersion: true,
  lastStatementAt: true,
} as const;

function toRecord(row: {
  id: string;
  name: string | null;
  phoneMasked: string | null;
  phoneHash: Uint8Array | null;
  currentKeyId: string | null;
  tokenVersion: number;
  lastStatementAt: Date | null;
}): UserRecord {
  return {
    id: row.id,
    name: row.name,
    phoneMasked: row.phoneMasked,
    hasPhone: row.phoneHash !== null,
    currentKeyId: row.currentKeyId,
    tokenVersion: row.tokenVersion,
    lastStatementAt: row.lastStatementAt,
  };
}

/** A history event as the history subquery returns it (JSON, so timestamps are text). */
interface HistoryRow {
  key_id: string;
  public_key: string;
  kind: KeyEventKind;
  at: string;
  statement: KeyChange | null;
}

/**
 * The newest MAX_KEY_HISTORY events of the user `userId` names, oldest first, as one JSON array:
 * a subquery, so a lookup stays one statement.
 */
function historyQuery(userId: ReturnType<typeof sql> | string) {
  return sql`
    SELECT coalesce(json_agg(h ORDER BY h.id), '[]'::json) FROM (
      SELECT ke.id, ke.key_id, encode(hk.public_key, 'hex') AS public_key, ke.kind, ke.at, ke.statement
      FROM key_events ke JOIN user_keys hk ON hk.key_id = ke.key_id
      WHERE ke.user_id = ${userId}
      ORDER BY ke.id DESC LIMIT ${MAX_KEY_HISTORY}) h`;
}

function toHistory(rows: HistoryRow[] | string): KeyHistory {
  const list: HistoryRow[] = typeof rows === 'string' ? JSON.parse(rows) : rows;
  return list.map((row) => ({
    keyId: row.key_id,
    publicKey: base64urlEncode(Buffer.from(row.public_key, 'hex')),
    kind: row.kind,
    at: new Date(row.at).toISOString(),
    statement: row.kind === KEY_EVENT.SIGNED_CHANGE ? row.statement : null,
  }));
}

declare module 'fastify' {
  interface FastifyInstance {
    usersRepository: ReturnType<typeof createUsersRepository>;
    /** onRequest/preHandler hook (after `authenticate`): 403 `not_registered` until registration is done. */
    requireRegistered(request: FastifyRequest): Promise<void>;
  }
}

type Prisma = import('fastify').FastifyInstance['prisma'];

export function createUsersRepository(prisma: Prisma) {
  return {
    /** The user signed in with this openid, created on first sign-in. */
    async findOrCreateByOpenid(openid: string): Promise<UserRecord> {
      const found = await prisma.user.findUnique({ where: { openid }, select: userSelect });
      if (found) return toRecord(found);
      try {
        return toRecord(await prisma.user.create({ data: { id: newUserId(), openid }, select: userSelect }));
      } catch (err) {
        // Two first sign-ins raced: the other one created the row.
        if (!isUniqueViolation(err)) throw err;
        return toRecord(await prisma.user.findUniqueOrThrow({ where: { openid }, select: userSelect }));
      }
    },

    async findById(id: string): Promise<UserRecord | null> {
      const row = await prisma.user.findUnique({ where: { id }, select: userSelect });
      return row ? toRecord(row) : null;
    },

    /** Sets the phone (hash + masked form); `PhoneTaken` when another account holds it. */
    async setPhone(id: string, phoneHash: Uint8Array, phoneMasked: string): Promise<UserRecord> {
      const hash = Uint8Array.from(phoneHash);
      const holder = await prisma.user.findUnique({ where: { phoneHash: hash }, select: { id: true } });
      if (holder && holder.id !== id) throw new MifengError('PhoneTaken');
      try {
        return toRecord(
          await prisma.user.update({
            where: { id },
            data: { phoneHash: hash, phoneMasked },
            select: userSelect,
          }),
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new MifengError('PhoneTaken');
        throw err;
      }
    },

    /**
     * Sets the name, the current key and its backup, in one transaction: the backup is added to
     * the user's backups (none is ever overwritten), the event (if any) to the key history, a
     * replaced key is retired, and a changed key bumps the token version. `KeyChangeStale` when
     * the current key is no longer `update.replaces` (a concurrent change won).
     */
    async setKeys(id: string, update: KeyUpdate): Promise<UserRecord> {
      return prisma.$transaction(async (tx) => {
        const user = await tx.user.findUnique({ where: { id }, select: userSelect });
        if (!user) throw new MifengError('Unauthorized');
        if (!user.phoneHash) throw new MifengError('PhoneRequired');
        const existing = await tx.userKey.findUnique({
          where: { keyId: update.keyId },
          select: { userId: true },
        });
        if (existing && existing.userId !== id)
          throw new MifengError('Conflict', 'this public key belongs to another user');
        const changed = update.replaces !== update.keyId;
        const switched = await tx.user.updateMany({
          where: { id, currentKeyId: update.replaces },
          data: {
            name: update.name,
            currentKeyId: update.keyId,
            ...(update.statement ? { lastStatementAt: new Date(update.statement.at) } : {}),
            ...(changed && update.replaces ? { tokenVersion: { increment: 1 } } : {}),
          },
        });
        if (switched.count === 0) throw new MifengError('KeyChangeStale', 'your key changed meanwhile');
        const now = new Date();
        if (update.event) {
          // A key becomes current only with its event in the transparency log, in this transaction.
          await appendLogLeaf(tx, {
            userId: id,
            publicKey: base64urlEncode(update.publicKey),
            keyId: update.keyId,
            kind: update.event,
            time: now.toISOString(),
            ...(update.event === KEY_EVENT.SIGNED_CHANGE && update.statement
              ? { statement: update.statement }
              : {}),
          });
        }
        if (existing) {
          await tx.userKey.update({
            where: { keyId: update.keyId },
            data: { backup: update.backup, retiredAt: null },
          });
        } else {
          await tx.userKey.create({
            data: {
              keyId: update.keyId,
              userId: id,
              publicKey: Uint8Array.from(update.publicKey),
              backup: update.backup,
            },
          });
        }
        if (changed && update.replaces) {
          await tx.userKey.update({ where: { keyId: update.replaces }, data: { retiredAt: now } });
        }
        const statement = update.statement ?? undefined;
        await tx.keyBackup.create({
          data: { userId: id, keyId: update.keyId, backup: update.backup, statement, createdAt: now },
        });
        if (update.event) {
          await tx.keyEvent.create({
            data: {
              userId: id,
              keyId: update.keyId,
              kind: update.event,
              statement: update.event === KEY_EVENT.SIGNED_CHANGE ? statement : undefined,
              at: now,
            },
          });
        }
        return toRecord(await tx.user.findUniqueOrThrow({ where: { id }, select: userSelect }));
      });
    },

    /**
     * Deletes the account `id` in one transaction (docs/api.md, account deletion): appends a
     * `delete` tombstone leaf for the current key to the transparency log (which, append-only, keeps
     * the user's earlier leaves); deletes the letters they sent (bodies, recipients and all), their
     * keys, key history, backups and contact book; marks their place in letters they received as
     * removed and purges their wrap from each version 3 one, which burns a letter nobody else can
     * fetch; and keeps the user row as a tombstone with every personal field emptied — name, phone hash and masked phone, and the WeChat openid
     * (replaced by one nobody can sign in with, so the same WeChat account starts afresh) — and the
     * token version bumped, which revokes every session. The phone number is free to register again.
     */
    async deleteAccount(id: string): Promise<void> {
      await prisma.$transaction(async (tx) => {
        // The row lock makes a concurrent key change wait for (and then fail against) the deletion.
        const [user] = await tx.$queryRaw<{ current_key_id: string | null; deleted_at: Date | null }[]>`
          SELECT current_key_id, deleted_at FROM users WHERE id = ${id} FOR UPDATE`;
        if (!user || user.deleted_at) throw new MifengError('Unauthorized');
        const now = new Date();
        if (user.current_key_id) {
          const key = await tx.userKey.findUniqueOrThrow({
            where: { keyId: user.current_key_id },
            select: { publicKey: true },
          });
          await appendLogLeaf(tx, {
            userId: id,
            publicKey: base64urlEncode(new Uint8Array(key.publicKey)),
            keyId: user.current_key_id,
            kind: 'delete',
            time: now.toISOString(),
          });
        }
        await tx.envelope.deleteMany({ where: { senderId: id } });
        const received = await tx.$queryRaw<{ envelope_id: string }[]>`
          UPDATE envelope_recipients SET removed_at = ${now}
          WHERE user_id = ${id} AND removed_at IS NULL
          RETURNING envelope_id`;
        const receivedIds = received.map((r) => r.envelope_id);
        await purgeWraps(tx, receivedIds, id);
        await burnIfDone(tx, receivedIds, now);
        await tx.contactBook.deleteMany({ where: { userId: id } });
        // Pending entries of the letters they sent went with the letters (cascade).
        await tx.notificationGrant.deleteMany({ where: { userId: id } });
        await tx.keyBackup.deleteMany({ where: { userId: id } });
        await tx.keyEvent.deleteMany({ where: { userId: id } });
        await tx.user.update({
          where: { id },
          data: {
            openid: `deleted:${id}`,
            name: null,
            phoneHash: null,
            phoneMasked: null,
            currentKeyId: null,
            lastStatementAt: null,
            tokenVersion: { increment: 1 },
            deletedAt: now,
          },
        });
        await tx.userKey.deleteMany({ where: { userId: id } });
      });
    },

    /** Revokes every token of the user issued so far. */
    async revokeTokens(id: string): Promise<void> {
      await prisma.user.update({ where: { id }, data: { tokenVersion: { increment: 1 } } });
    },

    /** The user's key history (the newest MAX_KEY_HISTORY events, oldest first). */
    async keyHistory(userId: string): Promise<KeyHistory> {
      const [row] = await prisma.$queryRaw<{ history: HistoryRow[] | string }[]>`
        SELECT (${historyQuery(userId)}) AS history`;
      return toHistory(row?.history ?? []);
    },

    /** Every backup the user stored, newest first, with the key each one seals. */
    async backups(userId: string): Promise<BackupRecord[]> {
      const rows = await prisma.keyBackup.findMany({
        where: { userId },
        orderBy: { id: 'desc' },
        select: { keyId: true, backup: true, createdAt: true, key: { select: { publicKey: true } } },
      });
      return rows.map((row) => ({
        keyId: row.keyId,
        publicKey: base64urlEncode(new Uint8Array(row.key.publicKey)),
        backup: row.backup as KeyBackup,
        at: row.createdAt.toISOString(),
      }));
    },

    /** The user's sealed contact book, or no blob and counter 0 before the first write. */
    async contactBook(userId: string): Promise<ContactBook> {
      const row = await prisma.contactBook.findUnique({
        where: { userId },
        select: { blob: true, counter: true },
      });
      return row
        ? { blob: base64urlEncode(new Uint8Array(row.blob)), counter: row.counter }
        : { blob: null, counter: 0 };
    },

    /**
     * Stores the contact book if `counter` is the stored counter plus 1, in one statement
     * (compare-and-set); `ContactsStale` otherwise, the stored one unchanged.
     */
    async putContactBook(userId: string, blob: Uint8Array, counter: number): Promise<void> {
      const bytes = Uint8Array.from(blob);
      // The first write creates the row; any later one updates it only from counter - 1.
      const written =
        counter === 1
          ? await prisma.$executeRaw`
              INSERT INTO contact_books (user_id, blob, counter, updated_at)
              VALUES (${userId}, ${bytes}, 1, now()) ON CONFLICT (user_id) DO NOTHING`
          : await prisma.$executeRaw`
              UPDATE contact_books SET blob = ${bytes}, counter = ${counter}, updated_at = now()
              WHERE user_id = ${userId} AND counter = ${counter - 1}`;
      if (written === 0) {
        const stored = await this.contactBook(userId);
        throw new MifengError(
          'ContactsStale',
          `stored counter is ${stored.counter}, so send ${stored.counter + 1}`,
        );
      }
    },

    /** A key by id (current or retired), or null. */
    async findKey(keyId: string): Promise<KeyRecord | null> {
      const row = await prisma.userKey.findUnique({
        where: { keyId },
        select: { keyId: true, userId: true, publicKey: true, backup: true },
      });
      return row
        ? { ...row, publicKey: new Uint8Array(row.publicKey), backup: row.backup as KeyBackup }
        : null;
    },

    /** The user's current key, or null before registration. */
    async currentKey(userId: string): Promise<KeyRecord | null> {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { currentKeyId: true } });
      return user?.currentKeyId ? this.findKey(user.currentKeyId) : null;
    },

    /**
     * The holder of a phone hash with their current key — one indexed query, whatever the
     * outcome, so lookups that miss and lookups that match take the same path.
     */
    async findByPhoneHash(phoneHash: Uint8Array): Promise<PhoneHolder | null> {
      // Exactly one statement whatever is found (no follow-up relation query), so a phone that is
      // registered and one that is not cost the same.
      const [row] = await prisma.$queryRaw<
        {
          id: string;
          name: string | null;
          key_id: string | null;
          public_key: Uint8Array | null;
          history: HistoryRow[] | string;
        }[]
      >`
        SELECT u.id, u.name, k.key_id, k.public_key, (${historyQuery(sql`u.id`)}) AS history
        FROM users u LEFT JOIN user_keys k ON k.key_id = u.current_key_id
        WHERE u.phone_hash = ${Uint8Array.from(phoneHash)}`;
      if (!row) return null;
      return {
        id: row.id,
        name: row.name,
        keyId: row.key_id,
        publicKey: row.public_key ? new Uint8Array(row.public_key) : null,
        keyHistory: toHistory(row.history),
      };
    },
  };
}

export default fp(
  async (fastify) => {
    const repository = createUsersRepository(fastify.prisma);
    fastify.decorate('usersRepository', repository);
    fastify.decorate('requireRegistered', async (request: FastifyRequest) => {
      const user = await repository.findById(request.userId);
      if (!user) throw new MifengError('Unauthorized');
      if (!isRegistered(user)) throw new MifengError('NotRegistered');
    });
  },
  { name: 'users-repository', dependencies: ['prisma', 'auth'] },
);
