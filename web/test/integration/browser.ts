// Debian's chromium driven by playwright-core: no browser download, a fresh profile per run, headless,
// nothing phoning home. One persistent context; each role gets its own tab, and since the console keeps
// the token in sessionStorage, each tab is its own session.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

export async function launchBrowser(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Opens the console in a new tab and signs in with `token`; resolves once the shell shows the role. */
export async function signIn(
  ctx: BrowserContext,
  consoleUrl: string,
  token: string,
  role: string,
): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(consoleUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.whoami .badge.role', { hasText: role }).waitFor();
  return page;
}

export async function waitLive(page: Page): Promise<void> {
  await page.locator('.topbar .live-dot', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
}
