// `npm run bench:truth`: accuracy and LiveKit API cost of this service beside the published
// per-user verification approach (bench/truth/baseline.js), on the emulator's virtual clock, plus
// the speed table with its limits. Writes bench/truth.md and bench/truth.json.
//   node bench/truth/run.js [--seed=1] [--rooms=200] [--people=30] [--minutes=60]
//                           [--loss=0,0.05,0.2,0.5] [--workers=2]
//                           [--speed-from=bench/results.json | --no-speed] [--out=bench]
// `npm run bench` runs bench/run.js first and passes its results.json (--speed-from): the speed
// rows are reused, not measured twice. Needs `npm run build` (it drives dist/).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DUPLICATE_RATE, REORDER_RATE } from './delivery.js';
import { measureCost } from './cost.js';
import { renderTruth, targetsOf } from './report.js';
import { readSpeedResults, runSpeedBench, speedRows } from './speed.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? fallback : a.slice(name.length + 3);
};
const opts = {
  seed: Number(arg('seed', '1')),
  rooms: Number(arg('rooms', '200')),
  people: Number(arg('people', '30')),
  minutes: Number(arg('minutes', '60')),
  intervalMs: 120_000,
};
const lossRates = arg('loss', '0,0.05,0.2,0.5').split(',').map(Number);
const workers = Number(arg('workers', '2'));
const outDir = arg('out', join(HERE, '..'));
const log = (...a) => console.log(...a);
const dist = (p) => import(new URL(`../../dist/${p}`, import.meta.url).href);

const t0 = performance.now();
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  loadAvg: os.loadavg()[0],
  ...opts,
  intervalS: opts.intervalMs / 1000,
  lossRates,
  reorderRate: REORDER_RATE,
  duplicateRate: DUPLICATE_RATE,
};
log(
  `truth benchmark — seed ${opts.seed}, ${opts.rooms} rooms × ${opts.people} people × ${opts.minutes} min, loss ${lossRates.join(', ')}`,
);

// ---- accuracy: one process per loss rate, `workers` at a time -------------------------------
log('\n[accuracy] one school day per loss rate, virtual clock');
const run = promisify(execFile);
const queue = [...lossRates];
const accuracy = [];
await Promise.all(
  Array.from({ length: Math.min(workers, queue.length) }, async () => {
    while (queue.length > 0) {
      const lossRate = queue.shift();
      const started = performance.now();
      const { stdout } = await run(
        process.execPath,
        [join(HERE, 'worker.js'), JSON.stringify({ ...opts, lossRate })],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      const r = JSON.parse(stdout);
      accuracy.push(r);
      const ours = r.ours[0];
      log(
        `  loss ${lossRate * 100} %: ${r.generated} events in ${((performance.now() - started) / 1000).toFixed(0)} s;` +
          ` ours mean ${ours.meanErrorS.toFixed(1)} s, over ${ours.overCountS.toFixed(1)} s, per lost left ${ours.lostLeaveMeanErrorS.toFixed(1)} s (${ours.lostLeaves})` +
          r.baselines
            .map(
              (b) =>
                `; ${b.name}: mean ${b.meanErrorS.toFixed(0)} s, status differs ${(b.statusDiffersShare * 100).toFixed(0)} %`,
            )
            .join(''),
      );
    }
  }),
);
accuracy.sort((a, b) => a.lossRate - b.lossRate);

// ---- cost ---------------------------------------------------------------------------------
log('\n[cost] 10,000 people in 400 rooms, pages polling every 15 s');
const cost = await measureCost({ dist, log });

// ---- speed --------------------------------------------------------------------------------
let speed = null;
let speedMeta = null;
if (!process.argv.includes('--no-speed')) {
  log('\n[speed] the speed table');
  const from = arg('speed-from', null);
  const results = from ? readSpeedResults(from) : runSpeedBench({ here: HERE, log });
  speed = speedRows(results);
  speedMeta = `${results.meta.date.slice(0, 10)}, ${results.meta.pinned}, ${results.meta.connections} connections`;
}

meta.seconds = (performance.now() - t0) / 1000;
const targets = targetsOf({ accuracy, cost, speed, intervalS: meta.intervalS });
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'truth.md'),
  renderTruth({ meta, accuracy, cost, speed, speedMeta, targets }),
);
writeFileSync(
  join(outDir, 'truth.json'),
  `${JSON.stringify({ meta, targets, accuracy, cost, speed }, null, 2)}\n`,
);
for (const t of targets)
  log(`  ${t.met === null ? '—' : t.met ? 'met   ' : 'MISSED'} ${t.what}: ${t.value}`);
log(`\nwrote ${join(outDir, 'truth.md')} and truth.json in ${meta.seconds.toFixed(0)} s`);
