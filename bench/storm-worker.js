// Open-loop webhook load for the storm scenario, in its own process (pinned to the load core):
// signed webhooks (bench/webhooks.js webhookStream, signed as they are sent) at a fixed rate,
// whatever the service answers. Request n is due at start + n / rate; its latency runs from that
// moment, not from when a socket was free, so a stalled service shows in p99 instead of slowing
// the load down (no coordinated omission). Requests wait in the agent's queue for one of
// `connections` keep-alive sockets; more than `maxInFlight` waiting or in flight and the due
// requests are counted as `skipped` and not sent (the service is too far behind).
// Two phases on one unbroken schedule: a warm-up, until the parent sends { type: 'measure' } over
// IPC (at most `warmupCapS`; past it the worker measures from then on by itself), then the
// measured storm of `durationS`. Each phase reports its own counts and latencies.
// Usage: spawned with an IPC channel, options as JSON on stdin: { port, rate, warmupCapS,
// durationS, connections, maxInFlight, stream: webhookStream's options }. Prints `START` when the
// first request is due, then the result as one JSON line once every request has been answered
// (or `drainS` passed).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { webhookStream } from './webhooks.js';

const opts = JSON.parse(readFileSync(0, 'utf8'));
const { port, rate, warmupCapS, durationS, connections, maxInFlight } = opts;
const { drainS = 15, bucketS = 5 } = opts;
const stream = webhookStream(opts.stream);
// Pre-sign a second's worth so the first ticks are not spent signing.
const ahead = Array.from({ length: Math.ceil(rate) }, () => stream.next().value);
const take = () => ahead.pop() ?? stream.next().value;

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const capacity = Math.ceil(rate * (warmupCapS + durationS)) + 1;
/** Per request n (in due order): latency in ms, and 0 unanswered, 1 not sent, 2 error, or the HTTP status. */
const latencies = new Float32Array(capacity);
const outcome = new Uint16Array(capacity);
const NOT_SENT = 1;
const ERROR = 2;
const buckets = Array.from({ length: Math.ceil((warmupCapS + durationS) / bucketS) + 1 }, () => ({
  sent: 0,
  ok: 0,
}));
let sent = 0;
let inFlight = 0;
let t0 = 0;
/** The first request of the measured storm, when it starts, and the end of its schedule. */
let measureFrom = null;
let measureAt = 0;
let end = capacity - 1;

const bucket = (at) =>
  buckets[Math.min(buckets.length - 1, Math.floor((at - t0) / 1000 / bucketS))];

function send(n, w, dueAt) {
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
        latencies[n] = now - dueAt;
        outcome[n] = res.statusCode;
        if (res.statusCode >= 200 && res.statusCode < 300) bucket(now).ok++;
        inFlight--;
      });
    },
  );
  req.on('error', () => {
    outcome[n] = ERROR;
    inFlight--;
  });
  req.end(w.body);
}

function tick() {
  const now = performance.now();
  if (measureFrom === null && now - t0 >= warmupCapS * 1000) measure();
  const due = Math.min(end, Math.floor(((now - t0) * rate) / 1000) + 1);
  while (sent < due) {
    if (inFlight >= maxInFlight) {
      outcome.fill(NOT_SENT, sent, due);
      sent = due;
      break;
    }
    send(sent, take(), t0 + (sent * 1000) / rate);
    sent++;
  }
}

/** The measured storm starts now: the requests due from now on, for durationS. */
function measure() {
  if (measureFrom !== null) return;
  measureAt = performance.now();
  measureFrom = Math.min(capacity - 1, Math.floor(((measureAt - t0) * rate) / 1000) + 1);
  end = Math.min(capacity, measureFrom + Math.round(rate * durationS));
}

/** Counts and latency quantiles of requests [from, to). */
function phase(from, to, seconds) {
  const lat = [];
  const statusCodes = {};
  let ok = 0;
  let notSent = 0;
  let errors = 0;
  let unanswered = 0;
  for (let n = from; n < to; n++) {
    const o = outcome[n];
    if (o === 0) unanswered++;
    else if (o === NOT_SENT) notSent++;
    else if (o === ERROR) errors++;
    else {
      statusCodes[o] = (statusCodes[o] ?? 0) + 1;
      if (o >= 200 && o < 300) ok++;
      lat.push(latencies[n]);
    }
  }
  const sorted = Float64Array.from(lat).sort();
  const at = (q) =>
    sorted.length === 0
      ? null
      : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] * 10) / 10;
  return {
    durationS: seconds,
    due: to - from,
    sent: to - from - notSent,
    answered: sorted.length,
    ok,
    non2xx: sorted.length - ok,
    errors,
    skipped: notSent,
    unanswered,
    statusCodes,
    p50: at(0.5),
    p99: at(0.99),
    max: at(1),
  };
}

process.on('message', (m) => {
  if (m?.type === 'measure') measure();
});
process.stdout.write('START\n');
t0 = performance.now();
const timer = setInterval(tick, 2);
tick();
while (sent < end) await new Promise((resolve) => setTimeout(resolve, 20));
clearInterval(timer);
const sentAt = performance.now();
const drainUntil = sentAt + drainS * 1000;
while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
process.stdout.write(
  `${JSON.stringify({
    targetRate: rate,
    warmup: phase(0, measureFrom, (measureAt - t0) / 1000),
    storm: phase(measureFrom, end, (sentAt - measureAt) / 1000),
    measureAtS: (measureAt - t0) / 1000,
    buckets: buckets.map((b, i) => ({ fromS: i * bucketS, sent: b.sent, ok: b.ok })),
  })}\n`,
);
agent.destroy();
process.disconnect?.();
process.exit(0);
