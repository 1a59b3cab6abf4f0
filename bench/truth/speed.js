// The speed table: rows of bench/run.js (reused, not re-measured: `npm run bench` runs it first and
// this reads its results.json; `npm run bench:truth` runs the subset it needs into a temporary
// directory), each beside its physical limit measured in the same run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

export const SPEED_SCENARIOS =
  'verify-only,sqlite-ingest,sqlite-reads,postgres,session-report,reconcile';

/** bench/run.js's titles of the servers behind the rows "webhook ingest, SQLite" and "status read, SQLite". */
const SQLITE_LOAD_SERVERS = ['sqlite ingest', 'sqlite reads', 'sqlite reads, cache off'];

export function runSpeedBench({ here, log }) {
  const dir = mkdtempSync(join(os.tmpdir(), 'attendance-truth-speed-'));
  try {
    log(`  node bench/run.js --only=${SPEED_SCENARIOS} (a few minutes)`);
    execFileSync(process.execPath, [join(here, '..', 'run.js'), `--only=${SPEED_SCENARIOS}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, BENCH_RESULTS_DIR: dir },
    });
    return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readSpeedResults(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Rows { name, value, limitName, limit, ratio, target, met } from a bench/run.js results.json. */
export function speedRows(results) {
  const find = (prefix) => results.results.find((r) => r.name.startsWith(prefix) && !r.skipped);
  const rows = [];
  const rate = (r) => (r ? `${fmt(r.rps)}/s` : 'skipped');
  const post = find('bare POST');
  const get = find('bare GET');
  const verify = find('verify-only webhook route');
  rows.push({
    name: 'bare Fastify POST (the HTTP ceiling)',
    value: rate(post),
    limitName: 'itself',
    ratio: 1,
  });
  rows.push({ name: 'bare Fastify GET', value: rate(get), limitName: 'itself', ratio: 1 });
  rows.push({
    name: 'verify-only webhook route (WebhookReceiver, no store)',
    value: rate(verify),
    limitName: 'bare POST',
    ratio: verify && post ? verify.rps / post.rps : null,
  });
  for (const [label, prefix] of [
    ['webhook ingest, SQLite (synchronous=full)', 'webhook ingest, SQLite'],
    ['webhook ingest, PostgreSQL', 'webhook ingest, PostgreSQL'],
  ]) {
    const r = results.results.find((x) => x.name === prefix && !x.skipped);
    const ratio = r && verify ? r.rps / verify.rps : null;
    rows.push({
      name: label,
      value: rate(r),
      limitName: 'verify-only',
      ratio,
      target: '≥ 0.6× verify-only',
      met: ratio === null ? null : ratio >= 0.6,
    });
  }
  const reads = results.results.find((x) => x.name === 'status read, SQLite');
  rows.push({
    name: 'status read, SQLite (cached, as a polling page sees it)',
    value: rate(reads),
    limitName: 'bare GET',
    ratio: reads && get ? reads.rps / get.rps : null,
  });
  const second = results.reconcile?.second;
  rows.push({
    name: 'reconcile pass, 1,000 rooms × 20 (second: confirms 20,000)',
    value: second ? `${fmt(second.ms)} ms` : 'skipped',
    limitName: '1 + 1,000 API calls (one list per room)',
    ratio: second ? (second.calls.ListRooms + second.calls.ListParticipants) / 1001 : null,
    target: '1 + 1,000 calls, < 5 s',
    met: second ? second.pass : null,
  });
  for (const db of ['SQLite', 'PostgreSQL']) {
    const r = results.results.find(
      (x) => x.name.startsWith(`session report JSON, ${db}`) && !x.skipped,
    );
    rows.push({
      name: `session report JSON, ${db} (1,000 people × 10 cycles)`,
      value: r ? `p50 ${r.p50} ms, p99 ${r.p99} ms` : 'skipped',
      limitName: '100 ms (the target; no physical floor measured)',
      ratio: r ? r.p50 / 100 : null,
      target: 'p50 and p99 < 100 ms',
      met: r ? r.pass : null,
    });
  }
  const bareRss = (results.rss ?? []).find((x) => x.mode === 'bare');
  // Only the servers of the SQLite ingest and status-read rows above (the storm's, the sync
  // rounds', the sessions' and the old build's servers report their own), so the figure is the
  // same whether `npm run bench` hands over its full run or this runs SPEED_SCENARIOS.
  const svcRss = (results.rss ?? []).filter((x) => SQLITE_LOAD_SERVERS.includes(x.server));
  const peak = svcRss.length > 0 ? Math.max(...svcRss.map((x) => x.maxRssBytes)) : null;
  rows.push({
    name: 'peak RSS of the service under load (SQLite)',
    value: peak ? `${(peak / 2 ** 20).toFixed(0)} MiB` : 'not measured',
    limitName: bareRss
      ? `bare Fastify process, ${(bareRss.maxRssBytes / 2 ** 20).toFixed(0)} MiB`
      : 'bare Fastify process',
    ratio: peak && bareRss ? peak / bareRss.maxRssBytes : null,
  });
  return rows;
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
