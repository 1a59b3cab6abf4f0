import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { putDemoSession, DEMO_SESSION_ID } from '../../src/cli/serve-command.js';
import {
  DEMO_ROOM,
  DEMO_ROSTER,
  DEMO_TEACHER,
  startSimulatedClass,
  type SimulatedClass,
} from '../../src/demo/index.js';
import { startEmulatorServer, type EmulatorServer } from '../../src/emulator/index.js';
import { DEV_API_KEY, DEV_API_SECRET } from '../../src/main.js';
import {
  buildDashboardAssets,
  describeWithBrowser,
  launchBrowser,
  SCREENSHOTS_DIR,
  signIn,
} from '../helpers/browser.js';
import { DIALECTS, type TestDatabase } from '../helpers/dialects.js';
import { createHarness, TEST_API_TOKEN, type Harness } from '../helpers/harness.js';
import { waitUntil } from '../helpers/service-process.js';
import {
  documentWidth,
  focusIndicator,
  headingOrderProblems,
  headingOutline,
  imagesWithoutText,
  lowContrastText,
  motion,
  unnamedControls,
} from './a11y-checks.js';

/*
 * The dashboard on the demo, composed as `serve` composes it without LiveKit configured: the
 * embedded emulator (development key pair) as LiveKit, the demo session written before listening,
 * the emulator's webhooks to the service, the simulated class at its own pace, the reconciler on.
 * The README's screenshots come from here (UPDATE_SCREENSHOTS=1), and the accessibility checks
 * run on every page of it.
 */

/** Building the browser files, launching Chromium, and the demo class filling its room. */
const SETUP_MS = 240_000;
const TEST_MS = 90_000;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 375, height: 812 };
const STATUS_WORDS = /^(Present|Late|Left early|Partial|Absent|Excused)\b/;

