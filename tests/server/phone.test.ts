/**
 * Phone numbers on the server: the normal form, the mask (last four digits only), the peppered
 * HMAC-SM3 (checked against OpenSSL's through node:crypto, so numbers hashed before the move to
 * shared/crypto still match), and the migration that rewrites masks stored in the older form.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MIGRATIONS_DIR } from '../../server/db/migrations';
import { maskPhone, normalizePhone, phoneFromWeChat } from '../../server/phone';
import { phoneHash } from '../../server/plugins/app/phones';
import { forEachDatabase, useDatabase } from './databases';

describe('normalizePhone()', () => {
  it('gives one E.164 form for the ways a number is typed', () => {
    for (const typed of [
      '138 0013 8000',
      '+86 138-0013-8000',
      '0086 13800138000',
      '8613800138000',
      '(138)00138000',
    ])
      assert.equal(normalizePhone(typed), '+8613800138000', typed);
    assert.equal(normalizePhone('+44 7700 900123'), '+447700900123');
    assert.equal(phoneFromWeChat('86', '13800138000'), '+8613800138000');
  });

  it('rejects invalid inputs', () => {
    for (const bad of [
      '',
      '12345',
      '+0123456789',
      '+8612345',
      '2380013800',
      '+1234567890123456',
      'x'.repeat(65),
    ])
      assert.equal(normalizePhone(bad), null, bad);
    assert.equal(normalizePhone(42 as unknown as string), null);
  });
});

describe('maskPhone()', () => {
  it('keeps the last four digits and nothing else', () => {
    assert.equal(maskPhone('+8613800138000'), '*******8000');
    assert.equal(maskPhone('+447700900123'), '+********0123');
    assert.equal(maskPhone('+12025550143'), '+*******0143');
    for (const e164 of ['+8613800138000', '+447700900123', '+12025550143', '+4930123456']) {
      const digits = maskPhone(e164).replace(/\D/g, '');
      assert.equal(digits, e164.slice(-4), `${e164}: only the last four digits remain`);
    }
  });
});

describe('phoneHash()', () => {
  it('is HMAC-SM3 of the E.164 form under the pepper, as OpenSSL computes it', () => {
    const pepper = 'a pepper of at least thirty-two characters, 密钥';
    for (const e164 of ['+8613800138000', '+447700900123']) {
      const openssl = new Uint8Array(createHmac('sm3', pepper).update(e164, 'utf8').digest());
      assert.deepEqual(phoneHash(pepper, e164), openssl);
    }
  });
});

forEachDatabase((target) => {
  describe('migration mask_phone_last_four', () => {
    const db = useDatabase(target);

    it('rewrites masks stored in the older form to what maskPhone gives now', async () => {
      const folder = (await readdir(MIGRATIONS_DIR)).find((name) => name.endsWith('_mask_phone_last_four'));
      assert.ok(folder, 'the migration exists');
      const sql = await readFile(join(MIGRATIONS_DIR, folder, 'migration.sql'), 'utf8');
      const old = [
        { e164: '+8613800138000', mask: '138****8000' },
        { e164: '+447700900123', mask: '+447*****0123' },
        { e164: '+12025550143', mask: '+120****0143' },
      ];
      const prisma = db().prisma;
      for (const [i, { mask }] of old.entries())
        await prisma.user.create({ data: { id: `user-${i}`, openid: `openid-${i}`, phoneMasked: mask } });
      await prisma.user.create({ data: { id: 'no-phone', openid: 'openid-none' } });
      // The migration's SQL, run on rows written in the older form.
      await prisma.$executeRawUnsafe(sql);
      for (const [i, { e164 }] of old.entries()) {
        const row = await prisma.user.findUniqueOrThrow({ where: { id: `user-${i}` } });
        assert.equal(row.phoneMasked, maskPhone(e164));
      }
      assert.equal((await prisma.user.findUniqueOrThrow({ where: { id: 'no-phone' } })).phoneMasked, null);
    });
  });
});
