// Accuracy against the emulator's ground truth: per person attended time inside the session
// window (truth, this service, the baseline), over-count, session status under the default policy
// (computed by the product's own core for all of them, so only the cycles differ), the error of each
// lost participant_left, and cycles closed while the person was still there.

const S = 1_000;

export function measureAccuracy({ core, sim, scenario, window, evalAtMs }) {
  const {
    blankCycle,
    computeSessionReport,
    intervalOf,
    isCounted,
    leftAtOf,
    unionIntervals,
    clipIntervals,
  } = core;
  const key = (room, identity) => `${room}\n${identity}`;
  const clipUnion = (list) => unionIntervals(clipIntervals(unionIntervals(list), window));
  const measure = (list) => list.reduce((a, i) => a + (i.endMs - i.startMs), 0);
  const policy = sim.variants[0]?.policy;
  const uncounted =
    sim.variants[0]?.uncountedKinds ?? new Set(['EGRESS', 'INGRESS', 'AGENT', 'BRIDGE']);
  const counting = { uncountedKinds: uncounted };

  // ---- ground truth: each connection that reached ACTIVE, joinedAtMs to LiveKit's end --------
  const truthBy = new Map();
  const truthBySid = new Map();
  for (const c of sim.truth) {
    truthBySid.set(c.sid, c);
    if (c.activeAtMs === null || uncounted.has(c.kind)) continue;
    const k = key(c.room, c.identity);
    const list = truthBy.get(k) ?? [];
    list.push(c);
    truthBy.set(k, list);
  }
  const makeCycle = (room, identity, sid, joinedAtMs, leftAtMs, kind = 'STANDARD') => {
    const c = blankCycle(
      { name: room, sid: null },
      { sid, identity, name: null, kind, joinedAtMs, version: null },
    );
    Object.assign(c, { kind, joinedAtMs, connected: true, joinSeen: true });
    if (leftAtMs !== null)
      Object.assign(c, { webhookEndedAtMs: leftAtMs, endedAtMs: leftAtMs, endedBy: 'webhook' });
    return c;
  };
  const sessionOf = (r) => ({
    id: r.room,
    title: null,
    rooms: [r.room],
    startsAtMs: window.startMs,
    endsAtMs: window.endMs,
    timezone: 'UTC',
    hosts: [r.teacher],
    roster: r.roster.map((identity) => ({ identity, name: null, role: null, aliases: [] })),
    tags: [],
    policy,
    createdAtMs: 0,
    updatedAtMs: 0,
  });
  const statusesOf = (r, cycles) => {
    const report = computeSessionReport({
      session: sessionOf(r),
      cycles,
      overrides: [],
      nowMs: evalAtMs,
      counting,
    });
    return new Map(report.participants.map((p) => [p.identity, p.status]));
  };

  // ---- per person, per estimator ---------------------------------------------------------------
  const truthRows = new Map();
  const truthStatus = new Map();
  for (const r of scenario.rooms) {
    const cycles = [];
    for (const identity of r.roster) {
      const conns = truthBy.get(key(r.room, identity)) ?? [];
      const intervals = clipUnion(
        conns.map((c) => ({ startMs: c.joinedAtMs, endMs: c.endedAtMs ?? evalAtMs })),
      );
      truthRows.set(key(r.room, identity), {
        intervals,
        ms: measure(intervals),
        connections: conns.length,
      });
      for (const c of conns)
        cycles.push(makeCycle(r.room, identity, c.sid, c.joinedAtMs, c.endedAtMs));
    }
    for (const [identity, status] of statusesOf(r, cycles))
      truthStatus.set(key(r.room, identity), status);
  }

  const compare = (name, intervalsOf, cyclesOfRoom) => {
    const errors = [];
    let overMs = 0;
    let underMs = 0;
    let statusDiffers = 0;
    let people = 0;
    let exact = true;
    let maxConnections = 0;
    for (const r of scenario.rooms) {
      const statuses = statusesOf(r, cyclesOfRoom(r));
      for (const identity of r.roster) {
        const k = key(r.room, identity);
        const t = truthRows.get(k);
        const mine = clipUnion(intervalsOf(r.room, identity));
        const over = measure(subtract(mine, t.intervals));
        const under = measure(subtract(t.intervals, mine));
        overMs += over;
        underMs += under;
        const err = measure(mine) - t.ms;
        errors.push(Math.abs(err));
        // LiveKit's createdAt has whole seconds: a leave can read up to 1 s early, per connection.
        if (over > 0 || under > S * Math.max(1, t.connections)) exact = false;
        maxConnections = Math.max(maxConnections, t.connections);
        if (statuses.get(identity) !== truthStatus.get(k)) statusDiffers++;
        people++;
      }
    }
    errors.sort((a, b) => a - b);
    return {
      name,
      people,
      meanErrorS: errors.reduce((a, b) => a + b, 0) / errors.length / S,
      p95ErrorS: errors[Math.min(errors.length - 1, Math.ceil(0.95 * errors.length) - 1)] / S,
      maxErrorS: errors.at(-1) / S,
      overCountS: overMs / S,
      underCountS: underMs / S,
      statusDiffersShare: statusDiffers / people,
      statusDiffers,
      exactToPrecision: exact,
      maxConnections,
    };
  };

  const out = { variants: [], baselines: [] };
  for (const v of sim.variants) {
    const byPerson = new Map();
    const bySid = new Map();
    for (const c of v.cycles) {
      bySid.set(c.sid, c);
      if (!isCounted(c, counting)) continue;
      const list = byPerson.get(key(c.room, c.identity)) ?? [];
      list.push(c);
      byPerson.set(key(c.room, c.identity), list);
    }
    const row = compare(
      v.name,
      (room, identity) =>
        (byPerson.get(key(room, identity)) ?? [])
          .map((c) => intervalOf(c, evalAtMs))
          .filter(Boolean),
      (r) => v.cycles.filter((c) => c.room === r.room),
    );
    // Each lost participant_left of a person: how far this service's end of that sid is from the
    // real one, split by whether a track_unpublished of the same leave got through.
    const lost = { withEvidence: [], withoutEvidence: [], neverSeen: 0 };
    for (const [sid, l] of sim.leaves) {
      if (l.leftLost !== true) continue;
      const t = truthBySid.get(sid);
      if (t === undefined || t.activeAtMs === null || uncounted.has(t.kind) || t.endedAtMs === null)
        continue;
      const c = bySid.get(sid);
      if (c === undefined || !c.connected) {
        lost.neverSeen++;
        continue;
      }
      const end = leftAtOf(c) ?? evalAtMs;
      const evidence = v.deliverTracks && l.unpublished.some((u) => u.delivered);
      (evidence ? lost.withEvidence : lost.withoutEvidence).push(Math.abs(end - t.endedAtMs));
    }
    const all = [...lost.withEvidence, ...lost.withoutEvidence];
    const mean = (xs) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length / S);
    const earlyOutage = v.outageCloses.filter((a) => {
      const t = truthBySid.get(a.sid);
      return t !== undefined && (t.endedAtMs === null || t.endedAtMs > a.passAtMs);
    }).length;
    out.variants.push({
      ...row,
      deliverTracks: v.deliverTracks,
      apiCalls: v.apiCalls,
      passes: v.passes,
      lostLeaves: all.length,
      lostLeavesNeverSeen: lost.neverSeen,
      lostLeaveMeanErrorS: mean(all),
      lostLeaveWithEvidence: lost.withEvidence.length,
      lostLeaveWithEvidenceMeanErrorS: mean(lost.withEvidence),
      lostLeaveWithoutEvidenceMeanErrorS: mean(lost.withoutEvidence),
      closedEarlyDuringOutage: earlyOutage,
    });
  }
  const presentAt = (room, identity, atMs) =>
    (truthBy.get(key(room, identity)) ?? []).some(
      (c) => c.activeAtMs <= atMs && (c.endedAtMs === null || c.endedAtMs > atMs),
    );
  for (const b of sim.baselines) {
    const baseRow = compare(
      b.name,
      (room, identity) =>
        b
          .cyclesOf(room, identity)
          .map((c) => ({ startMs: c.joinedAtMs, endMs: c.leftAtMs ?? evalAtMs })),
      (r) =>
        r.roster.flatMap((identity) =>
          b
            .cyclesOf(r.room, identity)
            .map((c, i) =>
              makeCycle(r.room, identity, `${identity}#${i}`, c.joinedAtMs, c.leftAtMs),
            ),
        ),
    );
    const early = b.closes.filter((c) => presentAt(c.room, c.identity, c.atMs));
    out.baselines.push({
      ...baseRow,
      apiErrors: b.apiErrors,
      apiCalls: b.apiCalls,
      unknownAnswers: b.unknownAnswers,
      closedEarly: early.length,
      closedEarlyDuringOutage: early.filter(
        (c) => c.atMs >= window.outage.fromMs && c.atMs < window.outage.toMs,
      ).length,
    });
  }
  return out;
}

/** a ∖ b for sorted disjoint interval lists. */
function subtract(a, b) {
  const out = [];
  for (const x of a) {
    let start = x.startMs;
    for (const y of b) {
      if (y.endMs <= start || y.startMs >= x.endMs) continue;
      if (y.startMs > start) out.push({ startMs: start, endMs: y.startMs });
      start = Math.max(start, y.endMs);
      if (start >= x.endMs) break;
    }
    if (start < x.endMs) out.push({ startMs: start, endMs: x.endMs });
  }
  return out;
}
