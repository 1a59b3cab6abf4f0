// Bench child for `ingest-instructions`: `node bench/ingest-inproc.js HOOKS.json` ingests the
// pre-signed webhooks in HOOKS.json through the runtime's WebhookIngestor (verify, inbox, fold,
// group commit; no HTTP), 64 in flight, into a fresh SQLite file, then exits. BENCH_DIST (default
// ../dist) is the compiled service to load, as in bench/server.js. Run under
// `valgrind --tool=callgrind` by bench/run.js, which counts the instructions it executes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const DIST = new URL(`${process.env.BENCH_DIST ?? '../dist'}/`, import.meta.url);
const dist = (path) => import(new URL(path, DIST).href);

const hooks = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { loadConfig } = await dist('config/index.js');
const { createLogger } = await dist('telemetry/index.js');
const { createRuntime } = await dist('main.js');
const dir = mkdtempSync(join(os.tmpdir(), 'attendance-bench-inproc-'));
try {
  const rt = await createRuntime({
    config: loadConfig({
      DATABASE_URL: `sqlite:${join(dir, 'attendance.db')}`,
      LOG_LEVEL: 'silent',
      API_TOKEN: 'bench-api-token-0123456789',
    }),
    logger: createLogger({ level: 'silent' }),
    livekit: { url: null, apiKey: 'devkey', apiSecret: 'secret', timeoutMs: 2_000 },
  });
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < hooks.length) {
          const h = hooks[next++];
          const outcome = await rt.ingestor.ingest(h.body, h.token);
          if (outcome.status !== 'accepted') throw new Error(`ingest answered ${outcome.status}`);
        }
      }),
    );
  } finally {
    await rt.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
