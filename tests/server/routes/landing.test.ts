import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { chromiumUnavailable, launchChromium } from '../../../harness/chromium';
import landingRoutes from '../../../server/routes/landing';
import { requireService } from '../../support/services';

const ARTIFACTS = join(import.meta.dirname, '../../../test-artifacts');

/** A fresh envelope id as the mini program makes them: 16 random bytes, base64url. */
const envelopeId = () => randomBytes(16).toString('base64url');

async function buildApp(options: { helmet?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  // The app registers @fastify/helmet for every route; the page's own, stricter headers must win.
  if (options.helmet) await app.register(helmet);
  await app.register(landingRoutes);
  await app.ready();
  return app;
}

function assertStrictHeaders(headers: Record<string, unknown>): void {
  assert.equal(headers['content-type'], 'text/html; charset=utf-8');
  const csp = String(headers['content-security-policy']);
  assert.match(csp, /(^|; )default-src 'none'(;|$)/);
  assert.match(csp, /(^|; )style-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
  assert.doesNotMatch(csp, /script-src|unsafe-inline|unsafe-eval|https?:|\*/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(headers['referrer-policy'], 'no-referrer');
  assert.equal(headers['x-robots-tag'], 'noindex, nofollow');
  assert.equal(headers['cache-control'], 'no-store');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['x-frame-options'], 'DENY');
}

/** The CSP hash must be that of the page's one stylesheet, byte for byte, or the browser drops the CSS. */
function assertStyleMatchesPolicy(html: string, csp: string): void {
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)];
  assert.equal(styles.length, 1);
  const hash = createHash('sha256').update(styles[0]![1]!).digest('base64');
  assert.ok(csp.includes(`'sha256-${hash}'`), 'the CSP style hash does not match the stylesheet');
}

describe('GET /s/:id', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildApp();
  });
  after(() => app.close());

  it('answers every well-formed id with the same open-in-WeChat page, echoing nothing', async () => {
    const ids = [envelopeId(), envelopeId(), 'AAAAAAAAAAAAAAAAAAAAAA'];
    const bodies = new Set<string>();
    for (const id of ids) {
      const res = await app.inject({ method: 'GET', url: `/s/${id}` });
      assert.equal(res.statusCode, 200);
      assertStrictHeaders(res.headers);
      assertStyleMatchesPolicy(res.body, String(res.headers['content-security-policy']));
      assert.ok(!res.body.includes(id), 'the page echoes the id');
      assert.match(res.body, /请在微信中打开/);
      assert.match(res.body, /Open this in WeChat/);
      assert.match(res.body, /<html lang="zh-CN">/);
      assert.match(res.body, /<meta name="robots" content="noindex, nofollow">/);
      assert.doesNotMatch(res.body, /<script|\son\w+=|javascript:|https?:\/\//i);
      bodies.add(res.body);
    }
    // Identical bytes whatever the id: nothing on it can depend on the letter.
    assert.equal(bodies.size, 1);
  });

  it('answers a malformed id with 404 and the "link not valid" page, with the same headers', async () => {
    const hostile = [
      'short',
      `${envelopeId()}A`,
      'AAAAAAAAAAAAAAAAAAAAA=',
      'AAAAAAAAAAAAAAAAAAAA+/',
      encodeURIComponent('<script>alert(1)</script>'),
      encodeURIComponent('"><img src=x onerror=alert(1)>xxxxx'),
      '%E5%AF%86%E5%B0%81AAAAAAAAAAAAAAAAAAA',
      `${envelopeId()}/extra`,
      '',
    ];
    for (const id of hostile) {
      const res = await app.inject({ method: 'GET', url: `/s/${id}` });
      assert.equal(res.statusCode, 404, id);
      assertStrictHeaders(res.headers);
      assertStyleMatchesPolicy(res.body, String(res.headers['content-security-policy']));
      assert.match(res.body, /链接无效/);
      assert.match(res.body, /This link is not valid/);
      assert.doesNotMatch(res.body, /<script|onerror|alert/);
      if (id) assert.ok(!res.body.includes(decodeURIComponent(id)), 'the page echoes the id');
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await app.inject({ method: 'HEAD', url: `/s/${envelopeId()}` });
    assert.equal(res.statusCode, 200);
    assertStrictHeaders(res.headers);
    assert.equal(res.body, '');
  });

  it('keeps its own policy when @fastify/helmet sets defaults for the whole app', async () => {
    const withHelmet = await buildApp({ helmet: true });
    try {
      const res = await withHelmet.inject({ method: 'GET', url: `/s/${envelopeId()}` });
      assert.equal(res.statusCode, 200);
      assertStrictHeaders(res.headers);
      assertStyleMatchesPolicy(res.body, String(res.headers['content-security-policy']));
    } finally {
      await withHelmet.close();
    }
  });
});

