// `npm run bench`: one run, all scenarios, so the ratios are comparable.
//   node bench/run.js            the benchmark (about 18 minutes on 2 cores)
//   node bench/run.js --only=verify-only,sqlite-ingest,sqlite-sync,sqlite-reads,session-reads,storm,
//                            postgres,postgres-reads,postgres-storm,postgres-scale,session-report,
//                            ingest-baseline,reconcile
//                                a subset (the bare routes always run: the ratios need them)
//     storm            signed webhooks at 80 % of this run's ingest rate (sqlite-ingest's, measured
//                      first if not in the subset), open loop (bench/storm-worker.js), into a fresh
//                      SQLite file: a warm-up at that rate until the service's memory outside V8's
//                      heap (SQLite's page cache and mmap window) grew < 2 % in 15 s (at least 30 s,
//                      at most 120 s), then 60 s measured on the same schedule; RSS every 5 s; the
//                      target: the measured storm's last sample within 10 % of its first
//                      (BENCH_STORM_S=<s> measures longer; BENCH_STORM_WARMUP_S=<s> changes the
//                      warm-up's cap). Each sample follows a full GC (the server runs with
//                      --expose-gc): a single RSS reading otherwise lands anywhere on V8's
//                      sawtooth (heapTotal swings by ~80 MiB between samples), and what the target
//                      is for is memory kept. BENCH_STORM_GC=0 samples without collecting.
//     postgres-storm   the same on PostgreSQL, at 80 % of the postgres scenario's ingest rate
//     postgres-reads   the sqlite-reads data loaded the same way into PostgreSQL, the same route and
//                      scattered order (PostgreSQL has no status cache: every read is a query)
//     session-reads    on the sqlite-reads data (200 rooms × 50, one session per room whose roster
//                      is that room's identities), GET /api/v1/sessions/{id}/participants/{identity}
//                      beside GET /api/v1/rooms/{room}/participants/{identity}, same order, rounds
//                      alternating (room, session, session, room, twice) on one server, the ratio
//                      the median of the four adjacent pairs'
//     session-report   1,000 people × 10 cycles over 4 rooms, loaded as verified webhooks, one session
//                      whose roster lists the 1,000: GET /api/v1/sessions/{id}/attendance as JSON and
//                      as CSV, sequential requests, p50/p99, on SQLite and PostgreSQL
//     ingest-baseline  builds commit 8abddd3 (the last before sessions, audit trail and webhook
//                      tallies) in a temporary git worktree and ingests the same pre-signed webhooks
//                      into it and into this build, rounds alternating (before, now, now, before,
//                      twice), on SQLite and PostgreSQL, the ratio the median of the four adjacent
//                      pairs'; skipped (not failed) without git history;
//                      BENCH_BASELINE_COMMIT=<rev> compares with another commit instead
//   node bench/run.js --only=ingest-instructions
//                                instructions per webhook of in-process SQLite ingest, this build and
//                                8abddd3, counted by valgrind's callgrind (machine load does not move
//                                it; kernel and HTTP not counted); about 8 minutes, not in the
//                                default set; skipped without valgrind or git history
//   node bench/run.js --only=reconcile-heap
//                                heap over 300 scheduled passes at 1,000 rooms × 20 (about 10
//                                minutes, so not in the default set; BENCH_HEAP_PASSES changes it)
//   node bench/run.js --profile  the same, with --cpu-prof on the server children and a summary of
//                                the hot spots, plus in-process timing of the pieces
//                                (numbers are lower under the profiler; use it for the why, not the what)
// Servers run in child processes pinned to core 0; autocannon runs here, pinned to core 1.
// Environment: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); BENCH_KEEP=1
// keeps the SQLite files in the temp directory for inspection (as --profile does).
import autocannon from 'autocannon';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summariseProfile, printProfile } from './profile.js';
import { generateWebhooks } from './webhooks.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const API_TOKEN = 'bench-api-token-0123456789';
const PG_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PROFILE = process.argv.includes('--profile');
const DEFAULT_SCENARIOS = [
  'verify-only',
  'sqlite-ingest',
  'sqlite-sync',
  'sqlite-reads',
  'session-reads',
  'storm',
  'postgres',
  'postgres-reads',
  'postgres-storm',
  'postgres-scale',
  'session-report',
  'ingest-baseline',
  'reconcile',
];
const SCENARIOS = [...DEFAULT_SCENARIOS, 'reconcile-heap', 'ingest-instructions'];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const ONLY = new Set(onlyArg ? onlyArg.slice('--only='.length).split(',') : DEFAULT_SCENARIOS);
for (const s of ONLY) {
  if (!SCENARIOS.includes(s)) {
    console.error(`unknown scenario ${s}; choose from ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
}
const CONNECTIONS = 64;
const WARMUP_S = 2;
const BARE_S = 5;
const INGEST_S = 10;
const READ_S = 10;
const SQLITE_POOL = 150_000;
/** Webhooks per run of `ingest-instructions`: the difference of the two is what is counted. */
const INSTRUCTION_RUNS = [
  Number(process.env.BENCH_INSTRUCTIONS_FEW ?? 5_000),
  Number(process.env.BENCH_INSTRUCTIONS_MANY ?? 10_000),
];
const PG_POOL = 90_000;
const ROOMS = 200;
const IDENTITIES = 50;
const PROFILE_DIR = join(HERE, 'profiles');
const SESSION_PEOPLE = 1000;
const SESSION_ROOMS = 4;
const SESSION_CYCLES = 10;
const SESSION_REPORT_REQUESTS = 200;
const SESSION_REPORT_S = 15;
const BASELINE_COMMIT = process.env.BENCH_BASELINE_COMMIT ?? '8abddd3';
/** The storm: STORM_SHARE of the ingest rate for STORM_S after a warm-up, memory every STORM_SAMPLE_S. */
const STORM_S = Number(process.env.BENCH_STORM_S ?? 60);
/** Default: the server runs with --expose-gc and each sample follows a full GC; BENCH_STORM_GC=0: not. */
const STORM_GC = process.env.BENCH_STORM_GC !== '0';
const STORM_SHARE = 0.8;
const STORM_SAMPLE_S = 5;
/**
 * The warm-up, at the storm's rate: at least STORM_WARMUP_MIN_S (JIT, V8's heap sizing), then
 * until RSS grew by less than STORM_SETTLE_GROWTH over STORM_SETTLE_S (SQLite's page cache and
 * mmap window filling), at most STORM_WARMUP_CAP_S. 2 % in 15 s is 8 % in a minute: under the
 * target's 10 %, so a warm-up that stops on a slow rise still lets the target catch it.
 */
const STORM_WARMUP_MIN_S = 30;
const STORM_WARMUP_CAP_S = Number(process.env.BENCH_STORM_WARMUP_S ?? 120);
const STORM_SETTLE_S = 15;
const STORM_SETTLE_GROWTH = 0.02;
const STORM_TARGET = `RSS at the storm's ${STORM_S} s within 10 % of its first sample (after the warm-up)`;
const HOUR_MS = 3600_000;

const log = (...a) => console.log(...a);
const rows = [];
/** Peak RSS of each server child, reported as it stops, named by its stopServer title. */
const rss = [];
/** Where results.md/json go (bench/truth runs a subset into a directory of its own). */
const OUT_DIR = process.env.BENCH_RESULTS_DIR ?? HERE;
const notes = [];

// ---------- CPU pinning ----------
let pinned = false;
try {
  execFileSync('which', ['taskset'], { stdio: 'ignore' });
  if (os.cpus().length >= 2) {
    execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
    pinned = true;
  }
} catch {
  pinned = false;
}

// Servers still running when this process ends (a failed scenario) are killed with it.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function spawnServer(mode, env = {}, profileName = null, extraNodeArgs = []) {
  const nodeArgs = [...extraNodeArgs];
  if (profileName) {
    const dir = join(PROFILE_DIR, profileName);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const args = [...nodeArgs, join(HERE, 'server.js'), mode];
  const child = pinned
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        env: { ...process.env, ...env },
      })
    : spawn(process.execPath, args, {
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        env: { ...process.env, ...env },
      });
  children.add(child);
  let maxRssBytes = null;
  child.on('message', (m) => {
    if (m?.type === 'rss') maxRssBytes = m.maxRssBytes;
  });
  const exited = new Promise((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  // The IPC channel closes after the last message (the peak RSS) has been received.
  const disconnected = new Promise((resolve) => child.once('disconnect', resolve));
  const ready = new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d.toString();
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server ${mode} exited early (${code})`)));
  });
  return {
    ready,
    child,
    mode,
    db: env.BENCH_DATABASE_URL?.split(':')[0],
    /** The server's peak resident set, once it has stopped (null before, or if it did not say). */
    get maxRssBytes() {
      return maxRssBytes;
    },
    async stop() {
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await Promise.all([exited, disconnected]);
      clearTimeout(timer);
      if (!profileName) return null;
      const dir = join(PROFILE_DIR, profileName);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      return file ? join(dir, file) : null;
    },
  };
}

/** Runs autocannon; `next()` (optional) gives each request's {method,path,headers,body}. */
function load({
  port,
  duration,
  method = 'GET',
  path = '/',
  headers,
  body,
  next,
  requests,
  connections = CONNECTIONS,
}) {
  return new Promise((resolve, reject) => {
    let instance;
    const opts = {
      url: `http://127.0.0.1:${port}${path}`,
      connections,
      duration,
      method,
      headers,
      body,
    };
    if (requests) {
      // A fixed list autocannon cycles through: built once, so the load generator stays cheap.
      opts.requests = requests;
    } else if (next) {
      opts.requests = [
        {
          setupRequest: (req) => {
            const r = next();
            if (r === null) {
              setImmediate(() => instance?.stop());
              return req;
            }
            return { ...req, ...r };
          },
        },
      ];
    }
    instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Like load(), with autocannon in a fresh child process pinned to the load core (see load-worker.js). */
function loadInChild({ port, duration, paths, headers }) {
  const opts = JSON.stringify({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration,
    paths,
    headers,
  });
  const args = [join(HERE, 'load-worker.js')];
  const run = { input: opts, maxBuffer: 64 * 1024 * 1024 };
  const out = pinned
    ? execFileSync('taskset', ['-c', '1', process.execPath, ...args], run)
    : execFileSync(process.execPath, args, run);
  return JSON.parse(out.toString());
}

function summarise(result) {
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    durationS: result.duration,
  };
}

function addRow(name, s, extra = {}) {
  const row = { name, ...s, ...extra };
  rows.push(row);
  const bad = s.non2xx || s.errors ? `  (non-2xx ${s.non2xx}, errors ${s.errors})` : '';
  log(
    `  ${name}: ${fmt(s.rps)}/s  p50 ${s.p50} ms  p99 ${s.p99} ms  (${s.ok} ok in ${s.durationS.toFixed(1)} s)${bad}`,
  );
  return row;
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const enc = encodeURIComponent;
const iso = (ms) => new Date(ms).toISOString();
const roomStatusPath = ([room, identity]) =>
  `/api/v1/rooms/${enc(room)}/participants/${enc(identity)}`;
/** The read scenarios' data set, loaded once (see readData). */
let readDataPromise = null;

/** Rounds of one setting as one row: rates averaged, the worst p50/p99, counts summed. */
function combineRounds(list) {
  return {
    rps: list.reduce((a, r) => a + r.rps, 0) / list.length,
    p50: Math.max(...list.map((r) => r.p50)),
    p99: Math.max(...list.map((r) => r.p99)),
    total: list.reduce((a, r) => a + r.total, 0),
    ok: list.reduce((a, r) => a + r.ok, 0),
    non2xx: list.reduce((a, r) => a + r.non2xx, 0),
    errors: list.reduce((a, r) => a + r.errors, 0),
    durationS: list.reduce((a, r) => a + r.durationS, 0),
  };
}

/**
 * Rounds run in `order`, two kinds alternating in pairs (rounds 1–2, 3–4, …), each kind's results
 * in `rounds[kind]` in run order: each pair's throughput of kind `measured` over the other's.
 */
function adjacentPairRatios(order, rounds, measured) {
  const seen = Object.fromEntries(Object.keys(rounds).map((kind) => [kind, 0]));
  const results = order.map((kind) => ({ kind, s: rounds[kind][seen[kind]++] }));
  const ratios = [];
  for (let i = 0; i + 1 < order.length; i += 2) {
    const pair = [results[i], results[i + 1]];
    const top = pair.find((r) => r.kind === measured);
    const bottom = pair.find((r) => r.kind !== measured);
    if (!top || !bottom) throw new Error(`rounds ${i + 1} and ${i + 2} are not one of each kind`);
    ratios.push(top.s.rps / bottom.s.rps);
  }
  return ratios;
}

function median(values) {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A cursor over pre-signed webhooks; null when the pool is used up (the run then stops). */
function webhookCursor(pool) {
  let i = 0;
  return {
    get used() {
      return i;
    },
    next() {
      if (i >= pool.length) return null;
      const w = pool[i++];
      return {
        method: 'POST',
        path: '/webhooks/livekit',
        headers: { 'content-type': 'application/webhook+json', authorization: w.token },
        body: w.body,
      };
    },
  };
}

async function ingestScenario({ label, port, pool, warmup }) {
  const wc = webhookCursor(warmup);
  const w = await load({ port, duration: WARMUP_S, next: () => wc.next() });
  const cursor = webhookCursor(pool);
  const result = await load({ port, duration: INGEST_S, next: () => cursor.next() });
  if (cursor.used >= pool.length)
    notes.push(`${label}: the pool of ${pool.length} webhooks ran out`);
  // Stored rows must lie between the 2xx answers and the requests built (autocannon builds each
  // client's next request ahead, and aborts those in flight when the run stops).
  return { s: summarise(result), answered: w['2xx'] + result['2xx'], built: wc.used + cursor.used };
}

/** A service child on `env` (and node `nodeArgs`) for fn(port, server), stopped after fn. */
async function withServer(env, profileName, title, fn, nodeArgs = []) {
  const server = spawnServer('service', env, PROFILE && profileName ? profileName : null, nodeArgs);
  const port = await server.ready;
  try {
    return await fn(port, server);
  } finally {
    await stopServer(server, title);
  }
}

/** GETs of one path from autocannon in this process: WARMUP_S unmeasured, then `duration`. */
async function measureAutocannon(port, path, duration) {
  await load({ port, duration: WARMUP_S, path });
  return summarise(await load({ port, duration, path }));
}

/**
 * Authorised GETs cycling through `paths`, from autocannon in a fresh child (loadInChild):
 * WARMUP_S unmeasured, then `duration`.
 */
function measureReads(port, paths, duration = READ_S) {
  const headers = { authorization: `Bearer ${API_TOKEN}` };
  loadInChild({ port, duration: WARMUP_S, paths, headers });
  return summarise(loadInChild({ port, duration, paths, headers }));
}

const profiles = [];
async function stopServer(server, title) {
  const file = await server.stop();
  if (file) profiles.push({ title, file });
  if (server.maxRssBytes !== null)
    rss.push({
      server: title,
      mode: server.mode,
      ...(server.db ? { db: server.db } : {}),
      maxRssBytes: server.maxRssBytes,
    });
}

// ---------- header ----------
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  pinned: pinned ? 'server on core 0, autocannon on core 1 (taskset)' : 'not pinned',
  connections: CONNECTIONS,
  profile: PROFILE,
  loadAvgAtStart: os.loadavg()[0],
};
log(`livekit-attendance bench — ${meta.date}`);
log(
  `node ${meta.node}, ${meta.cpus} CPUs (${meta.cpuModel}), ${meta.pinned}, ${CONNECTIONS} connections`,
);
log(`load average (1 min) at start: ${meta.loadAvgAtStart.toFixed(2)}`);
if (meta.loadAvgAtStart > meta.cpus * 0.5)
  notes.push(
    `machine was busy: 1-min load average ${meta.loadAvgAtStart.toFixed(2)} on ${meta.cpus} CPUs at start; numbers are pessimistic`,
  );
if (PROFILE) log('PROFILE MODE: servers run under --cpu-prof; throughput is lower than normal');

// ---------- 1. bare Fastify ----------
log('\n[1] bare Fastify routes');
let bare;
{
  const server = spawnServer('bare', {}, PROFILE ? 'bare' : null);
  const port = await server.ready;
  const sample = generateWebhooks({ tag: 'b', rooms: 1, identitiesPerRoom: 1, count: 1 })[0].body;
  await load({ port, duration: WARMUP_S, path: '/bare' });
  const post = summarise(
    await load({
      port,
      duration: BARE_S,
      method: 'POST',
      path: '/bare',
      headers: { 'content-type': 'application/json' },
      body: sample,
    }),
  );
  const get = summarise(await load({ port, duration: BARE_S, path: '/bare' }));
  bare = { post, get };
  addRow('bare POST {ok:true}', post);
  addRow('bare GET small JSON', get);
  await stopServer(server, 'bare');
}

// ---------- 1b. the verify-only route: the ceiling for ingest ----------
if (ONLY.has('verify-only')) {
  log('\n[1b] verify-only webhook route (WebhookReceiver, no store)');
  const server = spawnServer('verify');
  const port = await server.ready;
  const warmup = generateWebhooks({ tag: 'vw', rooms: 50, identitiesPerRoom: 20, count: 30_000 });
  const pool = generateWebhooks({
    tag: 'v',
    rooms: ROOMS,
    identitiesPerRoom: IDENTITIES,
    count: SQLITE_POOL,
  });
  const { s } = await ingestScenario({ label: 'verify-only', port, pool, warmup });
  addRow('verify-only webhook route (WebhookReceiver)', s, {
    ratio: s.rps / bare.post.rps,
    ratioTo: 'bare POST',
  });
  await stopServer(server, 'verify-only');
}

// ---------- 2 + 4. SQLite: ingest, then reads ----------
const sqliteDir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-'));
const sqliteFile = join(sqliteDir, 'attendance.db');
let sqliteIngest;
try {
  if (ONLY.has('sqlite-ingest')) await sqliteIngestScenario();
  if (ONLY.has('sqlite-sync')) await sqliteSyncScenario();
  if (ONLY.has('sqlite-reads')) {
    log('\n[4] status reads on SQLite');
    await statusReadScenario('SQLite', `sqlite:${(await readData()).readFile}`);
  }
  if (ONLY.has('session-reads')) await sessionReadScenario();
  if (ONLY.has('storm')) {
    // The storm's rate is 80 % of this run's ingest rate: measured here if not asked for.
    if (!sqliteIngest) await sqliteIngestScenario();
    const file = join(sqliteDir, 'storm.db');
    await stormScenario({
      label: 'SQLite',
      databaseUrl: `sqlite:${file}`,
      ingest: sqliteIngest,
      tag: 'st',
      countStored: () => sqliteInboxCount(file),
      fileBytes: () => sqliteFileBytes(file),
    });
  }
} finally {
  if (!PROFILE && !process.env.BENCH_KEEP) rmSync(sqliteDir, { recursive: true, force: true });
}

/** The pre-signed webhooks both SQLite ingest scenarios send: a warm-up set and the measured pool. */
function signSqlitePools() {
  const t0 = performance.now();
  const warmup = generateWebhooks({ tag: 'w', rooms: 50, identitiesPerRoom: 20, count: 30_000 });
  const pool = generateWebhooks({
    tag: '',
    rooms: ROOMS,
    identitiesPerRoom: IDENTITIES,
    count: SQLITE_POOL,
  });
  log(`  signed ${fmt(warmup.length + pool.length)} webhooks in ${fmt(performance.now() - t0)} ms`);
  return { warmup, pool };
}

async function sqliteIngestScenario() {
  log('\n[2] verified webhook ingest → SQLite');
  const { warmup, pool } = signSqlitePools();
  const server = spawnServer(
    'service',
    { BENCH_DATABASE_URL: `sqlite:${sqliteFile}` },
    PROFILE ? 'sqlite-ingest' : null,
  );
  const port = await server.ready;
  const { s, answered, built } = await ingestScenario({ label: 'sqlite', port, pool, warmup });
  sqliteIngest = addRow('webhook ingest, SQLite', s, {
    ratio: s.rps / bare.post.rps,
    ratioTo: 'bare POST',
    target: '≥ 8,000/s',
    pass: s.rps >= 8000 && s.non2xx === 0 && s.errors === 0,
  });
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(sqliteFile, { readonly: true, fileMustExist: true });
  const stored = db.prepare('select count(*) as n from inbox').get().n;
  const cycles = db.prepare('select count(*) as n from cycles').get().n;
  db.close();
  log(
    `  stored ${fmt(stored)} inbox rows (${fmt(answered)} answered 2xx, ${fmt(built)} built), ${fmt(cycles)} cycles`,
  );
  if (stored < answered || stored > built)
    notes.push(`sqlite: ${answered} webhooks answered 2xx but ${stored} stored`);
  sqliteIngest.stored = stored;
  await stopServer(server, 'sqlite ingest');
}

/**
 * The durable setting beside the old one: ingest into fresh files with synchronous=NORMAL and
 * =FULL, alternating (N, F, N, F) so that a machine that gets busier or quieter during the run
 * weighs on both alike. The same pre-signed webhooks go to every file.
 */
async function sqliteSyncScenario() {
  log('\n[2b] webhook ingest → SQLite, synchronous=NORMAL (before) and FULL (now the default)');
  const { warmup, pool } = signSqlitePools();
  const { default: Database } = await import('better-sqlite3');
  const rounds = { normal: [], full: [] };
  for (const [i, level] of ['normal', 'full', 'normal', 'full'].entries()) {
    const file = join(sqliteDir, `sync-${i}-${level}.db`);
    const server = spawnServer('service', {
      BENCH_DATABASE_URL: `sqlite:${file}`,
      BENCH_SQLITE_SYNCHRONOUS: level,
    });
    const port = await server.ready;
    const { s, answered, built } = await ingestScenario({
      label: `sqlite ${level}`,
      port,
      pool,
      warmup,
    });
    await stopServer(server, `sqlite ingest ${level}`);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    const stored = db.prepare('select count(*) as n from inbox').get().n;
    db.close();
    if (stored < answered || stored > built)
      notes.push(`sqlite ${level}: ${answered} webhooks answered 2xx but ${stored} stored`);
    log(
      `  round ${i + 1}, synchronous=${level.toUpperCase()}: ${fmt(s.rps)}/s p50 ${s.p50} ms p99 ${s.p99} ms` +
        ` (stored ${fmt(stored)}, non-2xx ${s.non2xx}, errors ${s.errors})`,
    );
    rounds[level].push(s);
  }
  const normal = combineRounds(rounds.normal);
  const full = combineRounds(rounds.full);
  addRow('webhook ingest, SQLite, synchronous=NORMAL (old)', normal, {
    ratio: normal.rps / bare.post.rps,
    ratioTo: 'bare POST',
    rounds: rounds.normal,
  });
  const ratio = full.rps / normal.rps;
  addRow('webhook ingest, SQLite, synchronous=FULL', full, {
    ratio,
    ratioTo: 'NORMAL',
    target: '≥ 0.8× NORMAL',
    pass: ratio >= 0.8 && full.non2xx === 0 && full.errors === 0,
    rounds: rounds.full,
  });
}

/** Sends every webhook (64 at a time), then the last few again one by one (see below). */
async function sendAll(port, hooks) {
  let h = 0;
  const result = await load({
    port,
    duration: 300,
    next: () => {
      const w = hooks[h++];
      if (!w) return null;
      return {
        method: 'POST',
        path: '/webhooks/livekit',
        headers: { 'content-type': 'application/webhook+json', authorization: w.token },
        body: w.body,
      };
    },
  });
  // autocannon stops with requests of the last round in flight; sent again, the stored ones are
  // dropped as duplicates and the lost ones stored, so the data set is complete.
  for (const w of hooks.slice(-2 * CONNECTIONS)) {
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/livekit`, {
      method: 'POST',
      headers: { 'content-type': 'application/webhook+json', authorization: w.token },
      body: w.body,
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
  }
  const s = summarise(result);
  s.statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, v]) => [code, v.count]),
  );
  return s;
}

/**
 * The read scenarios' data: a class as it looks mid-session, every identity joined, left once and
 * rejoined (two cycles, the second open), sent through the verified webhook path into the database
 * at `databaseUrl`.
 */
async function loadReadData(databaseUrl) {
  const participants = ROOMS * IDENTITIES;
  const classHooks = generateWebhooks({
    tag: '',
    rooms: ROOMS,
    identitiesPerRoom: IDENTITIES,
    count: participants * 5,
    block: participants,
  });
  await withServer({ BENCH_DATABASE_URL: databaseUrl }, null, 'read data loader', (port) =>
    sendAll(port, classHooks),
  );
}

/** Every [room, identity] of the read data, in a scattered order (cycled for a whole run). */
function readPairs() {
  const ordered = [];
  for (let r = 0; r < ROOMS; r++) {
    for (let i = 0; i < IDENTITIES; i++) ordered.push([`room-${r}`, `user-${r}-${i}`]);
  }
  return ordered.map((_, k) => ordered[(k * 7919) % ordered.length]);
}

/** The SQLite read data, loaded once for the scenarios that share it. */
function readData() {
  readDataPromise ??= (async () => {
    const readFile = join(sqliteDir, 'reads.db');
    await loadReadData(`sqlite:${readFile}`);
    return { readFile, pairs: readPairs() };
  })();
  return readDataPromise;
}

/**
 * Status reads (GET /api/v1/rooms/{room}/participants/{identity}) of the read data in `databaseUrl`
 * (loaded by the caller), every identity in the scattered order, in a server as shipped; on SQLite
 * also the service's own /healthz beside it and the reads with the status cache off (PostgreSQL
 * has no cache: every read is a query).
 */
async function statusReadScenario(label, databaseUrl) {
  const paths = readPairs().map(roomStatusPath);
  const sqlite = label === 'SQLite';
  const slug = label.toLowerCase();
  // As shipped: on SQLite, repeated reads between writes come from the status cache.
  await withServer(
    { BENCH_DATABASE_URL: databaseUrl },
    `${slug}-reads`,
    `${slug} reads`,
    async (port) => {
      if (sqlite) {
        const hz = await measureAutocannon(port, '/healthz', BARE_S);
        addRow('real app GET /healthz (no DB)', hz, {
          ratio: hz.rps / bare.get.rps,
          ratioTo: 'bare GET',
        });
      }
      const rs = measureReads(port, paths);
      const clean = rs.non2xx === 0 && rs.errors === 0;
      addRow(`status read, ${label}`, rs, {
        ratio: rs.rps / bare.get.rps,
        ratioTo: 'bare GET',
        ...(sqlite
          ? { target: '≥ 20,000/s, p99 < 10 ms', pass: rs.rps >= 20_000 && rs.p99 < 10 && clean }
          : { target: 'reported: reads/s, p50/p99', ...(clean ? {} : { pass: false }) }),
      });
    },
  );
  if (!sqlite) return;
  // Every read a query, as when webhooks keep arriving (each write empties the cache).
  await withServer(
    { BENCH_DATABASE_URL: databaseUrl, BENCH_STATUS_CACHE_ENTRIES: '0' },
    'sqlite-reads-uncached',
    'sqlite reads, cache off',
    (port) => {
      const ru = measureReads(port, paths);
      addRow('status read, SQLite, cache off', ru, {
        ratio: ru.rps / bare.get.rps,
        ratioTo: 'bare GET',
      });
    },
  );
}

/** An admin connection to PG_URL, or null (with a notice saying what is skipped) if unreachable. */
async function connectPgAdmin(skipped) {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
    return admin;
  } catch (e) {
    const msg = `PostgreSQL at ${PG_URL} is not reachable (${e.message}): ${skipped}`;
    log(`  NOTICE: ${msg}`);
    notes.push(msg);
    return null;
  }
}

// ---------- 3. PostgreSQL: ingest, status reads, storm ----------
const pgScenarios = ['postgres', 'postgres-reads', 'postgres-storm'].filter((x) => ONLY.has(x));
if (pgScenarios.length > 0) {
  const admin = await connectPgAdmin(`${pgScenarios.join(', ')} skipped`);
  if (!admin) {
    const skipped = { skipped: true, reason: 'PostgreSQL unreachable' };
    if (ONLY.has('postgres'))
      rows.push({ name: 'webhook ingest, PostgreSQL', ...skipped, target: '≥ 4,000/s' });
    if (ONLY.has('postgres-reads'))
      rows.push({ name: 'status read, PostgreSQL', ...skipped, target: 'reported' });
    if (ONLY.has('postgres-storm'))
      rows.push({ name: 'webhook storm, PostgreSQL', ...skipped, target: STORM_TARGET });
  } else {
    try {
      // The storm's rate is 80 % of this run's ingest rate: measured here even if not asked for.
      const ingest =
        ONLY.has('postgres') || ONLY.has('postgres-storm')
          ? await postgresIngestScenario(admin)
          : null;
      if (ONLY.has('postgres-reads')) {
        log('\n[3c] status reads on PostgreSQL (the SQLite read data, loaded the same way)');
        await withPgSchema(admin, async (url) => {
          await loadReadData(url);
          await statusReadScenario('PostgreSQL', url);
        });
      }
      if (ONLY.has('postgres-storm'))
        await withPgSchema(admin, (url, schema) =>
          stormScenario({
            label: 'PostgreSQL',
            databaseUrl: url,
            ingest,
            tag: 'pst',
            countStored: async () =>
              Number((await admin.query(`select count(*) as n from "${schema}".inbox`)).rows[0].n),
          }),
        );
    } finally {
      await admin.end();
    }
  }
}

/** Verified webhook ingest into a fresh PostgreSQL schema; its row. */
async function postgresIngestScenario(admin) {
  log(
    `\n[3] verified webhook ingest → PostgreSQL${ONLY.has('postgres') ? '' : ' (for the storm rate)'}`,
  );
  const warmup = generateWebhooks({ tag: 'pw', rooms: 50, identitiesPerRoom: 20, count: 15_000 });
  const pool = generateWebhooks({
    tag: 'p',
    rooms: ROOMS,
    identitiesPerRoom: IDENTITIES,
    count: PG_POOL,
  });
  return withPgSchema(admin, async (url, schema) => {
    const { s, answered, built } = await withServer(
      { BENCH_DATABASE_URL: url },
      'postgres',
      'postgres ingest',
      (port) => ingestScenario({ label: 'postgres', port, pool, warmup }),
    );
    const row = addRow('webhook ingest, PostgreSQL', s, {
      ratio: s.rps / bare.post.rps,
      ratioTo: 'bare POST',
      target: '≥ 4,000/s',
      pass: s.rps >= 4000 && s.non2xx === 0 && s.errors === 0,
    });
    const stored = Number(
      (await admin.query(`select count(*) as n from "${schema}".inbox`)).rows[0].n,
    );
    row.stored = stored;
    log(`  stored ${fmt(stored)} inbox rows (${fmt(answered)} answered 2xx, ${fmt(built)} built)`);
    if (stored < answered || stored > built)
      notes.push(`postgres: ${answered} webhooks answered 2xx but ${stored} stored`);
    return row;
  });
}

// ---------- 3b. PostgreSQL ingest, one and two service processes ----------
/** Two autocannon instances of half the connections each, one per port, sharing one cursor. */
async function loadSplit({ ports, duration, cursor }) {
  const results = await Promise.all(
    ports.map((port) =>
      load({ port, duration, connections: CONNECTIONS / 2, next: () => cursor.next() }),
    ),
  );
  const parts = results.map(summarise);
  return {
    rps: parts.reduce((a, p) => a + p.ok, 0) / Math.max(...parts.map((p) => p.durationS)),
    p50: Math.max(...parts.map((p) => p.p50)),
    p99: Math.max(...parts.map((p) => p.p99)),
    total: parts.reduce((a, p) => a + p.total, 0),
    ok: parts.reduce((a, p) => a + p.ok, 0),
    non2xx: parts.reduce((a, p) => a + p.non2xx, 0),
    errors: parts.reduce((a, p) => a + p.errors, 0),
    durationS: Math.max(...parts.map((p) => p.durationS)),
  };
}

if (ONLY.has('postgres-scale')) {
  log('\n[3b] verified webhook ingest → PostgreSQL, 1 and 2 service processes on one database');
  const admin = await connectPgAdmin('1 vs 2 processes skipped');
  if (admin) {
    const warmup = generateWebhooks({ tag: 'pw', rooms: 50, identitiesPerRoom: 20, count: 15_000 });
    const pool = generateWebhooks({
      tag: 'p',
      rooms: ROOMS,
      identitiesPerRoom: IDENTITIES,
      count: PG_POOL,
    });
    const scale = {};
    try {
      for (const processes of [1, 2]) {
        const schema = `bench_${process.pid}_${randomBytes(4).toString('hex')}`;
        await admin.query(`create schema "${schema}"`);
        try {
          const url = new URL(PG_URL);
          url.searchParams.set('options', `-c search_path=${schema}`);
          // Started one after the other: the second finds the schema migrated.
          const servers = [];
          for (let i = 0; i < processes; i++) {
            const server = spawnServer('service', { BENCH_DATABASE_URL: url.toString() });
            servers.push({ server, port: await server.ready });
          }
          // The same two load generators either way: both to the one process, or one to each.
          const ports =
            processes === 1 ? [servers[0].port, servers[0].port] : servers.map((x) => x.port);
          const wc = webhookCursor(warmup);
          const w = await loadSplit({ ports, duration: WARMUP_S, cursor: wc });
          const cursor = webhookCursor(pool);
          const result = await loadSplit({ ports, duration: INGEST_S, cursor });
          if (cursor.used >= pool.length)
            notes.push(`postgres ×${processes}: the pool of ${pool.length} webhooks ran out`);
          for (const { server } of servers) await stopServer(server, `postgres ×${processes}`);
          const stored = Number(
            (await admin.query(`select count(*) as n from "${schema}".inbox`)).rows[0].n,
          );
          const answered = w.ok + result.ok;
          const built = wc.used + cursor.used;
          log(
            `  stored ${fmt(stored)} inbox rows (${fmt(answered)} answered 2xx, ${fmt(built)} built)`,
          );
          if (stored < answered || stored > built)
            notes.push(
              `postgres ×${processes}: ${answered} webhooks answered 2xx but ${stored} stored`,
            );
          scale[processes] = result;
          const name = `webhook ingest, PostgreSQL, ${processes} service process${processes === 1 ? '' : 'es'}`;
          addRow(
            name,
            result,
            processes === 1
              ? { ratio: result.rps / bare.post.rps, ratioTo: 'bare POST' }
              : { ratio: result.rps / scale[1].rps, ratioTo: '1 process' },
          ).stored = stored;
        } finally {
          await admin.query(`drop schema "${schema}" cascade`);
        }
      }
    } finally {
      await admin.end();
    }
  }
}

// ---------- 7 + 8. session reports; ingest against the build before sessions ----------
if (ONLY.has('session-report')) await sessionReportScenario();
if (ONLY.has('ingest-baseline')) await ingestBaselineScenario();
const instructions = {};
if (ONLY.has('ingest-instructions')) await ingestInstructionsScenario(instructions);

// ---------- 6. heap over many scheduled reconcile passes ----------
const heap = {};
if (ONLY.has('reconcile-heap')) {
  const passes = Number(process.env.BENCH_HEAP_PASSES ?? 300);
  const every = 10;
  log(
    `\n[6] heap over ${passes} scheduled reconcile passes, 1,000 rooms × 20 participants` +
      ' (emulator here, service in a child with --expose-gc)',
  );
  const { startEmulatorServer } = await import('../dist/emulator/index.js');
  const dir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-heap-'));
  const emu = await startEmulatorServer({ port: 0 });
  emu.emulator.populate({ rooms: 1000, participantsPerRoom: 20 });
  const t0 = performance.now();
  const samples = [];
  const failures = [];
  try {
    const server = spawnServer(
      'reconcile-heap',
      {
        BENCH_DATABASE_URL: `sqlite:${join(dir, 'attendance.db')}`,
        BENCH_LIVEKIT_URL: emu.url,
        BENCH_PASSES: String(passes),
        BENCH_SAMPLE_EVERY: String(every),
        BENCH_GAP_MS: '50',
      },
      null,
      ['--expose-gc'],
    );
    await server.ready;
    await new Promise((resolve, reject) => {
      server.child.on('message', (m) => {
        if (m.type === 'sample') {
          samples.push({
            pass: m.pass,
            heapUsed: m.heapUsed,
            atS: (performance.now() - t0) / 1000,
          });
          log(`  pass ${m.pass}: heapUsed ${(m.heapUsed / 2 ** 20).toFixed(1)} MiB`);
        } else if (m.type === 'failed') failures.push(m);
        else if (m.type === 'done') resolve();
      });
      server.child.once('exit', (code) =>
        reject(new Error(`reconcile-heap server exited (${code})`)),
      );
    });
    await stopServer(server, 'reconcile heap');
  } finally {
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // Warm-up: the first sixth, at most 50 passes (the first one opens 20,000 cycles; caches and
  // JIT settle).
  heap.warmupPasses = Math.max(every, Math.min(50, Math.floor(passes / 6 / every) * every));
  const after = samples.filter((x) => x.pass >= heap.warmupPasses);
  // Single samples after a full GC still wander by a few MiB (sockets, buffers, the last report),
  // so "flat" compares windows: the mean of the first five samples after warm-up with the mean of
  // the last five. A report kept per pass would add megabytes per pass and show up at once.
  const meanOf = (list) => list.reduce((a, x) => a + x.heapUsed, 0) / list.length;
  const first = meanOf(after.slice(0, 5));
  const last = meanOf(after.slice(-5));
  const max = Math.max(...after.map((x) => x.heapUsed));
  const min = Math.min(...after.map((x) => x.heapUsed));
  Object.assign(heap, {
    passes,
    seconds: (performance.now() - t0) / 1000,
    samples,
    failures: failures.length,
    firstMiB: first / 2 ** 20,
    lastMiB: last / 2 ** 20,
    minMiB: min / 2 ** 20,
    maxMiB: max / 2 ** 20,
    trend: last / first - 1,
    pass: Math.abs(last / first - 1) <= 0.1 && failures.length === 0,
  });
  log(
    `  ${passes} passes in ${fmt(heap.seconds)} s; after pass ${heap.warmupPasses}, mean of the first and` +
      ` last five samples: ${heap.firstMiB.toFixed(1)} → ${heap.lastMiB.toFixed(1)} MiB` +
      ` (${(heap.trend * 100).toFixed(1)} %; single samples ${heap.minMiB.toFixed(1)}–${heap.maxMiB.toFixed(1)} MiB)` +
      `, ${failures.length} passes not ok`,
  );
}

// ---------- 5. reconcile pass ----------
const reconcile = {};
if (ONLY.has('reconcile')) {
  log('\n[5] reconcile pass: 1,000 rooms × 20 participants (emulator in-process)');
  const { startEmulatorServer } = await import('../dist/emulator/index.js');
  const { loadConfig } = await import('../dist/config/index.js');
  const { createLogger } = await import('../dist/telemetry/index.js');
  const { createRuntime } = await import('../dist/main.js');
  const dir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-rec-'));
  const emu = await startEmulatorServer({ port: 0 });
  const rt = await createRuntime({
    config: loadConfig({
      DATABASE_URL: `sqlite:${join(dir, 'attendance.db')}`,
      LOG_LEVEL: 'silent',
      API_TOKEN,
    }),
    logger: createLogger({ level: 'silent' }),
    livekit: { url: emu.url, apiKey: 'devkey', apiSecret: 'secret', timeoutMs: 10_000 },
  });
  try {
    let t = performance.now();
    emu.emulator.populate({ rooms: 1000, participantsPerRoom: 20 });
    log(`  populated in ${fmt(performance.now() - t)} ms`);
    const profiler = PROFILE ? await startInProcessProfile() : null;
    for (const pass of ['first', 'second']) {
      emu.emulator.resetApiCalls();
      t = performance.now();
      const report = await rt.reconciler.runPass({ trigger: 'cli' });
      const ms = performance.now() - t;
      const calls = emu.emulator.apiCalls();
      const listRooms = calls.ListRooms ?? 0;
      const listParticipants = calls.ListParticipants ?? 0;
      const total = Object.values(calls).reduce((a, b) => a + b, 0);
      const ok = listRooms === 1 && listParticipants === 1000 && total === 1001 && ms < 5000;
      reconcile[pass] = {
        ms,
        calls,
        outcome: report?.outcome ?? 'skipped',
        summary: report?.summary ?? null,
        pass: ok && report?.outcome === 'ok',
      };
      log(
        `  ${pass} pass: ${fmt(ms)} ms, ${listRooms} ListRooms + ${listParticipants} ListParticipants` +
          ` (total ${total}), outcome ${report?.outcome}, ${JSON.stringify(report?.summary)}`,
      );
    }
    if (profiler)
      profiles.push({
        title: 'reconcile, both passes (emulator + runtime in-process)',
        file: await profiler.stop('reconcile'),
      });
  } finally {
    await rt.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------- pieces (profile mode) ----------
let pieces = null;
if (PROFILE && ONLY.has('sqlite-ingest')) {
  pieces = await timePieces();
}

meta.loadAvgAtEnd = os.loadavg()[0];
if (meta.loadAvgAtEnd > meta.cpus * 0.5)
  notes.push(`machine was busy: 1-min load average ${meta.loadAvgAtEnd.toFixed(2)} at the end`);

// ---------- output ----------
const mdRows = [];
const header = ['Scenario', 'Throughput', 'p50', 'p99', 'Ratio', 'Target', 'Result'];
const fmtRow = (r) =>
  r.skipped
    ? [r.name, r.reason ? `skipped: ${r.reason}` : 'skipped', '', '', '', r.target, 'SKIP']
    : [
        r.name,
        `${fmt(r.rps)}/s`,
        `${r.p50} ms`,
        `${r.p99} ms`,
        r.ratioText ?? (r.ratio === undefined ? '1.00×' : `${r.ratio.toFixed(2)}× ${r.ratioTo}`),
        r.target ?? '—',
        r.pass === undefined ? '—' : r.pass ? 'PASS' : 'FAIL',
      ];
for (const r of rows) mdRows.push(fmtRow(r));
for (const pass of ['first', 'second']) {
  const p = reconcile[pass];
  if (!p) continue;
  mdRows.push([
    `reconcile, ${pass} pass (1,000 rooms × 20)`,
    `${fmt(p.ms)} ms`,
    '',
    '',
    `${p.calls.ListRooms ?? 0} + ${p.calls.ListParticipants ?? 0} calls`,
    '1 + 1,000 calls, < 5 s',
    p.pass ? 'PASS' : 'FAIL',
  ]);
}
if (heap.samples) {
  mdRows.push([
    `heap after GC over ${heap.passes} scheduled passes (1,000 rooms × 20)`,
    `${heap.firstMiB.toFixed(1)} → ${heap.lastMiB.toFixed(1)} MiB`,
    '',
    '',
    `${heap.trend >= 0 ? '+' : ''}${(heap.trend * 100).toFixed(1)} % after pass ${heap.warmupPasses}`,
    'flat within 10 %',
    heap.pass ? 'PASS' : 'FAIL',
  ]);
}
if (instructions.skipped) {
  mdRows.push([instructions.name, `skipped: ${instructions.reason}`, '', '', '', '—', 'SKIP']);
} else if (instructions.now) {
  mdRows.push([
    instructions.name,
    `${fmt(instructions.before)} → ${fmt(instructions.now)} a webhook`,
    '',
    '',
    `${instructions.ratio.toFixed(3)}× before`,
    'reported',
    '—',
  ]);
}
const widths = header.map((h, i) => Math.max(h.length, ...mdRows.map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
const table = [
  line(header),
  `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
  ...mdRows.map(line),
];
log(`\nResults (node ${meta.node}, ${meta.cpus} CPUs, ${meta.date})`);
log(table.join('\n'));
for (const n of notes) log(`note: ${n}`);

const md = [
  `Measured ${meta.date.slice(0, 10)} with node ${meta.node} on ${meta.cpus} CPUs (${meta.cpuModel}); ` +
    `${meta.pinned}; autocannon, ${CONNECTIONS} connections, 127.0.0.1. Throughput counts 2xx responses.`,
  '',
  ...table,
  '',
  ...notes.map((n) => `- ${n}`),
].join('\n');
writeFileSync(join(OUT_DIR, 'results.md'), `${md}\n`);
writeFileSync(
  join(OUT_DIR, 'results.json'),
  `${JSON.stringify({ meta, results: rows, reconcile, heap, instructions, pieces, rss, notes }, null, 2)}\n`,
);
log(`\nwrote results.json and results.md in ${OUT_DIR}`);

if (PROFILE) {
  for (const p of profiles) printProfile(p.title, summariseProfile(p.file, 25));
  log(`\nprofiles kept in ${PROFILE_DIR}`);
}

/** CPU profile of this process via the inspector (for the in-process reconcile scenario). */
async function startInProcessProfile() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await post('Profiler.stop');
      session.disconnect();
      const dir = join(PROFILE_DIR, name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

/**
 * In-process ingest (verify + group commit, no HTTP), 64 in flight, with the time spent in each
 * store operation of the write transaction (the runtime's StoreWriter is wrapped here, in the bench).
 */
async function ingestBreakdown(label, databaseUrl, hooks) {
  const { loadConfig } = await import('../dist/config/index.js');
  const { createLogger } = await import('../dist/telemetry/index.js');
  const { createRuntime } = await import('../dist/main.js');
  const rt = await createRuntime({
    config: loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', API_TOKEN }),
    logger: createLogger({ level: 'silent' }),
    livekit: { url: null, apiKey: 'devkey', apiSecret: 'secret', timeoutMs: 2_000 },
  });
  const ops = {};
  let batches = 0;
  let txMs = 0;
  const original = rt.writer.write.bind(rt.writer);
  rt.writer.write = async (fn) => {
    const t0 = performance.now();
    try {
      return await original((tx) =>
        fn(
          new Proxy(tx, {
            get(target, key) {
              const v = target[key];
              if (typeof v !== 'function') return v;
              return async (...args) => {
                const s = performance.now();
                try {
                  return await v.apply(target, args);
                } finally {
                  const o = (ops[key] ??= { ms: 0, calls: 0 });
                  o.ms += performance.now() - s;
                  o.calls++;
                }
              };
            },
          }),
        ),
      );
    } finally {
      txMs += performance.now() - t0;
      batches++;
    }
  };
  try {
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < hooks.length) {
        const h = hooks[next++];
        const o = await rt.ingestor.ingest(h.body, h.token);
        if (o.status !== 'accepted') throw new Error(`${label}: ingest answered ${o.status}`);
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    const ms = performance.now() - t0;
    const perEvent = (x) => ((x * 1000) / hooks.length).toFixed(1);
    const out = {
      eventsPerS: (hooks.length * 1000) / ms,
      usPerEvent: (ms * 1000) / hooks.length,
      batches,
      eventsPerBatch: hooks.length / batches,
      txUsPerEvent: (txMs * 1000) / hooks.length,
      ops: Object.fromEntries(
        Object.entries(ops).map(([k, o]) => [
          k,
          { usPerEvent: (o.ms * 1000) / hooks.length, calls: o.calls },
        ]),
      ),
    };
    log(
      `  ${label} ingest in-process: ${fmt(out.eventsPerS)}/s = ${out.usPerEvent.toFixed(1)} µs/event;` +
        ` ${batches} transactions of ~${out.eventsPerBatch.toFixed(0)} events, ${perEvent(txMs)} µs/event inside them:`,
    );
    for (const [k, o] of Object.entries(ops).sort((a, b) => b[1].ms - a[1].ms)) {
      log(`      ${perEvent(o.ms).padStart(6)} µs/event  ${k} (${o.calls} calls)`);
    }
    return out;
  } finally {
    await rt.close();
  }
}

/** In-process per-call cost of the pieces on the hot paths (no HTTP), in µs. */
async function timePieces() {
  log('\n[pieces] in-process timing, µs per call');
  const { createHash } = await import('node:crypto');
  const { WebhookReceiver, TokenVerifier, WebhookEvent } = await import('livekit-server-sdk');
  const { createWebhookVerifier } = await import('../dist/livekit/index.js');
  const { loadConfig } = await import('../dist/config/index.js');
  const { createLogger } = await import('../dist/telemetry/index.js');
  const { createRuntime } = await import('../dist/main.js');
  const out = {};
  const hooks = generateWebhooks({ tag: 'v', rooms: 10, identitiesPerRoom: 10, count: 20_000 });
  const time = async (name, fn, n = hooks.length) => {
    for (let i = 0; i < 2000; i++) await fn(i);
    const t = performance.now();
    for (let i = 2000; i < n; i++) await fn(i);
    out[name] = ((performance.now() - t) * 1000) / (n - 2000);
    log(`  ${out[name].toFixed(1).padStart(6)}  ${name}`);
  };
  const verifier = createWebhookVerifier({ apiKey: 'devkey', apiSecret: 'secret' });
  const receiver = new WebhookReceiver('devkey', 'secret');
  const tokens = new TokenVerifier('devkey', 'secret');
  const enc = new TextEncoder();
  await time('createWebhookVerifier().verify (whole)', (i) =>
    verifier.verify(hooks[i].body, hooks[i].token),
  );
  await time('  WebhookReceiver.receive', (i) => receiver.receive(hooks[i].body, hooks[i].token));
  await time('    TokenVerifier.verify (jose jwtVerify)', (i) => tokens.verify(hooks[i].token));
  await time('    crypto.subtle.digest sha256 (SDK)', (i) =>
    crypto.subtle.digest('SHA-256', enc.encode(hooks[i].body)),
  );
  await time('    createHash sha256, sync (alternative)', (i) =>
    createHash('sha256').update(hooks[i].body).digest('base64'),
  );
  await time('    JSON.parse + WebhookEvent.fromJson', (i) =>
    WebhookEvent.fromJson(JSON.parse(hooks[i].body), { ignoreUnknownFields: true }),
  );
  const ingestHooks = () =>
    generateWebhooks({ tag: 'i', rooms: ROOMS, identitiesPerRoom: IDENTITIES, count: 30_000 });
  const tmp = mkdtempSync(join(os.tmpdir(), 'attendance-bench-pieces-'));
  out.sqliteIngest = await ingestBreakdown('SQLite', `sqlite:${join(tmp, 'a.db')}`, ingestHooks());
  rmSync(tmp, { recursive: true, force: true });
  try {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
    await admin.connect();
    const schema = `bench_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin.query(`create schema "${schema}"`);
    try {
      const url = new URL(PG_URL);
      url.searchParams.set('options', `-c search_path=${schema}`);
      out.postgresIngest = await ingestBreakdown('PostgreSQL', url.toString(), ingestHooks());
    } finally {
      await admin.query(`drop schema "${schema}" cascade`);
      await admin.end();
    }
  } catch (e) {
    log(`  PostgreSQL ingest breakdown skipped: ${e.message}`);
  }
  const rt = await createRuntime({
    config: loadConfig({ DATABASE_URL: `sqlite:${sqliteFile}`, LOG_LEVEL: 'silent', API_TOKEN }),
    logger: createLogger({ level: 'silent' }),
    livekit: { url: null, apiKey: 'devkey', apiSecret: 'secret', timeoutMs: 2_000 },
  });
  try {
    const pair = (i) => {
      const r = (i * 7919) % ROOMS;
      return [`room-${r}`, `user-${r}-${i % IDENTITIES}`];
    };
    for (let i = 0; i < 20_000; i++) await rt.query.identityStatus(...pair(i)); // warm pages + JIT
    await time('AttendanceQuery.identityStatus (SQLite)', (i) =>
      rt.query.identityStatus(...pair(i)),
    );
    await time('  store.getIdentityAttendance', (i) => rt.store.getIdentityAttendance(...pair(i)));
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(sqliteFile, { readonly: true });
    const sql =
      'select cycles.*, (select last_verified_at_ms from room_verifications where room = ?) ' +
      'as v from cycles where room = ? and identity = ? order by joined_at_ms asc nulls last, sid';
    const stmt = db.prepare(sql);
    await time('raw better-sqlite3 .all() of the same query', (i) => {
      const [r, id] = pair(i);
      return stmt.all(r, r, id);
    });
    const plan = db.prepare(`explain query plan ${sql}`).all('room-1', 'room-1', 'user-1-1');
    out.queryPlan = plan.map((p) => p.detail);
    log(`  query plan: ${out.queryPlan.join(' | ')}`);
    out.rowsPerIdentity = stmt.all('room-1', 'room-1', 'user-1-1').length;
    log(`  cycles per identity: ${out.rowsPerIdentity}`);
    db.close();
  } finally {
    await rt.close();
    rmSync(sqliteDir, { recursive: true, force: true });
  }
  return out;
}

// ---------- storm ----------

/** Rows of SQLite's inbox table in `file` (opened read-only). */
async function sqliteInboxCount(file) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select count(*) as n from inbox').get().n;
  } finally {
    db.close();
  }
}

/** The size of SQLite's database file and its WAL. */
function sqliteFileBytes(file) {
  const size = (f) => (existsSync(f) ? statSync(f).size : 0);
  return { databaseBytes: size(file), walBytes: size(`${file}-wal`) };
}

/** Bytes as MiB with one decimal. */
function mib(bytes) {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** The server child's process.memoryUsage() over IPC (bench/server.js), after a full GC if `gc`. */
function memoryUsageOf(child, gc) {
  const id = Math.random();
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.type !== 'memory' || m.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m);
    };
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error('the server did not answer the memory probe'));
    }, 10_000);
    child.on('message', onMessage);
    child.send({ type: 'memory', id, gc });
  });
}

/**
 * The service's memory in MiB: its resident set from /proc/<pid>/status (VmRSS, and the anonymous
 * and file-backed parts; process.memoryUsage().rss where there is no /proc) and V8's heap and
 * external memory from process.memoryUsage() (after a full GC if `gc`).
 */
async function sampleMemory(child, gc) {
  const m = await memoryUsageOf(child, gc);
  const sample = {
    rssMiB: mib(m.rss),
    heapUsedMiB: mib(m.heapUsed),
    heapTotalMiB: mib(m.heapTotal),
    externalMiB: mib(m.external),
  };
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    Object.assign(sample, {
      rssMiB: mib(kib('VmRSS') * 1024),
      anonMiB: mib(kib('RssAnon') * 1024),
      fileMiB: mib(kib('RssFile') * 1024),
    });
  } catch {
    // not Linux: process.memoryUsage().rss
  }
  return sample;
}

/** bench/storm-worker.js in a child on the load core: `started` once it sends, `measure()` ends its warm-up, then `result`. */
function startStormWorker(options) {
  const args = [join(HERE, 'storm-worker.js')];
  const stdio = ['pipe', 'pipe', 'inherit', 'ipc'];
  const child = pinned
    ? spawn('taskset', ['-c', '1', process.execPath, ...args], { stdio })
    : spawn(process.execPath, args, { stdio });
  child.stdin.end(JSON.stringify(options));
  let out = '';
  let onStart;
  const started = new Promise((resolve) => (onStart = resolve));
  child.stdout.on('data', (d) => {
    out += d.toString();
    if (out.startsWith('START\n')) onStart();
  });
  const result = new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      onStart();
      const json = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && json) resolve(JSON.parse(json));
      else reject(new Error(`storm worker exited (${code})`));
    }),
  );
  return { started, result, measure: () => child.send({ type: 'measure' }) };
}

function sleepUntil(at) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));
}

/**
 * Whether the warm-up's samples show the service's memory settled: at least STORM_WARMUP_MIN_S in,
 * and its resident set outside V8's heap (VmRSS − heapTotal: SQLite's page cache, its mmap window,
 * malloc) grew by less than STORM_SETTLE_GROWTH over the last STORM_SETTLE_S. V8's heap is left
 * out because its sawtooth (tens of MiB between collections) would hide a steady rise of a few MiB
 * a second, or fake a level at a trough.
 */
function memorySettled(samples) {
  const back = STORM_SETTLE_S / STORM_SAMPLE_S;
  const last = samples.at(-1);
  if (last.atS < STORM_WARMUP_MIN_S - 0.5 || samples.length <= back) return false;
  return last.outsideHeapMiB <= (1 + STORM_SETTLE_GROWTH) * samples.at(-1 - back).outsideHeapMiB;
}

/**
 * Signed webhooks into a fresh database at STORM_SHARE of `ingest.rps` (this run's closed-loop
 * ingest rate on the same database kind), open loop (bench/storm-worker.js), the service's memory
 * sampled every STORM_SAMPLE_S: a warm-up at that rate until memory settles (memorySettled, at most
 * STORM_WARMUP_CAP_S), then, on the same schedule without a break, the measured storm of STORM_S,
 * whose first sample is the baseline the last is compared with.
 */
async function stormScenario({ label, databaseUrl, ingest, tag, countStored, fileBytes }) {
  const rate = STORM_SHARE * ingest.rps;
  const slug = label.toLowerCase();
  const title = `${slug} storm`;
  log(
    `\n[9] webhook storm → ${label}: ${fmt(rate)}/s (${STORM_SHARE * 100} % of ${fmt(ingest.rps)}/s),` +
      ` open loop; a warm-up until memory outside V8's heap settles (at most ${STORM_WARMUP_CAP_S} s), then ${STORM_S} s measured;` +
      ` service memory every ${STORM_SAMPLE_S} s`,
  );
  const samples = [];
  let settled = false;
  const result = await withServer(
    { BENCH_DATABASE_URL: databaseUrl },
    `${slug}-storm`,
    title,
    async (port, server) => {
      const worker = startStormWorker({
        port,
        rate,
        warmupCapS: STORM_WARMUP_CAP_S,
        durationS: STORM_S,
        connections: CONNECTIONS,
        // Two seconds' worth waiting: beyond that the service is not keeping up.
        maxInFlight: Math.max(1000, Math.ceil(2 * rate)),
        stream: { tag, rooms: ROOMS, identitiesPerRoom: IDENTITIES },
      });
      await worker.started;
      const t0 = performance.now();
      // Samples every STORM_SAMPLE_S from t0 through the warm-up, then from the storm's start.
      let from = t0;
      let stormAt = null;
      for (let k = 0; ; k++) {
        await sleepUntil(from + k * STORM_SAMPLE_S * 1000);
        const now = performance.now();
        const m = await sampleMemory(server.child, STORM_GC);
        const sample = { phase: 'warmup', atS: Math.round(((now - t0) / 1000) * 10) / 10, ...m };
        sample.outsideHeapMiB = mib((m.rssMiB - m.heapTotalMiB) * 2 ** 20);
        const files = fileBytes?.();
        if (files)
          Object.assign(sample, { dbMiB: mib(files.databaseBytes), walMiB: mib(files.walBytes) });
        if (stormAt === null) {
          settled = memorySettled([...samples, sample]);
          if (settled || sample.atS >= STORM_WARMUP_CAP_S - 0.5) {
            // This sample is the baseline: the measured storm starts with it.
            worker.measure();
            stormAt = now;
            from = now;
            k = 0;
          }
        }
        if (stormAt !== null) {
          sample.phase = 'storm';
          sample.stormS = Math.round(((now - stormAt) / 1000) * 10) / 10;
        }
        samples.push(sample);
        const when =
          stormAt === null ? 'warm-up' : `storm ${sample.stormS.toFixed(1).padStart(4)} s`;
        log(
          `  ${sample.atS.toFixed(1).padStart(5)} s, ${when}: RSS ${m.rssMiB} MiB (anon ${m.anonMiB}, file ${m.fileMiB});` +
            ` V8 heap ${m.heapUsedMiB} used of ${m.heapTotalMiB}${STORM_GC ? ' after GC' : ''}, external ${m.externalMiB}` +
            (files ? `; database ${sample.dbMiB} MiB, WAL ${sample.walMiB}` : ''),
        );
        if (stormAt !== null && k * STORM_SAMPLE_S >= STORM_S) break;
      }
      return worker.result;
    },
    STORM_GC ? ['--expose-gc'] : [],
  );
  const stored = await countStored();
  const measured = samples.filter((x) => x.phase === 'storm');
  const base = measured[0];
  const last = measured.at(-1);
  const growth = last.rssMiB / base.rssMiB - 1;
  const { warmup, storm } = result;
  const s = {
    rps: storm.ok / storm.durationS,
    p50: storm.p50,
    p99: storm.p99,
    total: storm.sent,
    ok: storm.ok,
    non2xx: storm.non2xx,
    errors: storm.errors + storm.unanswered,
    durationS: storm.durationS,
  };
  const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
  const peak = rss.find((x) => x.server === title);
  const row = addRow(
    `webhook storm, ${label}, ${STORM_S} s at ${STORM_SHARE * 100} % of ingest`,
    s,
    {
      ratioText: `RSS ${base.rssMiB} → ${last.rssMiB} MiB (${pct(growth)})`,
      target: STORM_TARGET,
      pass: Math.abs(growth) <= 0.1,
      targetRate: rate,
      ingestRate: ingest.rps,
      achievedShare: s.rps / rate,
      notSent: storm.skipped,
      unanswered: storm.unanswered,
      maxMs: storm.max,
      statusCodes: storm.statusCodes,
      warmup: {
        ...warmup,
        rps: warmup.ok / warmup.durationS,
        settled,
      },
      buckets: result.buckets.map((b) => ({
        ...b,
        phase: b.fromS < result.measureAtS ? 'warmup' : 'storm',
      })),
      stored,
      rss: {
        sampleEveryS: STORM_SAMPLE_S,
        warmupS: base.atS,
        baselineMiB: base.rssMiB,
        lastMiB: last.rssMiB,
        growth,
        // Single samples wander with the V8 heap's sawtooth (tens of MiB between collections).
        minMeasuredMiB: Math.min(...measured.map((x) => x.rssMiB)),
        maxMeasuredMiB: Math.max(...measured.map((x) => x.rssMiB)),
        outsideHeapGrowth: last.outsideHeapMiB / base.outsideHeapMiB - 1,
        peakMiB: peak ? mib(peak.maxRssBytes) : null,
        samples,
      },
    },
  );
  log(
    `  warm-up ${base.atS} s (${settled ? "memory outside V8's heap settled" : 'the cap'}): ${fmt(warmup.ok)} 2xx,` +
      ` ${fmt(warmup.skipped)} not sent, p50 ${warmup.p50} ms, p99 ${warmup.p99} ms`,
  );
  log(
    `  storm: sent ${fmt(storm.sent)} (${fmt(storm.sent / storm.durationS)}/s; ${fmt(storm.skipped)} not sent,` +
      ` the service too far behind), ${fmt(storm.ok)} 2xx, max ${storm.max} ms; stored ${fmt(stored)} in all;` +
      ` RSS ${pct(growth)} from ${base.atS} s to ${last.atS} s`,
  );
  if (!settled)
    notes.push(
      `storm, ${label}: memory had not settled after the ${STORM_WARMUP_CAP_S} s warm-up cap`,
    );
  if (storm.skipped > 0 || s.rps < 0.95 * rate)
    notes.push(
      `storm, ${label}: ${fmt(s.rps)}/s answered 2xx of ${fmt(rate)}/s due (${fmt(storm.skipped)} not sent)`,
    );
  const ok = warmup.ok + storm.ok;
  const sent = warmup.sent + storm.sent;
  if (stored < ok || stored > sent)
    notes.push(`storm, ${label}: ${ok} webhooks answered 2xx but ${stored} stored`);
  return row;
}

// ---------- sessions ----------

/** A fresh schema on the admin connection's database for fn(url); dropped afterwards. */
async function withPgSchema(admin, fn) {
  const schema = `bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`create schema "${schema}"`);
  try {
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return await fn(url.toString(), schema);
  } finally {
    await admin.query(`drop schema "${schema}" cascade`);
  }
}

/** PUT /api/v1/sessions/{id}; throws unless 200/201. */
async function putSession(port, id, body) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/sessions/${enc(id)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`PUT session ${id}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function getText(port, path, headers = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { authorization: `Bearer ${API_TOKEN}`, ...headers },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/**
 * Up to `n` GETs (fewer if `seconds` run out first, at least 30) one after the other on one
 * keep-alive connection, each timed from the request to the last byte of the body (after 5 untimed
 * ones); latencies in ms with one decimal.
 */
async function timeSequential(port, path, n, seconds, headers = {}) {
  const url = `http://127.0.0.1:${port}${path}`;
  const opts = { headers: { authorization: `Bearer ${API_TOKEN}`, ...headers } };
  for (let i = 0; i < 5; i++) await (await fetch(url, opts)).arrayBuffer();
  const ms = [];
  let non2xx = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (i >= 30 && performance.now() - t0 > seconds * 1000) break;
    const t = performance.now();
    const res = await fetch(url, opts);
    const body = await res.arrayBuffer();
    ms.push(performance.now() - t);
    if (!res.ok) non2xx++;
    bytes = body.byteLength;
  }
  const durationS = (performance.now() - t0) / 1000;
  n = ms.length;
  ms.sort((a, b) => a - b);
  const at = (q) => Math.round(ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] * 10) / 10;
  return {
    rps: n / durationS,
    p50: at(0.5),
    p99: at(0.99),
    max: Math.round(ms[ms.length - 1] * 10) / 10,
    total: n,
    ok: n - non2xx,
    non2xx,
    errors: 0,
    durationS,
    bytes,
  };
}

/**
 * Session participant status beside room status, on the sqlite-reads data: one session per room
 * (roster = that room's 50 identities, live: the window runs from before the first join to an
 * hour from now), the same [room, identity] pairs in the same scattered order, on one server,
 * rounds alternating room, session, session, room (twice) so that drift weighs on both alike.
 */
async function sessionReadScenario() {
  log('\n[4b] session participant status vs room status reads, SQLite (same data, same order)');
  const { readFile, pairs } = await readData();
  const server = spawnServer(
    'service',
    { BENCH_DATABASE_URL: `sqlite:${readFile}` },
    PROFILE ? 'session-reads' : null,
  );
  const port = await server.ready;
  try {
    const now = Date.now();
    const t0 = performance.now();
    for (let r = 0; r < ROOMS; r++) {
      await putSession(port, `class-${r}`, {
        title: `Class ${r}`,
        rooms: [`room-${r}`],
        startsAt: iso(now - 7 * HOUR_MS),
        endsAt: iso(now + HOUR_MS),
        hosts: [],
        roster: Array.from({ length: IDENTITIES }, (_, i) => ({ identity: `user-${r}-${i}` })),
      });
    }
    log(`  ${ROOMS} sessions written in ${fmt(performance.now() - t0)} ms`);
    const sessionPath = ([room, identity]) =>
      `/api/v1/sessions/${enc(`class-${room.slice('room-'.length)}`)}/participants/${enc(identity)}`;
    const paths = { room: pairs.map(roomStatusPath), session: pairs.map(sessionPath) };
    // One answer of each, to see that both routes describe the same person.
    const roomSample = JSON.parse(await getText(port, roomStatusPath(pairs[0])));
    const sample = JSON.parse(await getText(port, sessionPath(pairs[0])));
    log(
      `  ${pairs[0].join('/')}: room inMeeting ${roomSample.inMeeting}, cycles ${roomSample.cycles.length};` +
        ` session status ${sample.status}, inMeeting ${sample.inMeeting}, connections ${sample.connections}`,
    );
    const rounds = { room: [], session: [] };
    // As ingest-baseline: two blocks of (room, session, session, room), the ratio the median of
    // the four adjacent pairs' (one slow round on the shared cores moves one pair only).
    const order = ['room', 'session', 'session', 'room', 'room', 'session', 'session', 'room'];
    for (const kind of order) {
      const s = measureReads(port, paths[kind]);
      log(
        `  ${kind} status: ${fmt(s.rps)}/s p50 ${s.p50} ms p99 ${s.p99} ms (non-2xx ${s.non2xx}, errors ${s.errors})`,
      );
      rounds[kind].push(s);
    }
    const room = combineRounds(rounds.room);
    const session = combineRounds(rounds.session);
    addRow('status read, SQLite, rooms route, rounds alternating with sessions', room, {
      ratio: room.rps / bare.get.rps,
      ratioTo: 'bare GET',
      rounds: rounds.room,
    });
    const pairRatios = adjacentPairRatios(order, rounds, 'session');
    const ratio = median(pairRatios);
    log(
      `  (room, session) pairs ${pairRatios.map((r) => `${r.toFixed(3)}×`).join(', ')};` +
        ` median ${ratio.toFixed(3)}×, pooled ${(session.rps / room.rps).toFixed(3)}×`,
    );
    addRow('session participant status read, SQLite (200 sessions × 50)', session, {
      ratio,
      ratioTo: 'rooms route (median of adjacent pairs)',
      pairRatios,
      pooledRatio: session.rps / room.rps,
      target: '≥ 0.8× rooms route',
      pass: ratio >= 0.8 && session.non2xx === 0 && session.errors === 0,
      rounds: rounds.session,
    });
  } finally {
    await stopServer(server, 'session reads');
  }
  // For the reason: the rooms route with its status cache off (every read one prepared query).
  await withServer(
    { BENCH_DATABASE_URL: `sqlite:${readFile}`, BENCH_STATUS_CACHE_ENTRIES: '0' },
    null,
    'session reads, rooms route uncached',
    (port) => {
      const ru = measureReads(port, pairs.map(roomStatusPath));
      const session = rows.at(-1);
      addRow('status read, SQLite, rooms route, cache off (same data)', ru, {
        ratio: ru.rps / bare.get.rps,
        ratioTo: 'bare GET',
      });
      log(`  session reads were ${(session.rps / ru.rps).toFixed(2)}× the uncached rooms route`);
    },
  );
}

/**
 * A 1,000-person session, 10 cycles each over 4 rooms (a main room and breakouts, 250 identities
 * each), loaded through the verified webhook path; one session with the 1,000 on its roster (an
 * ended hour); its report as JSON and as CSV, SQLite and PostgreSQL.
 */
async function sessionReportScenario() {
  log(
    `\n[7] session report: ${fmt(SESSION_PEOPLE)} people × ${SESSION_CYCLES} cycles over ${SESSION_ROOMS} rooms, JSON and CSV`,
  );
  const baseMs = Date.now() - 6 * HOUR_MS;
  const perRoom = SESSION_PEOPLE / SESSION_ROOMS;
  const hooks = generateWebhooks({
    tag: 's',
    rooms: SESSION_ROOMS,
    identitiesPerRoom: perRoom,
    count: SESSION_PEOPLE * SESSION_CYCLES * 3,
    block: SESSION_PEOPLE,
    baseMs,
  });
  const roster = [];
  for (let r = 0; r < SESSION_ROOMS; r++) {
    for (let i = 0; i < perRoom; i++) roster.push({ identity: `user-${r}-${i}` });
  }
  const session = {
    title: 'Lecture',
    rooms: Array.from({ length: SESSION_ROOMS }, (_, r) => `sroom-${r}`),
    // 5 minutes before the first join to 55 after: every cycle lies inside the hour.
    startsAt: iso(baseMs - 5 * 60_000),
    endsAt: iso(baseMs + 55 * 60_000),
    timezone: 'Europe/Istanbul',
    hosts: ['user-0-0'],
    roster,
  };
  log(
    `  ${fmt(hooks.length)} webhooks signed; PUT body ${fmt(JSON.stringify(session).length)} bytes`,
  );
  const dir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-session-'));
  try {
    await sessionReportOn('SQLite', `sqlite:${join(dir, 'session.db')}`, hooks, session);
  } finally {
    if (!PROFILE && !process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
  const admin = await connectPgAdmin('the PostgreSQL session report is skipped');
  if (!admin) {
    for (const f of ['JSON', 'CSV'])
      rows.push({
        name: `session report ${f}, PostgreSQL`,
        skipped: true,
        reason: 'PostgreSQL unreachable',
        target: 'p50 and p99 < 100 ms',
      });
    return;
  }
  try {
    await withPgSchema(admin, (url) => sessionReportOn('PostgreSQL', url, hooks, session));
  } finally {
    await admin.end();
  }
}

async function sessionReportOn(label, databaseUrl, hooks, session) {
  const server = spawnServer(
    'service',
    { BENCH_DATABASE_URL: databaseUrl },
    PROFILE ? `session-report-${label.toLowerCase()}` : null,
  );
  const port = await server.ready;
  try {
    const loaded = await sendAll(port, hooks);
    log(
      `  ${label}: loaded at ${fmt(loaded.rps)}/s (status codes ${JSON.stringify(loaded.statusCodes)})`,
    );
    await putSession(port, 'lecture', session);
    const path = '/api/v1/sessions/lecture/attendance';
    // The report describes the data set: 1,000 listed, 10 cycles each, all of them attended.
    const report = JSON.parse(await getText(port, path));
    const cycles = report.participants.reduce((a, p) => a + p.cycles.length, 0);
    const csvLines = (await getText(port, `${path}?format=csv`)).trimEnd().split('\r\n').length;
    const complete =
      report.participants.length === SESSION_PEOPLE &&
      cycles === SESSION_PEOPLE * SESSION_CYCLES &&
      report.summary.attended === SESSION_PEOPLE &&
      csvLines === SESSION_PEOPLE + 1;
    log(
      `  ${label}: ${report.participants.length} listed, ${cycles} cycles, summary ${JSON.stringify(report.summary)},` +
        ` final ${report.final}, webhooksReceived ${report.dataQuality.webhooksReceived}; CSV ${csvLines} lines`,
    );
    if (!complete)
      notes.push(`session report, ${label}: the report does not describe the data set`);
    for (const [format, query] of [
      ['JSON', ''],
      ['CSV', '?format=csv'],
    ]) {
      const s = await timeSequential(
        port,
        `${path}${query}`,
        SESSION_REPORT_REQUESTS,
        SESSION_REPORT_S,
      );
      addRow(`session report ${format}, ${label} (1,000 people × 10 cycles)`, s, {
        ratioText: `sequential, ${(s.bytes / 1024).toFixed(0)} KiB`,
        target: 'p50 and p99 < 100 ms',
        pass: complete && s.p50 < 100 && s.p99 < 100 && s.non2xx === 0,
      });
      log(`    (max ${s.max} ms, ${fmt(s.bytes)} bytes)`);
    }
  } finally {
    await stopServer(server, `session report, ${label}`);
  }
}

/**
 * Instructions a webhook costs, this build against BASELINE_COMMIT: bench/ingest-inproc.js (the
 * runtime's WebhookIngestor, no HTTP, fresh SQLite) under `valgrind --tool=callgrind`, which counts
 * instructions, not seconds, so machine load does not move the figure. Each build ingests
 * INSTRUCTION_RUNS[0] and [1] pre-signed webhooks; the difference of the two counts over the
 * difference of the sizes is the cost of a webhook without start-up and migrations. What it leaves
 * out: the kernel (WAL writes, fsync) and HTTP. About 1–2 minutes a run under valgrind.
 */
async function ingestInstructionsScenario(out) {
  const name = `instructions per webhook, in-process SQLite ingest vs ${BASELINE_COMMIT}`;
  log(`\n[8b] ${name} (valgrind callgrind)`);
  const skip = (reason) => {
    log(`  NOTICE: skipped: ${reason}`);
    notes.push(`ingest-instructions skipped: ${reason}`);
    Object.assign(out, { name, skipped: true, reason });
  };
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return skip('valgrind is not installed');
  }
  let baseline;
  try {
    baseline = buildBaseline();
  } catch (e) {
    return skip(e.message.split('\n')[0].slice(0, 200));
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-instructions-'));
  try {
    const perWebhook = {};
    for (const build of ['before', 'now']) {
      const counts = [];
      for (const n of INSTRUCTION_RUNS) {
        // Signed just before each run: a token is good for 5 minutes.
        const file = join(dir, 'hooks.json');
        const hooks = generateWebhooks({
          tag: '',
          rooms: ROOMS,
          identitiesPerRoom: IDENTITIES,
          count: n,
        });
        writeFileSync(file, JSON.stringify(hooks));
        const t0 = performance.now();
        const run = spawnSync(
          'valgrind',
          [
            '--tool=callgrind',
            '--callgrind-out-file=/dev/null',
            // V8 writes and rewrites the code it runs.
            '--smc-check=all-non-file',
            process.execPath,
            join(HERE, 'ingest-inproc.js'),
            file,
          ],
          {
            env: { ...process.env, ...(build === 'before' ? { BENCH_DIST: baseline.dist } : {}) },
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          },
        );
        const collected = /Collected : (\d+)/.exec(run.stderr ?? '');
        if (run.status !== 0 || !collected) {
          const said = (run.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('=='));
          throw new Error(
            `${build}, ${n} webhooks: exit ${run.status}: ${said.join(' ').slice(0, 300)}`,
          );
        }
        counts.push(Number(collected[1]));
        log(
          `  ${build}, ${fmt(n)} webhooks: ${fmt(Number(collected[1]))} instructions` +
            ` (${fmt((performance.now() - t0) / 1000)} s under valgrind)`,
        );
      }
      perWebhook[build] = (counts[1] - counts[0]) / (INSTRUCTION_RUNS[1] - INSTRUCTION_RUNS[0]);
    }
    Object.assign(out, {
      name,
      runs: INSTRUCTION_RUNS,
      before: perWebhook.before,
      now: perWebhook.now,
      // As the throughput ratios: above 1 is faster than before.
      ratio: perWebhook.before / perWebhook.now,
    });
    log(
      `  ${fmt(out.before)} → ${fmt(out.now)} instructions a webhook: ${out.ratio.toFixed(3)}× before` +
        ' (kernel time and HTTP not counted)',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    baseline.remove();
  }
}

/**
 * Builds BASELINE_COMMIT in a temporary git worktree (node_modules linked to this one's): the
 * service as it was before sessions, the audit trail and webhook tallies. Throws with the reason
 * when it cannot (no git, no history, a failed build); `remove()` deletes the worktree.
 */
function buildBaseline() {
  const root = join(HERE, '..');
  const git = (...args) =>
    execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .trim();
  try {
    git('rev-parse', '--verify', '--quiet', `${BASELINE_COMMIT}^{commit}`);
  } catch {
    throw new Error(`commit ${BASELINE_COMMIT} is not in this checkout's git history`);
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-baseline-'));
  git('worktree', 'add', '--detach', dir, BASELINE_COMMIT);
  const link = join(dir, 'node_modules');
  const remove = () => {
    try {
      unlinkSync(link); // the link only, before git deletes the directory
    } catch {
      // not made
    }
    try {
      git('worktree', 'remove', '--force', dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      git('worktree', 'prune');
    }
  };
  try {
    symlinkSync(realpathSync(join(root, 'node_modules')), link);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    remove();
    throw new Error(`building ${BASELINE_COMMIT} failed: ${e.stdout?.toString() || e.message}`);
  }
  return { dist: join(dir, 'dist'), remove };
}

/**
 * Ingest into this build and into BASELINE_COMMIT's, the same pre-signed webhooks into fresh
 * databases, rounds alternating before, now, now, before (drift weighs on both alike).
 */
async function ingestBaselineScenario() {
  log(`\n[8] webhook ingest, this build vs ${BASELINE_COMMIT} (before sessions), alternating`);
  const target = '≥ 0.9× before';
  const name = (db) => `webhook ingest with sessions/audit vs before (${BASELINE_COMMIT}), ${db}`;
  let baseline;
  try {
    const t0 = performance.now();
    baseline = buildBaseline();
    log(`  built ${BASELINE_COMMIT} in ${fmt(performance.now() - t0)} ms`);
  } catch (e) {
    const reason = e.message.split('\n')[0].slice(0, 200);
    log(`  NOTICE: skipped: ${reason}`);
    notes.push(`ingest-baseline skipped: ${reason}`);
    for (const db of ['SQLite', 'PostgreSQL'])
      rows.push({ name: name(db), skipped: true, reason, target });
    return;
  }
  // Two blocks of (before, now, now, before). This machine's speed drifts by more than the
  // difference measured (the same build 20 % apart in rounds a minute apart), so the ratio is the
  // median of the four adjacent (before, now) pairs' ratios: a pair runs within ~30 s, and one
  // slow round moves one pair, not the figure.
  const order = ['before', 'now', 'now', 'before', 'before', 'now', 'now', 'before'];
  const env = (build) => (build === 'before' ? { BENCH_DIST: baseline.dist } : {});
  const compare = (db, rounds) => {
    const before = combineRounds(rounds.before);
    const now = combineRounds(rounds.now);
    addRow(`webhook ingest, ${db}, before sessions (${BASELINE_COMMIT})`, before, {
      ratio: before.rps / bare.post.rps,
      ratioTo: 'bare POST',
      rounds: rounds.before,
    });
    const pairRatios = adjacentPairRatios(order, rounds, 'now');
    const ratio = median(pairRatios);
    log(
      `  ${db}: (before, now) pairs ${pairRatios.map((r) => `${r.toFixed(3)}×`).join(', ')};` +
        ` median ${ratio.toFixed(3)}×, pooled ${(now.rps / before.rps).toFixed(3)}×`,
    );
    addRow(name(db), now, {
      ratio,
      ratioTo: 'before (median of adjacent pairs)',
      pairRatios,
      pooledRatio: now.rps / before.rps,
      target,
      pass: ratio >= 0.9 && now.non2xx === 0 && now.errors === 0,
      rounds: rounds.now,
    });
  };
  try {
    const { default: Database } = await import('better-sqlite3');
    const dir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-baseline-db-'));
    try {
      const { warmup, pool } = signSqlitePools();
      const rounds = { before: [], now: [] };
      for (const [i, build] of order.entries()) {
        const file = join(dir, `ingest-${i}-${build}.db`);
        const server = spawnServer('service', {
          BENCH_DATABASE_URL: `sqlite:${file}`,
          ...env(build),
        });
        const port = await server.ready;
        const { s, answered, built } = await ingestScenario({
          label: `sqlite ${build}`,
          port,
          pool,
          warmup,
        });
        await stopServer(server, `sqlite ingest ${build}`);
        const db = new Database(file, { readonly: true, fileMustExist: true });
        const stored = db.prepare('select count(*) as n from inbox').get().n;
        const audit =
          build === 'now' ? db.prepare('select count(*) as n from audit_log').get().n : null;
        db.close();
        if (stored < answered || stored > built)
          notes.push(`sqlite ${build}: ${answered} webhooks answered 2xx but ${stored} stored`);
        log(
          `  round ${i + 1}, SQLite ${build}: ${fmt(s.rps)}/s p50 ${s.p50} ms p99 ${s.p99} ms` +
            ` (stored ${fmt(stored)}${audit === null ? '' : `, ${fmt(audit)} audit rows`}, non-2xx ${s.non2xx}, errors ${s.errors})`,
        );
        rounds[build].push(s);
      }
      compare('SQLite', rounds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const admin = await connectPgAdmin('the PostgreSQL baseline comparison is skipped');
    if (!admin) {
      rows.push({
        name: name('PostgreSQL'),
        skipped: true,
        reason: 'PostgreSQL unreachable',
        target,
      });
      return;
    }
    try {
      const warmup = generateWebhooks({
        tag: 'pw',
        rooms: 50,
        identitiesPerRoom: 20,
        count: 15_000,
      });
      const pool = generateWebhooks({
        tag: 'p',
        rooms: ROOMS,
        identitiesPerRoom: IDENTITIES,
        count: PG_POOL,
      });
      const rounds = { before: [], now: [] };
      for (const [i, build] of order.entries()) {
        await withPgSchema(admin, async (url, schema) => {
          const server = spawnServer('service', { BENCH_DATABASE_URL: url, ...env(build) });
          const port = await server.ready;
          const { s, answered, built } = await ingestScenario({
            label: `postgres ${build}`,
            port,
            pool,
            warmup,
          });
          await stopServer(server, `postgres ingest ${build}`);
          const count = async (table) =>
            Number((await admin.query(`select count(*) as n from "${schema}".${table}`)).rows[0].n);
          const stored = await count('inbox');
          const audit = build === 'now' ? await count('audit_log') : null;
          if (stored < answered || stored > built)
            notes.push(`postgres ${build}: ${answered} webhooks answered 2xx but ${stored} stored`);
          log(
            `  round ${i + 1}, PostgreSQL ${build}: ${fmt(s.rps)}/s p50 ${s.p50} ms p99 ${s.p99} ms` +
              ` (stored ${fmt(stored)}${audit === null ? '' : `, ${fmt(audit)} audit rows`}, non-2xx ${s.non2xx}, errors ${s.errors})`,
          );
          rounds[build].push(s);
        });
      }
      compare('PostgreSQL', rounds);
    } finally {
      await admin.end();
    }
  } finally {
    baseline.remove();
  }
}
