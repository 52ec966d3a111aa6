/**
 * `npm run preview:mp`: renders every page of the built mini program to HTML and screenshots it in
 * headless Chromium into docs/screenshots/<page>.png, so the interface can be reviewed without
 * WeChat DevTools.
 *
 * The pages run for real, as in the page tests (tests/miniprogram/harness): miniprogram-simulate
 * renders their WXML, a `wx` double talks to the real server started in-process (PGlite in memory),
 * and people register, write, share, open and revoke through the pages, so each screenshot shows a
 * real state. The HTML is the rendered DOM with app.wxss + the page's and components' WXSS (classes
 * scoped the way miniprogram-simulate scopes them, rpx at a 375 px wide screen: 1rpx = 0.5px), under a
 * drawn WeChat navigation bar (and tab bar on tab pages). Built-in components get a preview template
 * that shows input values and placeholders; the QR canvas shows the pixels the page really drew.
 *
 * Needs Debian's chromium at /usr/bin/chromium (CHROMIUM=… to override).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { chromiumUnavailable, CHROMIUM as DEFAULT_CHROMIUM, launchChromium } from '../harness/chromium';
import { buildOnce } from '../tests/miniprogram/harness/build';
import { idOf, registerThroughPage, sendThroughPage } from '../tests/miniprogram/harness/flows';
import {
  DIST,
  type PageHandle,
  Phone,
  ROOT,
  setupSimulator,
} from '../tests/miniprogram/harness/mini-program';
import type { RasterCanvas } from '../tests/miniprogram/harness/raster-canvas';
import { startServer } from '../tests/miniprogram/harness/server';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.CHROMIUM ?? DEFAULT_CHROMIUM;
const OUT = join(ROOT, 'docs', 'screenshots');
const WIDTH = 375;
/** 750rpx is the screen width. */
const RPX = WIDTH / 750;