describeWithBrowser('the dashboard on the demo class, in Chromium', { timeout: TEST_MS }, () => {
  let browser: Browser;
  let db: TestDatabase;
  let emu: EmulatorServer;
  let h: Harness;
  let demo: SimulatedClass;
  let base: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    let assets: string;
    [browser, assets] = await Promise.all([launchBrowser(), buildDashboardAssets()]);
    await mkdir(SCREENSHOTS_DIR, { recursive: true });
    db = await DIALECTS[0]!.createDatabase();
    emu = await startEmulatorServer({
      port: 0,
      host: '127.0.0.1',
      apiKey: DEV_API_KEY,
      apiSecret: DEV_API_SECRET,
    });
    h = await createHarness({
      databaseUrl: db.url,
      livekitUrl: emu.url,
      dashboardAssetsDir: assets,
    });
    await putDemoSession(h.rt);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    emu.emulator.setWebhookUrls([`${base}/webhooks/livekit`]);
    demo = startSimulatedClass(emu.emulator);
    h.rt.scheduler.start();
    // The class has filled up and settled: the roster has come but for one or two, whoever is in
    // the room has been there long enough (the demo's absentBelowMinutes) not to count absent, and
    // enough of the class has gone by for those there from the start to read present (statuses of
    // a live session are the time so far against the whole class).
    await waitUntil(
      'the demo class to fill up',
      async () => {
        const { json } = await h.api(`/api/v1/sessions/${DEMO_SESSION_ID}/attendance`);
        const people: any[] = json.participants;
        const came = people.filter((p) => p.onRoster && p.attendedMs > 0);
        const settled = people.every((p) => !(p.inMeeting && p.status === 'absent'));
        const present = people.some((p) => p.onRoster && p.status === 'present');
        return came.length >= DEMO_ROSTER.length - 2 && settled && present ? true : undefined;
      },
      {
        ms: 150_000,
        describe: async () =>
          JSON.stringify(
            (await h.api(`/api/v1/sessions/${DEMO_SESSION_ID}/attendance`)).json.participants.map(
              (p: any) => [p.identity, p.status, p.attendedMs],
            ),
          ),
      },
    );
  }, SETUP_MS);

  afterAll(async () => {
    demo?.stop();
    await browser?.close();
    await h?.close();
    await emu?.close();
    await db?.cleanup(true);
  }, SETUP_MS);

  async function freshPage(opts: Parameters<Browser['newContext']>[0] = {}): Promise<void> {
    await context?.close();
    context = await browser.newContext({ viewport: DESKTOP, ...opts });
    page = await context.newPage();
  }

  /**
   * The demo room on the live view, once it counts people (markup-light: room name and a count),
   * opened as a reader opens it, by clicking "Who is here", and showing its people.
   */
  async function openLive(): Promise<void> {
    await page.goto(`${base}/`);
    const room = page.locator(`[data-room="${DEMO_ROOM}"]`);
    await room.getByText(DEMO_ROOM, { exact: true }).waitFor();
    await expect
      .poll(async () => Number((await room.textContent())?.match(/(\d+)\s+people/)?.[1] ?? 0))
      .toBeGreaterThanOrEqual(3);
    await room.getByText('Who is here').click();
    await expect.poll(() => room.locator('li.live-person').count()).toBeGreaterThanOrEqual(3);
    await room.locator(`li.live-person[data-identity="${DEMO_TEACHER.identity}"]`).waitFor();
  }

  async function openSession(): Promise<void> {
    await page.goto(`${base}/sessions/${DEMO_SESSION_ID}`);
    await page.getByRole('heading', { name: /Analytical Engines 101/ }).waitFor();
  }

  async function openAnalytics(): Promise<void> {
    await page.goto(`${base}/analytics?tag=demo`);
    await page.locator('figure[data-chart="rate"] canvas').waitFor();
  }

  async function openPerson(): Promise<void> {
    await page.goto(`${base}/sessions/${DEMO_SESSION_ID}/participants/hana`);
    await page.getByRole('heading', { name: /Hana Sato/ }).waitFor();
  }

  const PAGES: ReadonlyArray<[string, () => Promise<void>]> = [
    ['live', openLive],
    ['session', openSession],
    ['person', openPerson],
    ['analytics', openAnalytics],
  ];

  it('screenshots the live view, the demo session and the analytics page', async () => {
    await freshPage();
    await signIn(page, base, TEST_API_TOKEN);

    await openLive();
    await page.screenshot({ path: join(SCREENSHOTS_DIR, 'dashboard-live.png'), fullPage: true });

    await openSession();
    const rows = page.locator('li.person[data-identity]');
    // The whole roster and the teacher, each with a status in words.
    expect(await rows.count()).toBeGreaterThanOrEqual(DEMO_ROSTER.length + 1);
    const badges = await rows.evaluateAll((li) =>
      li.map((e) => e.querySelector('.status .badge')?.textContent?.trim() ?? ''),
    );
    expect(badges.filter((b) => !STATUS_WORDS.test(b))).toEqual([]);
    expect(badges).toContain('Late');
    expect(badges).toContain('Present');
    expect(await page.locator('li.person[data-identity="hana"] .badge').textContent()).toBe(
      'Absent',
    );
    expect(await page.locator('li.person rect.bar').count()).toBeGreaterThanOrEqual(6);
    await page.screenshot({ path: join(SCREENSHOTS_DIR, 'dashboard-session.png'), fullPage: true });

    await openAnalytics();
    await page.locator('figure[data-chart="present"] canvas').waitFor();
    expect(await page.locator('#rate-table tbody tr').count()).toBe(1);
    expect(await page.locator('#present-table tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#people-table tbody tr').count()).toBe(DEMO_ROSTER.length + 1);
    await page.screenshot({
      path: join(SCREENSHOTS_DIR, 'dashboard-analytics.png'),
      fullPage: true,
    });
  });

  it('has accessibility checks that catch what they look for (a page with each defect)', async () => {
    await freshPage({ viewport: PHONE });
    await page.setContent(`<!doctype html><html><head><style>
        .spin { animation: spin 1s infinite; } @keyframes spin { to { rotate: 1turn; } }
        .wide { width: 600px; } button:focus { outline: none; } .faint { color: #aaa; }
      </style></head><body>
        <h1>Title</h1><h3>Skipped a level</h3><h1>Second h1</h1>
        <input name="q" placeholder="not a label"><select></select><button></button>
        <img src="x.png"><svg width="10" height="10"></svg>
        <figure data-chart="rate" data-table="missing" aria-hidden="true"></figure>
        <div class="spin wide">wide and spinning</div><button>Go</button>
        <p class="faint">faint text</p>
      </body></html>`);
    expect((await unnamedControls(page)).length).toBe(3);
    expect((await imagesWithoutText(page)).length).toBe(3);
    expect(headingOrderProblems(await headingOutline(page))).toEqual([
      'not exactly one h1',
      'skips a level: h3 Skipped a level',
    ]);
    expect(await documentWidth(page)).toBeGreaterThan(PHONE.width);
    expect(await lowContrastText(page)).toEqual(['2.32 p.faint "faint text"']);
    expect(await motion(page)).toContain('animation spin on div.spin.wide');
    await page.getByRole('button', { name: 'Go' }).focus();
    expect(await focusIndicator(page)).toMatchObject({ element: 'button Go', outline: 'none' });
  });

  it('names every form control and image, and keeps headings in order, on every page', async () => {
    await freshPage();
    await page.goto(`${base}/`);
    const found: Record<string, unknown> = {};
    const check = async (name: string) => {
      const outline = await headingOutline(page);
      found[name] = {
        unnamedControls: await unnamedControls(page),
        imagesWithoutText: await imagesWithoutText(page),
        headings: headingOrderProblems(outline),
      };
    };
    await check('sign-in');
    await signIn(page, base, TEST_API_TOKEN);
    for (const [name, open] of PAGES) {
      await open();
      await check(name);
    }
    const clean = { unnamedControls: [], imagesWithoutText: [], headings: [] };
    expect(found).toEqual({
      'sign-in': clean,
      live: clean,
      session: clean,
      person: clean,
      analytics: clean,
    });
  });

  it('has text in contrast with its background (WCAG AA), in light and dark mode', async () => {
    const found: Record<string, string[]> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      await freshPage({ colorScheme });
      await page.goto(`${base}/`);
      found[`sign-in ${colorScheme}`] = await lowContrastText(page);
      await signIn(page, base, TEST_API_TOKEN);
      for (const [name, open] of PAGES) {
        await open();
        found[`${name} ${colorScheme}`] = await lowContrastText(page);
      }
    }
    expect(Object.fromEntries(Object.entries(found).filter(([, v]) => v.length > 0))).toEqual({});
  });

  it('fits 375 px wide on every page: nothing scrolls sideways', async () => {
    await freshPage({ viewport: PHONE });
    await page.goto(`${base}/`);
    const widths: Record<string, number> = { 'sign-in': await documentWidth(page) };
    await signIn(page, base, TEST_API_TOKEN);
    for (const [name, open] of PAGES) {
      await open();
      widths[name] = await documentWidth(page);
    }
    expect(
      Object.values(widths).every((w) => w <= PHONE.width),
      JSON.stringify(widths),
    ).toBe(true);
  });

  it('signs in with the keyboard alone, showing where the focus is', async () => {
    await freshPage();
    await page.goto(`${base}/`);
    const visiblyFocused = async (): Promise<string> => {
      const f = await focusIndicator(page);
      expect(f.outline !== 'none' && f.outlineWidth >= 2, JSON.stringify(f)).toBe(true);
      return f.element;
    };
    // The field has the focus on arrival; Tab goes round every control, each visibly focused.
    expect(await visiblyFocused()).toBe('input#token');
    const round: string[] = [];
    for (let i = 0; i < 10 && round.at(-1) !== 'input#token'; i++) {
      await page.keyboard.press('Tab');
      // Past the last control and before the first, the focus is on the page itself.
      if ((await focusIndicator(page)).element !== 'body') round.push(await visiblyFocused());
    }
    expect(round).toEqual(['button Sign in', 'a Skip to content', 'input#token']);
    await page.keyboard.type(TEST_API_TOKEN);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Live rooms' }).waitFor();

    // Signed in: the skip link, then the navigation, the same way.
    await page.keyboard.press('Tab');
    expect(await visiblyFocused()).toBe('a Skip to content');
    await page.keyboard.press('Tab');
    expect(await visiblyFocused()).toBe('a LiveKit attendance');
    await page.keyboard.press('Tab');
    expect(await visiblyFocused()).toBe('a Live');
  });

  it('stops every animation and transition under prefers-reduced-motion: reduce', async () => {
    const moving = async (): Promise<Record<string, string[]>> => {
      await signIn(page, base, TEST_API_TOKEN);
      const found: Record<string, string[]> = {};
      for (const [name, open] of PAGES) {
        await open();
        if (name === 'live') await page.locator('[data-state="live"]').waitFor();
        found[name] = await motion(page);
      }
      return found;
    };
    await freshPage({ reducedMotion: 'no-preference' });
    const normally = Object.values(await moving()).flat();
    // Something does move normally (the live dot, the room highlight): the check below means something.
    expect(normally.length).toBeGreaterThan(0);

    await freshPage({ reducedMotion: 'reduce' });
    expect(await moving()).toEqual({ live: [], session: [], person: [], analytics: [] });
  });
});
