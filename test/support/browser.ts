/**
 * Debian's Chromium driven by playwright-core on a closed network: headless, no sandbox (root in CI), an
 * empty profile, and every request that is not to the loopback interface refused and recorded, which
 * proves the viewer works where government networks have no internet.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumPath } from './environment.ts';

/** Where browser tests write their screenshots (gitignored). */
export const screenshotDir = path.resolve(import.meta.dirname, '..', '..', 'test-output');

/** Loopback only: 127.0.0.0/8, ::1, localhost (and data:/blob:). */
export function isLoopback(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A running browser: its context, first page, the refused URLs and the page errors seen. */
export interface ClosedNetworkBrowser {
  context: BrowserContext;
  page: Page;
  blocked: string[];
  pageErrors: string[];
  close(): Promise<void>;
}

/** Starts Chromium with an empty profile (playwright-core refuses --user-data-dir) and blocks the outside world. */
export async function openClosedNetworkBrowser(viewport: { width: number; height: number }): Promise<ClosedNetworkBrowser> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sdi-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport,
    locale: 'vi-VN',
  });
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return {
    context,
    page,
    blocked,
    pageErrors,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
