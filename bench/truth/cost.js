// LiveKit API cost: 10,000 people in 400 rooms whose pages poll their status every 15 s. This
// service: the real reconciler against the emulator over HTTP (ListRooms + ListParticipants per
// room, every RECONCILE_INTERVAL_SECONDS), status reads from its own tables. The baseline: one
// GetParticipant per poll (10 s cache) plus its 2-minute sweep, counted on virtual time; and the
// wall time of one sweep each way (the baseline's through the real SDK, 16 calls in flight as the
// reconciler has).
import { PerUserBaseline, SWEEP_INTERVAL_MS } from './baseline.js';
import { POLL_MS } from './simulate.js';

const S = 1_000;
const MIN = 60 * S;

export async function measureCost({
  dist,
  rooms = 400,
  perRoom = 25,
  intervalMs = 120 * S,
  minutes = 10,
  log = () => {},
}) {
  const { startEmulatorServer } = await dist('emulator/index.js');
  const { loadConfig } = await dist('config/index.js');
  const { createLogger } = await dist('telemetry/index.js');
  const { createRuntime } = await dist('main.js');
  const { RoomServiceClient } = await import('livekit-server-sdk');
  const people = rooms * perRoom;
  const server = await startEmulatorServer({ port: 0, seed: 9 });
  const emu = server.emulator;
  emu.populate({ rooms, participantsPerRoom: perRoom });
  const rt = await createRuntime({
    config: loadConfig({
      DATABASE_URL: 'sqlite::memory:',
      LOG_LEVEL: 'silent',
      API_TOKEN: 'bench-truth-api-token-0123456789',
    }),
    logger: createLogger({ level: 'silent' }),
    livekit: { url: server.url, apiKey: 'devkey', apiSecret: 'secret', timeoutMs: 10_000 },
  });
  try {
    await rt.scheduler.stop();
    const ours = {};
    for (const pass of ['first', 'second']) {
      emu.resetApiCalls();
      const t0 = performance.now();
      const report = await rt.reconciler.runPass({ trigger: 'cli' });
      ours[pass] = {
        ms: performance.now() - t0,
        calls: total(emu.apiCalls()),
        outcome: report?.outcome,
      };
    }
    // One round of every page's poll (15 s of polling): reads only, no LiveKit call.
    emu.resetApiCalls();
    const t0 = performance.now();
    let inMeeting = 0;
    for (let r = 0; r < rooms; r++) {
      for (let p = 0; p < perRoom; p++)
        if ((await rt.query.identityStatus(`room-${r}`, `user-${r}-${p}`)).inMeeting) inMeeting++;
    }
    const readMs = performance.now() - t0;
    const readCalls = total(emu.apiCalls());
    const oursPerMin = ours.second.calls * (MIN / intervalMs) + readCalls * (MIN / POLL_MS);
    log(
      `  ours: pass ${ours.second.calls} calls in ${ours.second.ms.toFixed(0)} ms; ${people} status reads in ${readMs.toFixed(0)} ms, ${readCalls} calls, ${inMeeting} in meeting`,
    );

    // The baseline on virtual time: every page polls every 15 s, its cache holds 10 s.
    const users = [];
    for (let r = 0; r < rooms; r++)
      for (let p = 0; p < perRoom; p++)
        users.push({ room: `room-${r}`, identity: `user-${r}-${p}` });
    const baseline = new PerUserBaseline({
      users,
      getParticipant: (room, identity) => {
        const p = emu.peekParticipant(room, identity);
        // No outage here: the only error is not_found, so both readings of API errors
        // (variants.js, BASELINES) make exactly the same calls.
        return p === undefined ? { ok: false, error: 'not_found' } : { ok: true, state: p.state };
      },
    });
    const t1 = Date.UTC(2026, 2, 2, 9);
    for (const u of users)
      baseline.onWebhook({ type: 'participant_joined', ...u, createdAtMs: t1 - MIN });
    const ticks = [];
    users.forEach((u, i) => ticks.push({ u, phase: Math.floor((i * 7919) % POLL_MS) }));
    for (let at = 0; at < minutes * MIN; at += S) {
      for (const { u, phase } of ticks)
        if ((at + POLL_MS - (phase - (phase % S))) % POLL_MS === 0)
          baseline.onStatusCheck(u.room, u.identity, t1 + at);
      if (at % SWEEP_INTERVAL_MS === 0 && at > 0) baseline.sweep(t1 + at);
    }
    const baselinePerMin = baseline.apiCalls / minutes;
    // One sweep of the baseline over HTTP: 10,000 GetParticipant calls, 16 in flight.
    const client = new RoomServiceClient(server.url, 'devkey', 'secret');
    emu.resetApiCalls();
    let next = 0;
    let retried = 0;
    const t2 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < users.length) {
          const u = users[next++];
          // A keep-alive socket the emulator closed while this process was busy resets: asked again.
          for (let attempt = 1; ; attempt++) {
            try {
              await client.getParticipant(u.room, u.identity);
              break;
            } catch (e) {
              if (attempt === 5 || !(e instanceof TypeError)) throw e;
              retried++;
            }
          }
        }
      }),
    );
    const sweepMs = performance.now() - t2;
    log(
      `  baseline: ${baselinePerMin.toFixed(0)} calls/min; one sweep of ${users.length} GetParticipant in ${sweepMs.toFixed(0)} ms`,
    );
    return {
      people,
      rooms,
      pollSeconds: POLL_MS / S,
      intervalSeconds: intervalMs / S,
      ours: {
        callsPerPass: ours.second.calls,
        callsPerMinute: oursPerMin,
        firstPassMs: ours.first.ms,
        sweepMs: ours.second.ms,
        statusReadCalls: readCalls,
        statusReadsMs: readMs,
        inMeeting,
      },
      baseline: {
        callsPerMinute: baselinePerMin,
        callsPerUserPerMinute: baselinePerMin / people,
        sweepMs,
        sweepCalls: total(emu.apiCalls()),
        sweepRetriedAfterReset: retried,
      },
      ratio: baselinePerMin / oursPerMin,
    };
  } finally {
    await rt.close();
    await server.close();
  }
}

function total(calls) {
  return Object.values(calls).reduce((a, b) => a + b, 0);
}