/** Scopes WXSS classes like miniprogram-simulate does (`.x` → `.<prefix>--x`), then converts rpx. */
function css(file: string, prefix: string): string {
  if (!existsSync(file)) return '';
  const { compile } = require('miniprogram-simulate/src/wxss.js') as {
    compile(wxss: string, options: { prefix: string }): string;
  };
  return compile(readFileSync(file, 'utf8'), { prefix })
    .replace(/(-?\d*\.?\d+)rpx/g, (_, n: string) => `${+(Number(n) * RPX).toFixed(2)}px`)
    .replace(/(^|[\s,}>+~(])button(?=[.:[\s,{])/g, '$1wx-button');
}

/** Preview templates for built-in components that show what the person typed or will type. */
function registerPreviewBuiltins(): void {
  const jComponent = require('j-component') as { register(definition: Record<string, unknown>): string };
  const field = (tag: string) =>
    jComponent.register({
      id: tag,
      tagName: `wx-${tag}`,
      properties: {
        value: { type: String, value: '' },
        placeholder: { type: String, value: '' },
        password: { type: Boolean, value: false },
      },
      template:
        '<span wx:if="{{value}}" class="wx-value">{{password ? "••••••••••" : value}}</span>' +
        '<span wx:else class="wx-placeholder">{{placeholder}}</span>',
    });
  field('input');
  field('textarea');
}

/** A PNG of an RGBA buffer (the canvas double's pixels). */
function png(canvas: RasterCanvas): Buffer {
  const { width, height, data } = canvas;
  const chunk = (type: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    Buffer.from(data.buffer, data.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const BASE_CSS = `
  html, body { margin: 0; background: #ededed; width: ${WIDTH}px; -webkit-font-smoothing: antialiased; }
  page, wx-view, wx-button, wx-input, wx-textarea, wx-picker, wx-canvas, wx-image, state-card { display: block; }
  wx-text { display: inline; }
  /* WeChat's built-in button under "style": "v2", so a page that does not override it shows it. */
  wx-button { position: relative; margin-left: auto; margin-right: auto; padding: 12px 24px; box-sizing: border-box;
    font-size: 17px; font-weight: 700; line-height: 1.41176471; text-align: center; border-radius: 8px;
    overflow: hidden; color: #06ae56; background-color: #f2f2f2; cursor: pointer; }
  wx-button:not([size=mini]) { width: 184px; }
  wx-input, wx-textarea { min-height: 1.4em; }
  wx-textarea { white-space: pre-wrap; }
  .wx-placeholder { color: rgba(0, 0, 0, 0.3); }
  .nav { position: relative; height: 44px; padding-top: 20px; background: #ededed; text-align: center;
    font: 600 17px/44px -apple-system, "PingFang SC", "Noto Sans CJK SC", sans-serif; color: #000; }
  .capsule { position: absolute; right: 7px; top: 26px; width: 87px; height: 32px; box-sizing: border-box;
    border: 0.5px solid rgba(0, 0, 0, 0.12); border-radius: 16px; background: rgba(255, 255, 255, 0.6); }
  .capsule::before { content: ""; position: absolute; left: 14px; top: 14px; width: 4px; height: 4px; border-radius: 2px;
    background: #000; box-shadow: 7px 0 0 #000, 14px 0 0 #000; }
  .capsule::after { content: ""; position: absolute; right: 13px; top: 8px; width: 15px; height: 15px;
    border: 2px solid #000; border-radius: 50%; box-sizing: border-box; }
  .tabbar { display: flex; height: 50px; border-top: 0.5px solid rgba(0, 0, 0, 0.2); background: #f7f7f7;
    font: 12px/50px -apple-system, "PingFang SC", "Noto Sans CJK SC", sans-serif; }
  .tabbar div { flex: 1; text-align: center; color: #7a7e83; }
  .tabbar .on { color: #07c160; font-weight: 600; }
  .screen { min-height: 620px; }
`;

/** The page as a standalone HTML document. */
function html(page: PageHandle, title: string, tab?: string): string {
  const pageDir = join(DIST, dirname(page.path));
  const name = page.path.split('/').pop()!;
  const pageJson = JSON.parse(readFileSync(join(pageDir, `${name}.json`), 'utf8')) as {
    usingComponents?: Record<string, string>;
  };
  let styles = css(join(DIST, 'app.wxss'), 'main') + css(join(pageDir, `${name}.wxss`), 'main');
  for (const [tag, path] of Object.entries(pageJson.usingComponents ?? {})) {
    styles += css(join(DIST, `${path.replace(/^\//, '')}.wxss`), tag);
  }
  const app = JSON.parse(readFileSync(join(DIST, 'app.json'), 'utf8')) as {
    tabBar: { list: { pagePath: string; text: string }[] };
  };
  const tabbar = tab
    ? `<div class="tabbar">${app.tabBar.list
        .map((t) => `<div class="${t.pagePath === tab ? 'on' : ''}">${t.text}</div>`)
        .join('')}</div>`
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><style>${BASE_CSS}${styles}</style></head>
<body><div class="nav">${title}<span class="capsule"></span></div>
<div class="screen"><page>${page.component.dom.outerHTML}</page></div>${tabbar}</body></html>`;
}

/** Puts the pixels the page drew into its canvas elements. */
function showCanvas(page: PageHandle, canvas: RasterCanvas | undefined): void {
  if (!canvas) return;
  const element = page.$('.qr')?.dom as unknown as { innerHTML: string } | undefined;
  if (!element) return;
  element.innerHTML = `<img style="width:100%;height:100%;display:block" src="data:image/png;base64,${png(canvas).toString('base64')}">`;
}

async function main(): Promise<void> {
  const missing = chromiumUnavailable(CHROMIUM);
  if (missing) {
    console.error(`preview:mp: ${missing}`);
    process.exit(1);
  }
  await buildOnce();
  setupSimulator();
  registerPreviewBuiltins();
  const server = await startServer();
  const shots: { file: string; html: string }[] = [];
  const shoot = (file: string, page: PageHandle, title: string, tab?: string) =>
    shots.push({ file, html: html(page, title, tab) });

  try {
    const phone = (storage?: Map<string, unknown>) =>
      new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl, storage });
    const A = { name: '王小明', phone: '13800138001', masterKey: 'Ash tree, 7 rivers & 1 moon' };
    const B = { name: '李华', phone: '13800138002', masterKey: 'Birch-leaf 42 under snow!' };
    const a = phone();
    const b = phone();

    // The first screen a visitor sees: what Mifeng is, and no forced registration.
    const visitor = phone();
    const welcome = visitor.open('/pages/inbox/inbox');
    await welcome.waitFor(
      () => welcome.data.visitor === true && welcome.data.loading === false,
      'the welcome',
    );
    shoot('visitor.png', welcome, '收件箱', 'pages/inbox/inbox');

    // Register: the form filled in, a guessable key refused with its hint, both warnings visible.
    const fresh = phone();
    const register = fresh.open('/pages/register/register');
    await register.waitFor(() => register.data.ready === true, 'the register form');
    await register.tap('.agree-box');
    await register.input('.name-input', A.name);
    await register.input('.phone-input', A.phone);
    await register.input('.key-input', 'Huawei@123');
    await register.input('.key2-input', 'Huawei@123');
    await register.waitFor(() => register.data.strengthHint !== '', 'the strength hint');
    await register.tap('.ack');
    shoot('register.png', register, '注册密封');

    await registerThroughPage(a, A);
    await registerThroughPage(b, B);

    // Compose: content, remark, one recipient found and one pair that matches nobody.
    const compose = a.open('/pages/compose/compose');
    await compose.waitFor(() => compose.data.ready === true, 'the compose form');
    await compose.input('.content-input', 'NAS 管理员密码：Xq7#9k-Lm2-Vb8');
    await compose.input('.remark-input', '家里 NAS，周末用');
    for (const [name, number] of [
      [B.name, B.phone],
      ['张三', '13912345678'],
    ] as const) {
      await compose.input('.add-row .name-input', name);
      await compose.input('.add-row .phone-input', number);
      await compose.tap('.add-button');
    }
    await compose.waitFor(
      () => (compose.data.recipients as { status: string }[]).every((r) => r.status !== 'checking'),
      'the lookups',
    );
    shoot('compose.png', compose, '写密信');

    // Share: the QR the page drew.
    const shareUrl = await sendThroughPage(a, {
      content: 'NAS 管理员密码：Xq7#9k-Lm2-Vb8',
      remark: '家里 NAS，周末用',
      to: [B],
      expiry: 'ONE_WEEK',
    });
    const share = a.open(shareUrl);
    await share.waitFor(() => share.data.qrReady === true, 'the QR code');
    showCanvas(share, a.state.canvases.get('#qr'));
    shoot('share.png', share, '分享密信');
    const id = idOf(shareUrl);

    // Open: B reads it.
    const open = b.open('/pages/open/open', { id });
    await open.waitFor(() => open.data.state === 'open', 'the letter');
    shoot('open.png', open, '密信');

    // A second letter, revoked, so the lists show both states.
    const second = idOf(
      await sendThroughPage(a, { content: 'Wi-Fi: mifeng-5G / 20261124', to: [B], expiry: 'THREE_DAYS' }),
    );
    const sentForRevoke = a.open('/pages/sent/sent');
    await sentForRevoke.waitFor(() => (sentForRevoke.data.items as unknown[]).length === 2, 'the sent list');
    await a.module<{ revoke(id: string): Promise<void> }>('services/letters/index.js').revoke(second);

    const inbox = b.open('/pages/inbox/inbox');
    await inbox.waitFor(() => (inbox.data.items as unknown[]).length === 2, 'the inbox');
    shoot('inbox.png', inbox, '收件箱', 'pages/inbox/inbox');

    const sent = a.open('/pages/sent/sent');
    await sent.waitFor(() => (sent.data.items as unknown[]).length === 2, 'the sent list');
    const rows = sent.$$('.opens-button');
    rows.at(-1)?.dispatchEvent('tap');
    await sent.waitFor(
      () =>
        (sent.data.items as { id: string; opensLoaded: boolean }[]).some((i) => i.id === id && i.opensLoaded),
      'the opens',
    );
    shoot('sent.png', sent, '已发送', 'pages/sent/sent');

    // A letter that is not for you, and one that was revoked.
    const c = phone();
    await registerThroughPage(c, {
      name: '陌生人',
      phone: '13800138003',
      masterKey: 'Cedar 9 lanterns glow bright',
    });
    const notForYou = c.open('/pages/open/open', { id });
    await notForYou.waitFor(() => notForYou.data.state === 'not_for_you', 'not for you');
    shoot('open-not-for-you.png', notForYou, '密信');
    const revoked = b.open('/pages/open/open', { id: second });
    await revoked.waitFor(() => revoked.data.state === 'revoked', 'revoked');
    shoot('open-revoked.png', revoked, '密信');

    // Unlock on a restarted app, after a wrong key.
    const restarted = phone(b.state.storage);
    const unlock = restarted.open('/pages/unlock/unlock');
    await unlock.input('.key-input', 'Birch-leaf 41 under snow!');
    await unlock.tap('.submit');
    await unlock.waitFor(() => unlock.data.error !== '', 'the wrong key');
    shoot('unlock.png', unlock, '解锁');

    // "Forgot master key": what a reset loses, before anything is done.
    const forgot = phone(b.state.storage).open('/pages/unlock/unlock');
    await forgot.tap('.forgot-link');
    await forgot.input('.new-key', 'Pine 8 ferries cross at noon');
    await forgot.waitFor(() => forgot.data.strengthOk === true, 'the meter');
    shoot('unlock-reset.png', forgot, '重设密钥');

    const me = a.open('/pages/me/me');
    await me.waitFor(() => me.data.fingerprint !== '', 'the fingerprint');
    shoot('me.png', me, '我的', 'pages/me/me');
  } finally {
    await server.close();
  }

  mkdirSync(OUT, { recursive: true });
  const browser = await launchChromium(CHROMIUM);
  try {
    const context = await browser.newContext({
      viewport: { width: WIDTH, height: 667 },
      deviceScaleFactor: 2,
    });
    const tab = await context.newPage();
    for (const shot of shots) {
      await tab.setContent(shot.html, { waitUntil: 'load' });
      await tab.screenshot({ path: join(OUT, shot.file), fullPage: true });
      if (process.env.PREVIEW_HTML) writeFileSync(join(OUT, shot.file.replace('.png', '.html')), shot.html);
      console.log(`preview: docs/screenshots/${shot.file}`);
    }
  } finally {
    await browser.close();
  }
}

main().then(
  () => {
    rmSync(dirname(DIST), { recursive: true, force: true });
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
