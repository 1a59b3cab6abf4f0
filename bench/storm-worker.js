// Open-loop webhook load for the storm scenario, in its own process (pinned to the load core):
// signed webhooks (bench/webhooks.js webhookStream, signed as they are sent) at a fixed rate,
// whatever the service answers. Request n is due at start + n / rate; its latency runs from that
// moment, not from when a socket was free, so a stalled service shows in p99 instead of slowing
// the load down (no coordinated omission). Requests wait in the agent's queue for one of
// `connections` keep-alive sockets; more than `maxInFlight` waiting or in flight and the due
// requests are counted as `skipped` and not sent (the service is too far behind).
// Usage: node bench/storm-worker.js < options.json; options { port, rate, durationS, connections,
// maxInFlight, stream: webhookStream's options }. Prints `START` when the first request is due,
// then the result as one JSON line once every request has been answered (or `drainS` passed).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { webhookStream } from './webhooks.js';

const opts = JSON.parse(readFileSync(0, 'utf8'));
const { port, rate, durationS, connections, maxInFlight, drainS = 15, bucketS = 5 } = opts;
const stream = webhookStream(opts.stream);
// Pre-sign a second's worth so the first ticks are not spent signing.
const ahead = Array.from({ length: Math.ceil(rate) }, () => stream.next().value);
const take = () => ahead.pop() ?? stream.next().value;

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const total = Math.round(rate * durationS);
const latencies = new Float64Array(total);
const buckets = Array.from({ length: Math.ceil(durationS / bucketS) + 1 }, () => ({
  sent: 0,
  ok: 0,
}));
const statusCodes = {};
let sent = 0;
let answered = 0;
let ok = 0;
let errors = 0;
let skipped = 0;
let inFlight = 0;
let t0 = 0;

const bucket = (at) =>
  buckets[Math.min(buckets.length - 1, Math.floor((at - t0) / 1000 / bucketS))];

function send(w, dueAt) {
  inFlight++;
  bucket(dueAt).sent++;
  const req = http.request(
    {
      agent,
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/webhooks/livekit',
      headers: {
        'content-type': 'application/webhook+json',
        'content-length': Buffer.byteLength(w.body),
        authorization: w.token,
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => {
        const now = performance.now();
        latencies[answered++] = now - dueAt;
        statusCodes[res.statusCode] = (statusCodes[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 200 && res.statusCode < 300) {
          ok++;
          bucket(now).ok++;
        }
        inFlight--;
      });
    },
  );
  req.on('error', () => {
    errors++;
    inFlight--;
  });
  req.end(w.body);
}

function tick() {
  const now = performance.now();
  const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
  while (sent < due) {
    if (inFlight >= maxInFlight) {
      skipped += due - sent;
      sent = due;
      break;
    }
    send(take(), t0 + (sent * 1000) / rate);
    sent++;
  }
}

process.stdout.write('START\n');
t0 = performance.now();
const timer = setInterval(tick, 2);
tick();
await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
clearInterval(timer);
tick();
const sendingS = (performance.now() - t0) / 1000;
const drainUntil = performance.now() + drainS * 1000;
while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
const lat = latencies.subarray(0, answered).sort();
const at = (q) =>
  lat.length === 0
    ? null
    : Math.round(lat[Math.min(lat.length - 1, Math.ceil(q * lat.length) - 1)] * 10) / 10;
process.stdout.write(
  `${JSON.stringify({
    targetRate: rate,
    durationS: sendingS,
    sent: sent - skipped,
    answered,
    ok,
    non2xx: answered - ok,
    errors,
    skipped,
    unanswered: inFlight,
    statusCodes,
    p50: at(0.5),
    p99: at(0.99),
    max: at(1),
    buckets: buckets.map((b, i) => ({ fromS: i * bucketS, sent: b.sent, ok: b.ok })),
  })}\n`,
);
agent.destroy();
process.exit(0);
