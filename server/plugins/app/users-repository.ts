/**
 * `fastify.usersRepository`: every query about users and their keys.
 *
 * Phone numbers arrive here already normalized and hashed (HMAC-SM3 with PHONE_PEPPER); the number
 * itself never reaches the database. Public keys are kept after rotation (`retiredAt` set), so
 * envelopes signed with an older key still verify.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { User } from '../../../shared/api/common';
import { base64urlEncode } from '../../../shared/encoding';
import { MifengError } from '../../../shared/errors';
import type { KeyBackup } from '../../../shared/protocol';
import { appendLogLeaf } from './transparency-log';

/** A user row in the shape routes need. */
export interface UserRecord {
  id: string;
  name: string | null;
  phoneMasked: string | null;
  hasPhone: boolean;
  currentKeyId: string | null;
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

const userSelect = { id: true, name: true, phoneMasked: true, phoneHash: true, currentKeyId: true } as const;

function toRecord(row: {
  id: string;
  name: string | null;
  phoneMasked: string | null;
  phoneHash: Uint8Array | null;
  currentKeyId: string | null;
}): UserRecord {
  return {
    id: row.id,
    name: row.name,
    phoneMasked: row.phoneMasked,
    hasPhone: row.phoneHash !== null,
    currentKeyId: row.currentKeyId,
  };
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
     * Sets the name and the current key. A new key retires the previous one (kept for old
     * signatures); the same key again just replaces its backup (a changed master key).
     */
    async setKeys(
      id: string,
      input: { name: string; keyId: string; publicKey: Uint8Array; backup: KeyBackup },
    ): Promise<UserRecord> {
      return prisma.$transaction(async (tx) => {
        const user = await tx.user.findUnique({ where: { id }, select: userSelect });
        if (!user) throw new MifengError('Unauthorized');
        if (!user.phoneHash) throw new MifengError('PhoneRequired');
        const existing = await tx.userKey.findUnique({
          where: { keyId: input.keyId },
          select: { userId: true },
        });
        if (existing && existing.userId !== id)
          throw new MifengError('Conflict', 'this public key belongs to another user');
        const now = new Date();
        if (user.currentKeyId !== input.keyId) {
          // A key becomes current only with its event in the log, in this same transaction. A
          // replacement without a statement signed by the previous key is logged as a reset.
          await appendLogLeaf(tx, {
            userId: id,
            publicKey: base64urlEncode(input.publicKey),
            keyId: input.keyId,
            kind: user.currentKeyId ? 'reset' : 'register',
            time: now.toISOString(),
          });
        }
        if (existing) {
          await tx.userKey.update({
            where: { keyId: input.keyId },
            data: { backup: input.backup, retiredAt: null },
          });
        } else {
          await tx.userKey.create({
            data: {
              keyId: input.keyId,
              userId: id,
              publicKey: Uint8Array.from(input.publicKey),
              backup: input.backup,
            },
          });
        }
        if (user.currentKeyId && user.currentKeyId !== input.keyId) {
          await tx.userKey.update({ where: { keyId: user.currentKeyId }, data: { retiredAt: now } });
        }
        return toRecord(
          await tx.user.update({
            where: { id },
            data: { name: input.name, currentKeyId: input.keyId },
            select: userSelect,
          }),
        );
      });
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
        { id: string; name: string | null; key_id: string | null; public_key: Uint8Array | null }[]
      >`
        SELECT u.id, u.name, k.key_id, k.public_key
        FROM users u LEFT JOIN user_keys k ON k.key_id = u.current_key_id
        WHERE u.phone_hash = ${Uint8Array.from(phoneHash)}`;
      if (!row) return null;
      return {
        id: row.id,
        name: row.name,
        keyId: row.key_id,
        publicKey: row.public_key ? new Uint8Array(row.public_key) : null,
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
