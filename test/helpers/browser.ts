// Real-browser tests: Playwright (playwright-core, which never downloads a browser) driving
// Debian's Chromium headless. Off CI a machine without /usr/bin/chromium skips with a
// reason; under CI=true it fails. Screenshots go to artifacts/screenshots/ (not committed).

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hasCommand, needs } from './system.ts';

export const CHROMIUM = process.env.PRINTGATE_CHROMIUM ?? '/usr/bin/chromium';

/** tap skip reason when Chromium is missing (throws under CI). */
export function needsChromium(): false | string {
  return needs('chromium', hasCommand(CHROMIUM));
}

export interface BrowserHandle {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Launch headless Chromium with background networking off (this machine has no internet).
 * Playwright gives it a fresh temporary profile of its own.
 */
export async function launchBrowser(): Promise<BrowserHandle> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-extensions',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

export const SCREENSHOT_DIR = resolve(import.meta.dirname, '..', '..', 'artifacts', 'screenshots');

/** Save a full-page screenshot as an artifact; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
