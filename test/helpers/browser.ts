/**
 * Browser tests: Debian's Chromium (`scripts/tools.sh chromium` installs it; `CHROMIUM_BIN` points
 * elsewhere) driven by playwright-core, headless, with the flags that work on a machine without
 * network; axe-core checks a view's accessibility; screenshots go to .test-runs/screenshots
 * (git-ignored). The page's own CSP stays on: a violation fails the test.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../scripts/stack';
import type { Product } from './product';

export const SCREENSHOTS = path.join(ROOT, '.test-runs', 'screenshots');
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface AdminBrowser {
  context: BrowserContext;
  page: Page;
  /** Content-Security-Policy violations and page errors seen so far. */
  problems: string[];
}

/** A browser context in `locale` (Amsterdam time) with one page that records CSP violations and script errors. */
export async function adminContext(browser: Browser, opts: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<AdminBrowser> {
  const context = await browser.newContext({ locale: opts.locale ?? 'en-GB', timezoneId: 'Europe/Amsterdam', viewport: opts.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { context, page, problems };
}

/** Mints a one-time admin link with the platform key and opens it; waits until the page shows the tenant. */
export async function signIn(p: Product, page: Page, tenantId: string): Promise<string> {
  const minted = await p.call('POST', `/api/tenants/${tenantId}/admin-sessions`);
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  await page.goto(minted.body.adminUrl);
  await page.locator('#tenant').getByText(`(${tenantId})`, { exact: false }).waitFor();
  assert.doesNotMatch(page.url(), /token=/, 'the token is removed from the address bar');
  return minted.body.adminUrl;
}

/** Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays as it is). */
export async function axeViolations(page: Page, impacts: string[] = ['serious', 'critical']): Promise<string[]> {
  // (No DOM types in this project: the page-side code is written as strings.)
  if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
  return result.violations.filter((v) => impacts.includes(v.impact)).map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

/** Saves a full-page screenshot as .test-runs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Axe (no serious or critical violations) and a screenshot of the view that is open. */
export async function checkView(page: Page, name: string): Promise<void> {
  // A function, not a string: the page's CSP forbids eval, which a string predicate would need.
  await page.waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('[aria-busy="true"]'));
  await screenshot(page, name);
  assert.deepEqual(await axeViolations(page), [], `accessibility of ${name}`);
}