const chromiumMissing = await requireService('Chromium', () => chromiumUnavailable());

describe('GET /s/:id in headless Chromium (375×812)', { skip: chromiumMissing }, () => {
  let app: FastifyInstance;
  let browser: Browser;
  let origin: string;

  before(async () => {
    app = await buildApp({ helmet: true });
    await app.listen({ host: '127.0.0.1', port: 0 });
    origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Loads `path` on a phone-sized page, screenshots it, and reports what a person and the console saw. */
  async function visit(path: string, screenshot: string, expectedTexts: string[]) {
    const context = await browser.newContext({
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
      colorScheme: 'light',
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
      page.on('request', (req) => requests.push(req.url()));
      const res = await page.goto(`${origin}${path}`, { waitUntil: 'load' });
      const shown: Record<string, boolean> = {};
      for (const text of expectedTexts) shown[text] = await page.getByText(text).first().isVisible();
      // A string, not a function: the tests are type-checked without the DOM library.
      const layout = await page.evaluate<{ scrollWidth: number; cardRadius: string; h1Size: string }>(`({
        scrollWidth: document.documentElement.scrollWidth,
        cardRadius: getComputedStyle(document.querySelector('.card')).borderTopLeftRadius,
        h1Size: getComputedStyle(document.querySelector('h1')).fontSize,
      })`);
      await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
      return { status: res?.status(), problems, requests, shown, layout };
    } finally {
      await context.close();
    }
  }

  it('shows the Chinese and English instructions, cleanly, with no errors and no outside requests', async () => {
    const texts = [
      '请在微信中打开',
      'Open this in WeChat',
      '扫一扫',
      '“Scan”',
      '端到端加密',
      'end-to-end encrypted',
    ];
    const { status, problems, requests, shown, layout } = await visit(
      `/s/${envelopeId()}`,
      'landing.png',
      texts,
    );
    assert.equal(status, 200);
    assert.deepEqual(problems, []);
    assert.ok(
      requests.every((url) => url.startsWith(`${origin}/`) || url.startsWith('data:')),
      `unexpected requests: ${requests.join(', ')}`,
    );
    assert.equal(
      requests.filter((url) => url.startsWith(origin)).length,
      1,
      'only the page itself is fetched',
    );
    for (const text of texts) assert.ok(shown[text], `not visible: ${text}`);
    // The stylesheet applied (so the CSP hash was accepted) and nothing overflows the phone's width.
    assert.equal(layout.cardRadius, '12px');
    assert.equal(layout.h1Size, '22px');
    assert.ok(layout.scrollWidth <= 375, `horizontal overflow: ${layout.scrollWidth}px`);
    assert.ok(existsSync(join(ARTIFACTS, 'landing.png')));
  });

  it('shows the "link not valid" page for a malformed id', async () => {
    const texts = ['链接无效', 'This link is not valid'];
    const { status, problems, shown, layout } = await visit('/s/not-a-letter', 'landing-invalid.png', texts);
    assert.equal(status, 404);
    // Chromium reports the 404 status itself as a console error; nothing else may appear.
    assert.deepEqual(
      problems.filter((p) => !p.includes('status of 404')),
      [],
    );
    for (const text of texts) assert.ok(shown[text], `not visible: ${text}`);
    assert.equal(layout.cardRadius, '12px');
  });
});
