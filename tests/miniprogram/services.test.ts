/**
 * The mini program's services, as built (dist/miniprogram/services), in Node with a `wx` double:
 * link parsing, expiry choices, the master key meter, the QR adapter (decoded back with jsqr) and
 * the error texts.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import jsQR from 'jsqr';
import { buildOnce } from './harness/build';
import { Phone } from './harness/mini-program';
import { RasterCanvas } from './harness/raster-canvas';

const PUBLIC_URL = 'https://mifeng.example';
const ID = 'AbCdEfGhIjKlMnOpQrStUv';

interface Letters {
  idFromQuery(query: Record<string, string>): string | null;
  idFromLetterUrl(url: string): string | null;
  letterUrl(id: string): string;
  expiryDate(option: string, now: Date, customDay?: string): Date | null | undefined;
  customDateRange(now: Date): { start: string; end: string };
}
interface Strength {
  masterKeyStrength(key: string): { score: number; verdict: string; acceptable: boolean };
}
interface Qr {
  drawQr(canvas: RasterCanvas, text: string, cssSize: number, ratio: number): Promise<void>;
  LegacyContextAdapter: new (ctx: unknown) => { draw(reserve?: boolean, cb?: () => void): void };
}
interface I18n {
  errorText(err: unknown): string;
  t(key: string, vars?: Record<string, string>): string;
  setLocale(locale: 'zh' | 'en'): void;
}

describe('services', () => {
  let phone: Phone;
  before(async () => {
    await buildOnce();
    phone = new Phone({ apiBaseUrl: 'http://127.0.0.1:9', publicUrl: PUBLIC_URL });
  });

  describe('letters: which letter a page was opened with', () => {
    it('accepts an id, or a q= link of exactly PUBLIC_URL/s/<id>, decoded once', () => {
      const letters = phone.module<Letters>('services/letters/index.js');
      assert.equal(letters.idFromQuery({ id: ID }), ID);
      assert.equal(
        letters.idFromQuery({ q: encodeURIComponent(`${PUBLIC_URL}/s/${ID}`), scancode_time: '1' }),
        ID,
      );
      assert.equal(letters.letterUrl(ID), `${PUBLIC_URL}/s/${ID}`);
    });

    it('rejects invalid inputs: other hosts, other paths, extra parts, double encoding, bad ids', () => {
      const letters = phone.module<Letters>('services/letters/index.js');
      const refused: Record<string, string>[] = [
        { q: encodeURIComponent(`https://evil.example/s/${ID}`) },
        { q: encodeURIComponent(`${PUBLIC_URL}.evil.example/s/${ID}`) },
        { q: encodeURIComponent(`${PUBLIC_URL}/x/${ID}`) },
        { q: encodeURIComponent(`${PUBLIC_URL}/s/${ID}?x=1`) },
        { q: encodeURIComponent(`${PUBLIC_URL}/s/${ID}/`) },
        { q: encodeURIComponent(encodeURIComponent(`${PUBLIC_URL}/s/${ID}`)) },
        { q: '%E0%A4%A' },
        { id: `${ID}x` },
        { id: '../../me' },
        {},
      ];
      for (const query of refused) assert.equal(letters.idFromQuery(query), null, JSON.stringify(query));
      assert.equal(letters.idFromLetterUrl(`http://mifeng.example/s/${ID}`), null, 'http is not https');
    });
  });

  describe('letters: expiry', () => {
    it('gives exact lifetimes, null for permanent, and the end of a custom future day', () => {
      const letters = phone.module<Letters>('services/letters/index.js');
      const now = new Date(2026, 0, 10, 9, 30);
      const day = 86_400_000;
      assert.equal(letters.expiryDate('THREE_DAYS', now)!.getTime() - now.getTime(), 3 * day);
      assert.equal(letters.expiryDate('ONE_WEEK', now)!.getTime() - now.getTime(), 7 * day);
      assert.equal(letters.expiryDate('ONE_MONTH', now)!.getTime() - now.getTime(), 30 * day);
      assert.equal(letters.expiryDate('PERMANENT', now), null);
      const custom = letters.expiryDate('CUSTOM', now, '2026-02-01')!;
      assert.deepEqual([custom.getMonth(), custom.getDate(), custom.getHours()], [1, 1, 23]);
    });

    it('rejects invalid inputs: past days, today once over, beyond the server maximum, nonsense', () => {
      const letters = phone.module<Letters>('services/letters/index.js');
      const now = new Date(2026, 0, 10, 9, 30);
      assert.equal(letters.expiryDate('CUSTOM', now, '2026-01-09'), undefined);
      assert.equal(
        letters.expiryDate('CUSTOM', new Date(2026, 0, 10, 23, 59, 59, 500), '2026-01-10'),
        undefined,
      );
      assert.equal(letters.expiryDate('CUSTOM', now, '2027-06-01'), undefined);
      assert.equal(letters.expiryDate('CUSTOM', now, 'tomorrow'), undefined);
      assert.equal(letters.expiryDate('CUSTOM', now), undefined);
      const range = letters.customDateRange(now);
      assert.equal(range.start, '2026-01-10');
      assert.ok(letters.expiryDate('CUSTOM', now, range.end));
    });
  });

  describe('strength: masterKeyStrength()', () => {
    it('accepts long mixed keys and passphrases, in any script', () => {
      const { masterKeyStrength } = phone.module<Strength>('services/strength/index.js');
      for (const key of [
        'correct horse battery staple',
        'Ash tree, 7 rivers & 1 moon',
        '我的主密钥是一棵老树',
      ]) {
        assert.equal(masterKeyStrength(key).acceptable, true, key);
      }
    });

    it('rejects invalid inputs: empty, short, common, repetitive, sequential', () => {
      const { masterKeyStrength } = phone.module<Strength>('services/strength/index.js');
      const verdicts = Object.fromEntries(
        ['', 'Ab1!', 'password2026', 'woaini1314520', 'aaaaaaaaaaaa', 'abcdefghijkl', '12345678901234'].map(
          (k) => [k, masterKeyStrength(k)],
        ),
      );
      for (const [key, verdict] of Object.entries(verdicts)) assert.equal(verdict.acceptable, false, key);
      assert.equal(verdicts['']!.verdict, 'empty');
      assert.equal(verdicts['Ab1!']!.verdict, 'short');
      assert.equal(verdicts.password2026!.verdict, 'common');
    });
  });

  describe('qr: drawQr() through the legacy-canvas adapter', () => {
    it('draws at the device pixel ratio, and the pixels decode to the text', async () => {
      const { drawQr } = phone.module<Qr>('services/qr/index.js');
      for (const ratio of [1, 2, 3]) {
        const canvas = new RasterCanvas();
        await drawQr(canvas, `${PUBLIC_URL}/s/${ID}`, 240, ratio);
        assert.equal(canvas.width, 240 * ratio);
        assert.equal(jsQR(canvas.data, canvas.width, canvas.height)?.data, `${PUBLIC_URL}/s/${ID}`);
      }
    });

    it('keeps the legacy draw() contract: the callback comes later, not during the call', async () => {
      const { LegacyContextAdapter } = phone.module<Qr>('services/qr/index.js');
      const adapter = new LegacyContextAdapter(new RasterCanvas().getContext('2d'));
      let called = false;
      adapter.draw(false, () => {
        called = true;
      });
      assert.equal(called, false);
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(called, true);
    });
  });

  describe('i18n: errorText()', () => {
    it('maps codes to sentences in Chinese and English, and never shows a raw code', () => {
      const i18n = phone.module<I18n>('i18n/index.js');
      const codes = [
        'network',
        'rate_limited',
        'quota_active_letters',
        'quota_letters_per_day',
        'quota_stored_bytes',
        'phone_taken',
        'wechat_busy',
        'some_new_code',
        'internal',
        '',
      ];
      for (const locale of ['zh', 'en'] as const) {
        i18n.setLocale(locale);
        for (const code of codes) {
          const text = i18n.errorText({ code });
          assert.ok(text.length > 0);
          if (code) assert.ok(!text.includes(code), `${locale}: "${text}" shows ${code}`);
        }
        assert.equal(i18n.errorText(new Error('boom')), i18n.t('err_generic'));
      }
      i18n.setLocale('zh');
      assert.equal(i18n.errorText({ code: 'network' }), '网络连接失败，请重试');
    });
  });
});
