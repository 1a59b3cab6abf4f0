// `npm run bench` (after bench/run.js): the dashboard's first view in Chromium with 200 rooms × 30
// people connected, opening one room to see who is in it, and the JavaScript a page can load,
// gzipped. Issue #11's targets: the first view renders in under 1 s; the JavaScript is under
// 150 KB gzipped.
//   node bench/dashboard.js     (needs `npm run build` and Debian's chromium at /usr/bin/chromium)
// Writes bench/dashboard.json; prints a table. Skips, and says so, without Chromium.
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generateWebhooks } from './webhooks.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, '..', 'dist');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'bench-api-token-0123456789';
const ROOMS = 200;
const PEOPLE = 30;
const VIEWS = 7;

/** Every .js file the dashboard serves, gzipped (level 9, as a server's static gzip would). */
function javascriptSizes(dir) {
  const files = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.js')) files.push(path);
    }
  };
  walk(dir);
  return files.map((path) => {
    const bytes = readFileSync(path);
    return {
      file: path.slice(dir.length + 1),
      bytes: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
    };
  });
}

async function main() {
  const assets = join(DIST, 'dashboard');
  if (!existsSync(join(DIST, 'main.js')) || !existsSync(assets)) {
    throw new Error('run `npm run build` first (dist/ and dist/dashboard/ are missing)');
  }
  const js = javascriptSizes(assets);
  const totalGzip = js.reduce((a, f) => a + f.gzip, 0);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg()[0],
    javascript: {
      files: js,
      totalGzipBytes: totalGzip,
      target: 150 * 1024,
      pass: totalGzip < 150 * 1024,
    },
    firstView: null,
  };
  if (!existsSync(CHROMIUM)) {
    result.firstView = { skipped: `no Chromium at ${CHROMIUM} (apt-get install chromium)` };
  } else {
    result.firstView = await measureFirstView();
  }
  writeFileSync(join(HERE, 'dashboard.json'), `${JSON.stringify(result, null, 2)}\n`);
  const fv = result.firstView;
  console.log(
    `\ndashboard (${ROOMS} rooms × ${PEOPLE} people; load average ${result.loadAverage.toFixed(2)})`,
  );
  console.log(
    `| measurement | value | target | result |\n| --- | --- | --- | --- |\n` +
      (fv.skipped
        ? `| first view in Chromium | skipped: ${fv.skipped} | < 1 s | — |\n`
        : `| first view in Chromium (sign-in done; navigation to all ${ROOMS} rooms shown), median of ${VIEWS} | ${fv.medianMs} ms (min ${fv.minMs}, max ${fv.maxMs}; HTML ${(fv.lastView.bytes / 1e6).toFixed(2)} MB, first byte ${fv.lastView.ttfbMs} ms, DOM ready ${fv.lastView.domContentLoadedMs} ms) | < 1,000 ms | ${fv.medianMs < 1000 ? 'met' : 'missed'} |\n` +
          `| opening a room until its ${PEOPLE} people are listed, median of ${VIEWS} | ${fv.openRoom.medianMs} ms (${fv.openRoom.timesMs.join(', ')}) | — | — |\n`) +
      `| JavaScript a page can load, gzipped (every dashboard .js file) | ${(totalGzip / 1024).toFixed(1)} KiB | < 150 KiB | ${result.javascript.pass ? 'met' : 'missed'} |`,
  );
  console.log('wrote bench/dashboard.json');
}

async function measureFirstView() {
  const { loadConfig } = await import(join(DIST, 'config/index.js'));
  const { createRuntime, buildRuntimeApp } = await import(join(DIST, 'main.js'));
  const { createLogger } = await import(join(DIST, 'telemetry/index.js'));
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-dashboard-'));
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(dir, 'dashboard.db')}`,
    LOG_LEVEL: 'silent',
    API_TOKEN: TOKEN,
    API_RATE_LIMIT_PER_MINUTE: '0',
    DEMO: 'off',
    LIVEKIT_API_KEY: 'devkey',
    LIVEKIT_API_SECRET: 'secret',
  });
  const rt = await createRuntime({
    config,
    logger: createLogger({ level: 'silent' }),
    livekit: { url: null, apiKey: 'devkey', apiSecret: 'secret', timeoutMs: 2_000 },
  });
  const app = await buildRuntimeApp(rt, TOKEN);
  let browser;
  try {
    // Everyone joins (the first third of each join/publish/leave block is the joins).
    const hooks = generateWebhooks({
      tag: 'd',
      rooms: ROOMS,
      identitiesPerRoom: PEOPLE,
      count: ROOMS * PEOPLE,
      block: ROOMS * PEOPLE,
      baseMs: Date.now() - 30 * 60_000,
    });
    for (const h of hooks) {
      const res = await app.inject({
        method: 'POST',
        url: '/webhooks/livekit',
        headers: { 'content-type': 'application/webhook+json', authorization: h.token },
        payload: h.body,
      });
      if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
    }
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
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
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${address}/`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .locator('.room')
      .nth(ROOMS - 1)
      .waitFor();
    const times = [];
    for (let i = 0; i < VIEWS; i++) {
      const t0 = performance.now();
      await page.goto(`${address}/`, { waitUntil: 'load' });
      await page
        .locator('.room')
        .nth(ROOMS - 1)
        .waitFor();
      times.push(Math.round(performance.now() - t0));
    }
    const rooms = await page.locator('.room').count();
    // Opening a room: its people are fetched then (/live/people), until all 30 are listed.
    const opens = [];
    for (let i = 0; i < VIEWS; i++) {
      const room = page.locator('.room').nth(i * 29);
      const t0 = performance.now();
      await room.locator('summary').click();
      await room
        .locator('li.live-person')
        .nth(PEOPLE - 1)
        .waitFor();
      opens.push(Math.round(performance.now() - t0));
      await room.locator('summary').click();
    }
    opens.sort((a, b) => a - b);
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return {
        ttfbMs: Math.round(n.responseStart),
        responseEndMs: Math.round(n.responseEnd),
        domContentLoadedMs: Math.round(n.domContentLoadedEventEnd),
        bytes: n.transferSize,
      };
    });

    times.sort((a, b) => a - b);
    return {
      rooms,
      timesMs: times,
      medianMs: times[times.length >> 1],
      minMs: times[0],
      maxMs: times.at(-1),
      target: 1000,
      // Of the last view: where the time goes (the HTML has each room's counts, not its people).
      lastView: nav,
      openRoom: { timesMs: opens, medianMs: opens[opens.length >> 1] },
    };
  } finally {
    await browser?.close();
    await app.close();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench/dashboard.js: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
