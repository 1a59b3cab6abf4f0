import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulator/index.js';
import {
  buildDashboardAssets,
  describeWithBrowser,
  launchBrowser,
  signIn as signInAt,
} from '../helpers/browser.js';
import { DIALECTS, type TestDatabase } from '../helpers/dialects.js';
import { createHarness, TEST_API_TOKEN, type Harness } from '../helpers/harness.js';
import { recordAlgebraCourse, recordEndedClass } from './class-fixture.js';

const READ_TOKEN = 'test-read-token-0123456789';
/** Building the browser files (tsc) and launching Chromium: slow on a loaded CI machine. */
const SETUP_MS = 180_000;
/** Each test and its per-test set-up: a database, a server, a browser context, several pages. */
const TEST_MS = 60_000;
const HOOK_MS = 60_000;

describeWithBrowser('the dashboard in Chromium [sqlite]', { timeout: TEST_MS }, () => {
  let browser: Browser;
  let assets: string;
  let db: TestDatabase;
  let emu: EmulatorServer;
  let h: Harness;
  let base: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [browser, assets] = await Promise.all([launchBrowser(), buildDashboardAssets()]);
  }, SETUP_MS);
  afterAll(async () => {
    await browser?.close();
  }, HOOK_MS);

  beforeEach(async () => {
    db = await DIALECTS[0]!.createDatabase();
    emu = await startEmulatorServer({ port: 0 });
    h = await createHarness({
      databaseUrl: db.url,
      livekitUrl: null,
      dashboardAssetsDir: assets,
      env: { API_READ_TOKENS: READ_TOKEN },
    });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    emu.emulator.setWebhookUrls([`${base}/webhooks/livekit`]);
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
  }, HOOK_MS);
  afterEach(async (ctx) => {
    await context.close();
    await h.close();
    await emu.close();
    await db.cleanup(ctx.task.result?.state === 'pass');
  }, HOOK_MS);

  const signIn = (token = TEST_API_TOKEN) => signInAt(page, base, token);

  it('signs in with the API token into an httpOnly SameSite=Strict cookie, and signs out', async () => {
    await signIn();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: 'lka_session',
      httpOnly: true,
      sameSite: 'Strict',
      secure: false,
      path: '/',
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${base}/sessions`);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByLabel('API token').waitFor();
  });

  it('refuses a wrong token with an error and sets no cookie', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('API token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'That token is not valid',
    );
    expect(await context.cookies()).toEqual([]);
  });

  it('shows a participant joining in the emulator without a reload (server-sent events)', async () => {
    await signIn();
    await page.locator('#live-state[data-state="live"]').waitFor();
    await page.evaluate(() => {
      (window as unknown as { stillThisPage: boolean }).stillThisPage = true;
    });
    expect(await page.locator('[data-room]').count()).toBe(0);

    emu.emulator.connect('physics-lab', { identity: 'zoe', name: 'Zoë Adams' });
    const room = page.locator('[data-room="physics-lab"]');
    await page.locator('[data-room="physics-lab"][data-attending="1"]').waitFor();
    // One room, counting Zoë; who is in it is shown on demand (keyboard: the summary is a button).
    expect(await page.locator('[data-room]').count()).toBe(1);
    expect(await page.locator('[data-count="people"]').textContent()).toBe('1');
    const people = room.locator('details.room-people');
    await room.getByText('Who is here').focus();
    await page.keyboard.press('Enter');
    await people.getByText('Zoë Adams').waitFor();
    const identities = () =>
      room.locator('li.live-person').evaluateAll((li) => li.map((e) => e.dataset.identity));
    expect(await identities()).toEqual(['zoe']);

    // The open list follows the room: Yan joins, and shows up in it without a reload.
    emu.emulator.connect('physics-lab', { identity: 'yan', name: 'Yan Berg' });
    await people.getByText('Yan Berg').waitFor();
    expect(await identities()).toEqual(['yan', 'zoe']);
    expect(await room.getAttribute('data-attending')).toBe('2');
    expect(await page.locator('[data-count="people"]').textContent()).toBe('2');
    expect(await page.evaluate(() => (window as any).stillThisPage)).toBe(true);

    // A reload keeps the room open, its list fetched again.
    await page.reload();
    await room.locator('li.live-person[data-identity="yan"]').waitFor();
  });

  it('shows the session timeline with the right people and statuses, and CSV as the API gives it', async () => {
    await recordEndedClass(h);
    await signIn();
    await page.goto(`${base}/sessions/algebra-1`);
    await page.getByRole('heading', { name: /Algebra 1/ }).waitFor();
    const statusOf = (identity: string) =>
      page.locator(`li.person[data-identity="${identity}"] .status .badge`).first().textContent();
    expect(await statusOf('ana')).toBe('Present');
    expect(await statusOf('bo')).toBe('Late');
    expect(await statusOf('cy')).toBe('Absent');
    expect(await statusOf('gus')).toBe('Late');
    expect(await statusOf('teacher')).toBe('Present');
    // One bar per connection; Ana's breakout stretch is hatched.
    const ana = page.locator('li.person[data-identity="ana"]');
    expect(await ana.locator('rect.bar').count()).toBe(3);
    expect(await ana.locator('.room-breakout rect.bar').count()).toBe(1);
    expect(await page.locator('li.person[data-identity="cy"] rect.bar').count()).toBe(0);
    await expect(page.locator('body').textContent()).resolves.toContain(
      'times in Europe/Istanbul (GMT+3)',
    );
    await expect(page.getByText('Final report.').count()).resolves.toBe(1);
    await expect(page.locator('#absent + ul').textContent()).resolves.toContain('Cy Park');
    await expect(page.locator('#guests + ul').textContent()).resolves.toContain('Gus Guest');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV' }).click();
    const file = await (await download).path();
    const { readFile } = await import('node:fs/promises');
    const api = await h.api('/api/v1/sessions/algebra-1/attendance?format=csv');
    expect(await readFile(file, 'utf8')).toBe(api.body);
  });

  it('records an override made in the form in the report and the audit trail', async () => {
    await recordEndedClass(h);
    await signIn();
    await page.goto(`${base}/sessions/algebra-1/participants/cy`);
    await page.getByLabel('Status').selectOption('excused');
    await page.getByLabel('Reason').fill('Doctor’s note');
    await page.getByLabel('Your name').fill('Ms Teacher');
    await page.getByRole('button', { name: 'Save override' }).click();
    await page.getByText('Override saved').waitFor();
    await expect(page.locator('h1 .badge').textContent()).resolves.toBe('Excused (set by hand)');
    const audit = page.locator('table.audit tr[data-action="override.set"]');
    const cells = await audit.locator('td').allTextContents();
    expect(cells.slice(1).map((c) => c.trim())).toEqual([
      'Status set by hand',
      'Excused',
      'api',
      'Ms Teacher',
      'Doctor’s note',
    ]);

    const report = await h.api('/api/v1/sessions/algebra-1/attendance');
    const cy = report.json.participants.find((p: any) => p.identity === 'cy');
    expect(cy).toMatchObject({
      status: 'excused',
      computedStatus: 'absent',
      override: { status: 'excused', reason: 'Doctor’s note', author: 'Ms Teacher' },
    });
    const trail = await h.api('/api/v1/audit?session=algebra-1&identity=cy');
    expect(trail.json.entries.map((e: any) => [e.action, e.actor, e.reason])).toEqual([
      ['override.set', 'Ms Teacher', 'Doctor’s note'],
    ]);
  });

  it('shows a read-only token no override form, and refuses its posts', async () => {
    await recordEndedClass(h);
    await signIn(READ_TOKEN);
    await page.goto(`${base}/sessions/algebra-1/participants/cy`);
    await page.getByText('read-only token').first().waitFor();
    const overrideControls = async () => ({
      forms: await page.locator('main form').count(),
      reason: await page.getByLabel('Reason').count(),
      buttons: await page.getByRole('button', { name: /override/i }).count(),
    });
    // The rest of the page is there (the person, their connections, the audit trail)...
    await expect(page.locator('main h1').textContent()).resolves.toContain('Cy Park');
    await expect(page.locator('main').textContent()).resolves.toContain('Audit trail');
    // ...and nothing that changes attendance.
    expect(await overrideControls()).toEqual({ forms: 0, reason: 0, buttons: 0 });
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const res = await page.request.post(`${base}/sessions/algebra-1/participants/cy/override`, {
      form: { _csrf: csrf, status: 'excused', reason: 'forged', author: 'someone' },
    });
    expect(res.status()).toBe(403);
    const report = await h.api('/api/v1/sessions/algebra-1/attendance');
    expect(report.json.participants.find((p: any) => p.identity === 'cy').status).toBe('absent');

    // The same page for the admin token has them: the checks above would catch a leaked form.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    await signIn();
    await page.goto(`${base}/sessions/algebra-1/participants/cy`);
    await page.locator('main h1').waitFor();
    expect(await overrideControls()).toEqual({ forms: 1, reason: 1, buttons: 1 });
  });

  it('draws the analytics charts from tables that agree with the API', async () => {
    await recordAlgebraCourse(h);
    await recordEndedClass(h);
    await signIn();
    await page.goto(`${base}/analytics?tag=algebra`);
    const rateChart = page.locator('figure[data-chart="rate"]');
    await rateChart.locator('canvas').waitFor();
    const api = (await h.api('/api/v1/analytics?tag=algebra')).json;
    const plotted = async (chart: string) =>
      JSON.parse(
        (await page.locator(`figure[data-chart="${chart}"]`).getAttribute('data-plotted'))!,
      );
    expect(await plotted('rate')).toEqual({
      x: api.sessions.map((s: any) => Date.parse(s.startsAt) / 1000),
      y: api.sessions.map((s: any) => s.attendanceRate),
    });
    const session = api.sessions.at(-1);
    expect(await plotted('present')).toEqual({
      x: session.presentOverTime.map((p: any) => Date.parse(p.at) / 1000),
      y: session.presentOverTime.map((p: any) => p.present),
    });
    expect(await page.locator('#rate-table tbody td.num:last-child').allTextContents()).toEqual(
      api.sessions.map((s: any) => `${s.attendanceRate} %`),
    );
    const peopleRates = await page
      .locator('#people-table tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [
          r.getAttribute('data-identity'),
          r.querySelector('.rate-cell')?.textContent?.trim(),
        ]),
      );
    expect(peopleRates).toEqual(
      api.people.map((p: any) => [
        p.identity,
        p.attendanceRate === null ? '—' : `${String(p.attendanceRate).replace(/\.0$/, '')} %`,
      ]),
    );
  });
});
