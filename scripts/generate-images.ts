/**
 * `npm run generate:images`: draws the mini program's images from the SVG below with headless
 * Chromium and writes them as PNGs into miniprogram/images/ (committed; rerun after a change here).
 *
 * - Tab bar icons, 81 × 81 px as WeChat asks (at most 40 KB each): a normal one in the tab bar's
 *   grey (and a lighter grey for dark mode, theme.json) and a selected one in WeChat green.
 * - The chat card image, 500 × 400 px (the card's 5:4): a sealed letter. It says nothing about any
 *   letter, since every card of every letter shows it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumUnavailable, launchChromium } from '../harness/chromium';

const OUT = join(import.meta.dirname, '..', 'miniprogram', 'images');

const GREEN = '#07C160';
/** The tab bar's text colours in app.json's theme.json (light, dark). */
const GREY = { light: '#7A7E83', dark: '#8C8C8C' };

/** Icon outlines on an 81 × 81 grid, stroked 5 px wide; `fill` paints their inside when selected. */
const ICONS: Record<string, (color: string, fill: string) => string> = {
  inbox: (c, f) => `
    <path d="M14 44 L23 17 H58 L67 44 V64 H14 Z" fill="${f}" stroke="${c}"/>
    <path d="M14 44 H31 L35 51 H46 L50 44 H67" fill="none" stroke="${c}"/>`,
  sent: (c, f) => `
    <path d="M11 39 L70 13 L57 67 L40 50 Z" fill="${f}" stroke="${c}"/>
    <path d="M40 50 L70 13 M40 50 V66 L49 58" fill="none" stroke="${c}"/>`,
  me: (c, f) => `
    <circle cx="40.5" cy="27" r="13" fill="${f}" stroke="${c}"/>
    <path d="M15 68 C15 53 26 46 40.5 46 C55 46 66 53 66 68 Z" fill="${f}" stroke="${c}"/>`,
};

function icon(name: string, color: string, fill: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="81" height="81" viewBox="0 0 81 81"
    stroke-width="5" stroke-linejoin="round" stroke-linecap="round">${ICONS[name]!(color, fill)}</svg>`;
}

const SHARE_CARD = `<svg xmlns="http://www.w3.org/2000/svg" width="500" height="400" viewBox="0 0 500 400">
  <rect width="500" height="400" fill="#F2F9F5"/>
  <rect x="95" y="80" width="310" height="210" rx="18" fill="#FFFFFF" stroke="#D5E8DC" stroke-width="4"/>
  <path d="M99 92 L250 205 L401 92" fill="none" stroke="#C9E2D2" stroke-width="6" stroke-linejoin="round"/>
  <circle cx="250" cy="205" r="46" fill="${GREEN}"/>
  <circle cx="250" cy="205" r="36" fill="none" stroke="#FFFFFF" stroke-opacity=".55" stroke-width="3"/>
  <text x="250" y="223" text-anchor="middle" font-size="50" font-weight="700" fill="#FFFFFF"
    font-family="Noto Sans CJK SC, Noto Serif CJK SC, sans-serif">密</text>
  <text x="250" y="345" text-anchor="middle" font-size="30" fill="#3C3C3C"
    font-family="Noto Sans CJK SC, Noto Serif CJK SC, sans-serif">只有收件人能打开</text>
</svg>`;

const IMAGES: { file: string; svg: string; width: number; height: number }[] = [
  ...Object.keys(ICONS).flatMap((name) => [
    { file: `tab-${name}.png`, svg: icon(name, GREY.light, 'none'), width: 81, height: 81 },
    { file: `tab-${name}-dark.png`, svg: icon(name, GREY.dark, 'none'), width: 81, height: 81 },
    { file: `tab-${name}-on.png`, svg: icon(name, GREEN, 'rgba(7,193,96,.18)'), width: 81, height: 81 },
  ]),
  { file: 'share-card.png', svg: SHARE_CARD, width: 500, height: 400 },
];

const missing = chromiumUnavailable();
if (missing) {
  console.error(`generate:images: ${missing}`);
  process.exit(1);
}
mkdirSync(OUT, { recursive: true });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const image of IMAGES) {
    await page.setViewportSize({ width: image.width, height: image.height });
    await page.setContent(`<html><body style="margin:0;background:transparent">${image.svg}</body></html>`);
    await page.locator('svg').screenshot({ path: join(OUT, image.file), omitBackground: true });
    console.log(`generate:images: miniprogram/images/${image.file}`);
  }
} finally {
  await browser.close();
}
