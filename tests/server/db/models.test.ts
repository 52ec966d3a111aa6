import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Prisma } from '../../../server/generated/prisma/client';
import { forEachDatabase, useDatabase } from '../databases';

/** 22-char base64url id of 16 random bytes, as the server makes them. */
const newId = () => randomBytes(16).toString('base64url');

function userFixture(overrides: Partial<Prisma.UserCreateInput> = {}): Prisma.UserCreateInput {
  return { id: newId(), openid: `o_${newId()}`, ...overrides };
}

forEachDatabase((target) => {
  const db = useDatabase(target);

  describe('User', () => {
    it('round-trips every field, nullable ones unset and set', async () => {
      const { prisma } = db();
      const bare = await prisma.user.create({ data: userFixture() });
      assert.equal(bare.name, null);
      assert.equal(bare.phoneHash, null);
      assert.equal(bare.phoneMasked, null);
      assert.equal(bare.currentKeyId, null);
      assert.ok(bare.createdAt instanceof Date);

      const phoneHash = new Uint8Array(randomBytes(32));
      const full = await prisma.user.update({
        where: { id: bare.id },
        data: { name: '李雷', phoneHash, phoneMasked: '138****8000', currentKeyId: newId() },
      });
      const read = await prisma.user.findUniqueOrThrow({ where: { phoneHash } });
      assert.deepEqual(read, full);
      assert.deepEqual(new Uint8Array(read.phoneHash!), phoneHash);
      assert.equal(read.name, '李雷');
      assert.ok(read.updatedAt >= read.createdAt);
    });

    it('keeps openid, phoneHash and currentKeyId unique', async () => {
      const { prisma } = db();
      const phoneHash = new Uint8Array(randomBytes(32));
      const first = await prisma.user.create({ data: userFixture({ phoneHash }) });
      await assert.rejects(prisma.user.create({ data: userFixture({ openid: first.openid }) }), {
        code: 'P2002',
      });
      await assert.rejects(prisma.user.create({ data: userFixture({ phoneHash }) }), { code: 'P2002' });
    });
  });

  describe('UserKey', () => {
    it('round-trips the public key bytes and the JSON backup, and keeps retired keys', async () => {
      const { prisma } = db();
      const user = await prisma.user.create({ data: userFixture() });
      const publicKey = new Uint8Array(randomBytes(65));
      const backup = {
        v: 1,
        kdf: { name: 'pbkdf2-sm3', iterations: 100000, salt: 'c2FsdA' },
        sealed: 'AAEC',
      };
      const old = await prisma.userKey.create({
        data: { keyId: newId(), userId: user.id, publicKey, backup },
      });
      await prisma.userKey.update({ where: { keyId: old.keyId }, data: { retiredAt: new Date() } });
      const current = await prisma.userKey.create({
        data: { keyId: newId(), userId: user.id, publicKey: new Uint8Array(65), backup },
      });
      await prisma.user.update({ where: { id: user.id }, data: { currentKeyId: current.keyId } });

      const keys = await prisma.userKey.findMany({
        where: { userId: user.id },
        orderBy: { createdAt: 'asc' },
      });
      assert.equal(keys.length, 2);
      const oldRead = keys.find((k) => k.keyId === old.keyId)!;
      assert.deepEqual(new Uint8Array(oldRead.publicKey), publicKey);
      assert.deepEqual(oldRead.backup, backup);
      assert.ok(oldRead.retiredAt instanceof Date);
      assert.equal(keys.find((k) => k.keyId === current.keyId)!.retiredAt, null);
    });

    it('refuses a key for a user that does not exist', async () => {
      const { prisma } = db();
      await assert.rejects(
        prisma.userKey.create({
          data: { keyId: newId(), userId: newId(), publicKey: new Uint8Array(1), backup: {} },
        }),
        { code: 'P2003' },
      );
    });
  });

  describe('Envelope and EnvelopeRecipient', () => {
    it('round-trips an envelope with recipients, then purges it to a tombstone', async () => {
      const { prisma } = db();
      const [sender, alice, bob] = await Promise.all(
        [1, 2, 3].map(() => prisma.user.create({ data: userFixture() })),
      );
      const body = JSON.stringify({ v: 1, id: newId(), ct: 'AAEC', note: '密封 ✉' });
      const createdAt = new Date('2026-11-24T10:00:00.123Z');
      const expiresAt = new Date('2026-12-01T10:00:00.000Z');
      const id = newId();
      await prisma.envelope.create({
        data: {
          id,
          senderId: sender!.id,
          senderKeyId: newId(),
          senderName: 'Alice',
          createdAt,
          expiresAt,
          body,
          size: Buffer.byteLength(body),
          recipients: {
            create: [
              { userId: alice!.id, keyId: newId(), position: 0 },
              { userId: bob!.id, keyId: newId(), position: 1 },
            ],
          },
        },
      });

      const read = await prisma.envelope.findUniqueOrThrow({
        where: { id },
        include: { recipients: { orderBy: { position: 'asc' } } },
      });
      assert.equal(read.body, body, 'body comes back byte for byte');
      assert.equal(read.size, Buffer.byteLength(body));
      assert.equal(read.createdAt.toISOString(), createdAt.toISOString(), 'millisecond precision kept');
      assert.equal(read.expiresAt?.toISOString(), expiresAt.toISOString());
      assert.ok(read.receivedAt instanceof Date);
      assert.equal(read.revokedAt, null);
      assert.equal(read.purgedAt, null);
      assert.deepEqual(
        read.recipients.map((r) => [r.userId, r.position, r.openedAt]),
        [
          [alice!.id, 0, null],
          [bob!.id, 1, null],
        ],
      );

      const openedAt = new Date();
      await prisma.envelopeRecipient.update({
        where: { envelopeId_userId: { envelopeId: id, userId: bob!.id } },
        data: { openedAt },
      });
      const inbox = await prisma.envelopeRecipient.findMany({
        where: { userId: bob!.id },
        include: { envelope: true },
      });
      assert.equal(inbox.length, 1);
      assert.equal(inbox[0]!.openedAt?.getTime(), openedAt.getTime());

      await prisma.envelope.update({
        where: { id },
        data: { revokedAt: new Date(), purgedAt: new Date(), body: null },
      });
      const tombstone = await prisma.envelope.findUniqueOrThrow({
        where: { id },
        include: { recipients: true },
      });
      assert.equal(tombstone.body, null);
      assert.equal(tombstone.recipients.length, 2, 'recipients survive the purge');
    });

    it('allows a permanent envelope (no expiry), rejects a duplicate id and a duplicate recipient', async () => {
      const { prisma } = db();
      const [sender, alice] = await Promise.all(
        [1, 2].map(() => prisma.user.create({ data: userFixture() })),
      );
      const data = {
        id: newId(),
        senderId: sender!.id,
        senderKeyId: newId(),
        senderName: 'Alice',
        createdAt: new Date(),
        body: '{}',
        size: 2,
      };
      const permanent = await prisma.envelope.create({ data });
      assert.equal(permanent.expiresAt, null);
      await assert.rejects(prisma.envelope.create({ data }), { code: 'P2002' });
      await prisma.envelopeRecipient.create({
        data: { envelopeId: data.id, userId: alice!.id, keyId: newId(), position: 0 },
      });
      await assert.rejects(
        prisma.envelopeRecipient.create({
          data: { envelopeId: data.id, userId: alice!.id, keyId: newId(), position: 1 },
        }),
        { code: 'P2002' },
      );
    });

    it('deletes recipients with their envelope, and all of a transaction or none of it', async () => {
      const { prisma } = db();
      const [sender, alice] = await Promise.all(
        [1, 2].map(() => prisma.user.create({ data: userFixture() })),
      );
      const id = newId();
      await prisma.envelope.create({
        data: {
          id,
          senderId: sender!.id,
          senderKeyId: newId(),
          senderName: 'Alice',
          createdAt: new Date(),
          body: '{}',
          size: 2,
          recipients: { create: [{ userId: alice!.id, keyId: newId(), position: 0 }] },
        },
      });
      await prisma.envelope.delete({ where: { id } });
      assert.equal(await prisma.envelopeRecipient.count({ where: { envelopeId: id } }), 0);

      const lost = newId();
      await assert.rejects(
        prisma.$transaction(async (tx) => {
          await tx.envelope.create({
            data: {
              id: lost,
              senderId: sender!.id,
              senderKeyId: newId(),
              senderName: 'Alice',
              createdAt: new Date(),
              body: '{}',
              size: 2,
            },
          });
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await prisma.envelope.count({ where: { id: lost } }), 0);
    });
  });
});
