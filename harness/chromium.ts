/**
 * Headless Chromium for the screenshots (preview/preview-mp.ts) and the landing page browser test
 * (tests/server/routes/landing.test.ts): where the browser is, why it cannot be used, and how it is
 * launched, written once. Debian's chromium package installs it at /usr/bin/chromium.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a quiet, offline headless run: no sandbox (containers), no GPU, and none of the
 * background traffic (QUIC, first-run, component updates, sync) a fresh profile would start.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why Chromium at `path` cannot be used (it is not there), or false when it can. */
export function chromiumUnavailable(path: string = CHROMIUM): string | false {
  return existsSync(path) ? false : `Chromium not found at ${path}: apt-get install chromium`;
}

/** Starts headless Chromium from `path`. */
export function launchChromium(path: string = CHROMIUM): Promise<Browser> {
  return chromium.launch({ executablePath: path, args: ARGS });
}
