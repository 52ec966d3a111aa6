/**
 * The mini program's services, as built (dist/miniprogram/services), in Node with a `wx` double:
 * link parsing, expiry choices, the master key meter, the QR adapter (decoded back with jsqr) and
 * the error texts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import jsQR from 'jsqr';
import { buildOnce } from './harness/build';
import { Phone, ROOT } from './harness/mini-program';
import { RasterCanvas } from './harness/raster-canvas';

const PUBLIC_URL = 'https://mifeng.example';
const ID = 'AbCdEfGhIjKlMnOpQrStUg';

interface Letters {
  idFromQuery(query: Record<string, string>): string | null;
  idFromLetterUrl(url: string): string | null;
  letterUrl(id: string): string;
  expiryDate(option: string, now: Date, customDay?: string): Date | null | undefined;
  customDateRange(now: Date): { start: string; end: string };
}
interface Strength {
  loadStrength(): Promise<void>;
  masterKeyStrength(
    key: string,
    personal?: string[],
  ): { score: number; bits: number; verdict: string; pattern: string | null; acceptable: boolean };
  generatePassphrase(): Promise<string>;
  PASSPHRASE_WORD_COUNT: number;
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
    let strength: Strength;
    before(async () => {
      strength = phone.module<Strength>('services/strength/index.js');
      await strength.loadStrength();
    });

    it('accepts long passphrases and random keys, in any script', () => {
      for (const key of [
        'correct horse battery staple',
        'Ash tree, 7 rivers & 1 moon',
        'xK9#mQ2$vL7@pR',
        '我家门前的老树上住着三只喜鹊和一只猫',
      ]) {
        assert.equal(strength.masterKeyStrength(key).acceptable, true, key);
      }
    });

    it('rejects invalid inputs: empty, short, common, repetitive, sequential', () => {
      const verdicts = Object.fromEntries(
        ['', 'Ab1!', 'password2026', 'woaini1314520', 'aaaaaaaaaaaa', 'abcdefghijkl', '12345678901234'].map(
          (k) => [k, strength.masterKeyStrength(k)],
        ),
      );
      for (const [key, verdict] of Object.entries(verdicts)) assert.equal(verdict.acceptable, false, key);
      assert.equal(verdicts['']!.verdict, 'empty');
      assert.equal(verdicts['Ab1!']!.verdict, 'short');
      assert.equal(verdicts.password2026!.verdict, 'common');
      assert.equal(verdicts.aaaaaaaaaaaa!.pattern, 'repeat');
      assert.equal(verdicts.abcdefghijkl!.pattern, 'sequence');
    });

    it('refuses what Chinese users choose, naming the pattern for the hint', () => {
      const cases: [string, string][] = [
        ['Huawei@123', 'brand'],
        ['Taobao2024!', 'brand'],
        ['woaini1314', 'pinyin'],
        ['zhangwei19900520', 'pinyin'],
        ['5201314520', 'lucky'],
        ['Ziyu@19881122', 'date'],
        ['1qaz2wsx3edc4rfv', 'common'],
        ['zxcvbnm,./asdf', 'keyboard'],
        ['我的密码是一二三', 'chinese'],
      ];
      for (const [key, pattern] of cases) {
        const result = strength.masterKeyStrength(key);
        assert.equal(result.acceptable, false, key);
        assert.equal(result.pattern, pattern, key);
        assert.ok(result.score <= 2, `${key} scores ${result.score}`);
      }
      // 我的密码是一二三 is not "strong", nor even acceptable.
      assert.notEqual(strength.masterKeyStrength('我的密码是一二三').verdict, 'strong');
    });

    it('counts the person’s own name and phone number as known to the attacker', () => {
      const key = 'Lihua13912345678!';
      const alone = strength.masterKeyStrength(key);
      const known = strength.masterKeyStrength(key, ['Lihua', '13912345678']);
      assert.ok(known.bits < alone.bits, `${known.bits} < ${alone.bits}`);
      assert.equal(known.acceptable, false);
      assert.equal(known.pattern, 'personal');
    });
  });

  describe('strength: generatePassphrase()', () => {
    it('draws distinct word lists from the secure random pool, each rated strong', async () => {
      const strength = phone.module<Strength>('services/strength/index.js');
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const passphrase = await strength.generatePassphrase();
        assert.match(passphrase, /^[a-z]+(-[a-z]+){5}$/);
        assert.equal(passphrase.split('-').length, strength.PASSPHRASE_WORD_COUNT);
        assert.equal(strength.masterKeyStrength(passphrase).verdict, 'strong', passphrase);
        seen.add(passphrase);
      }
      assert.equal(seen.size, 5);
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

  describe('platform: base library and updates', () => {
    type Platform = { compareVersions(a: string, b: string): number; MIN_BASE_LIBRARY: string };

    it('compares base library versions part by part', () => {
      const { compareVersions, MIN_BASE_LIBRARY } = phone.module<Platform>('services/platform/index.js');
      assert.ok(compareVersions('2.32.3', '2.32.3') === 0);
      assert.ok(compareVersions('2.9.0', '2.32.3') < 0, '9 < 32, not "9" > "3"');
      assert.ok(compareVersions('3.0', '2.32.3') > 0);
      assert.ok(compareVersions('2.32.3.1', '2.32.3') > 0);
      const project = JSON.parse(readFileSync(join(ROOT, 'project.config.json'), 'utf8')) as {
        libVersion: string;
      };
      assert.ok(
        compareVersions(project.libVersion, MIN_BASE_LIBRARY) >= 0,
        'DevTools runs a supported version',
      );
    });

    it('tells the person on an old WeChat to update, and says nothing on a current one', async () => {
      const old = new Phone({ apiBaseUrl: 'http://127.0.0.1:9', publicUrl: PUBLIC_URL });
      old.state.sdkVersion = '2.30.4';
      old.launch();
      assert.deepEqual(
        old.state.modals.map((m) => m.title),
        ['微信版本过低'],
      );
      assert.match(old.state.modals[0]!.content ?? '', /2\.30\.4.*2\.32\.3/);
      const current = new Phone({ apiBaseUrl: 'http://127.0.0.1:9', publicUrl: PUBLIC_URL });
      current.launch();
      assert.deepEqual(current.state.modals, []);
    });

    it('offers a downloaded update and applies it on yes', async () => {
      const device = new Phone({ apiBaseUrl: 'http://127.0.0.1:9', publicUrl: PUBLIC_URL });
      device.launch();
      assert.equal(device.state.update.ready.length, 1);
      for (const listener of device.state.update.ready) listener();
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(device.state.modals.at(-1)?.title, '新版本已就绪');
      assert.equal(device.state.update.applied, 1);
    });
  });

  describe('i18n: wx.showModal buttons', () => {
    // WeChat silently shows no modal when a button's text is over 4 characters.
    it('every modal button text is a modal_ key of at most 4 characters in every locale', () => {
      const i18n = phone.module<I18n>('i18n/index.js');
      const used = new Set<string>();
      const sources = readdirSync(join(ROOT, 'miniprogram'), { recursive: true, encoding: 'utf8' }).filter(
        (f) => f.endsWith('.ts') && !f.startsWith('i18n'),
      );
      for (const file of sources) {
        const source = readFileSync(join(ROOT, 'miniprogram', file), 'utf8');
        for (const m of source.matchAll(/(confirmText|cancelText):\s*([^,\n]+)/g)) {
          const key = /^t\('(modal_[a-z_]+)'\)$/.exec(m[2]!.trim())?.[1];
          assert.ok(key, `${file}: ${m[1]} is ${m[2]}, not t('modal_…')`);
          used.add(key);
        }
      }
      // The pages (revoke, log out, settings) and the services (left-out recipients, updates).
      for (const key of [
        'modal_revoke',
        'modal_logout',
        'modal_settings',
        'modal_send_anyway',
        'modal_restart',
      ]) {
        assert.ok(used.has(key), `${key} is used`);
      }
      for (const locale of ['zh', 'en'] as const) {
        i18n.setLocale(locale);
        for (const key of used) {
          const text = i18n.t(key);
          assert.ok(Array.from(text).length <= 4, `${locale} ${key}: "${text}" is over 4 characters`);
        }
      }
      i18n.setLocale('zh');
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
