import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe } from 'vitest';

/** Debian's package (`apt-get install chromium`); playwright's own downloads are not used. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REQUIRE_BROWSER = process.env.REQUIRE_BROWSER === '1';
const present = existsSync(CHROMIUM_PATH);

if (!present && !REQUIRE_BROWSER) {
  console.warn(
    `[test] no Chromium at ${CHROMIUM_PATH}: skipping the browser tests. Install it ` +
      '(apt-get install chromium), set CHROMIUM_PATH, or REQUIRE_BROWSER=1 to fail instead.',
  );
}

/**
 * `describe` that runs when Chromium is there (or is required: then a missing one fails). `options`
 * as vitest's, e.g. a timeout for each test.
 */
export function describeWithBrowser(
  title: string,
  options: { timeout?: number },
  fn: () => void,
): void {
  describe.skipIf(!present && !REQUIRE_BROWSER)(title, options, fn);
}

/** Headless Chromium with a fresh profile (playwright makes a new user-data-dir per launch). */
export function launchBrowser(): Promise<Browser> {
  if (!present) throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM_PATH}`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

let built: Promise<string> | null = null;

/** The dashboard's browser files, built once per test process into a temporary folder. */
export function buildDashboardAssets(): Promise<string> {
  built ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), 'attendance-dashboard-'));
    const script = new URL('../../scripts/build-dashboard.mjs', import.meta.url);
    await promisify(execFile)(process.execPath, [script.pathname, out]);
    return out;
  })();
  return built;
}

/**
 * Where tests write screenshots: `docs/` with UPDATE_SCREENSHOTS=1 (the README shows those),
 * else a temporary folder, so that `npm test` leaves the checkout as it was.
 */
export const SCREENSHOTS_DIR =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../docs/', import.meta.url))
    : join(tmpdir(), 'attendance-dashboard-shots');

/** Signs in at `base` with `token` through the form; resolves once the live view is there. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Live rooms' }).waitFor();
}
