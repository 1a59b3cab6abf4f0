// The school day the truth benchmark replays: per room a teacher and students who arrive on time or
// late, leave at the end or early, lose their network and come back, switch devices, open the page
// while media never connects, or never come; recorders and agents in some rooms. Pure data, drawn
// from the seed: `buildScenario` returns timed actions for the emulator and each page's polling
// windows; nothing here touches the emulator or the service.
import { chance, substream, uniform } from './random.js';

const S = 1_000;
const MIN = 60 * S;

/** Share of students with each behaviour (a student can have several of the mid-session ones). */
export const BEHAVIOUR = {
  absent: 0.04,
  pageOnly: 0.03,
  late: 0.15,
  earlyLeave: 0.1,
  blip: 0.2,
  deviceSwitch: 0.08,
  slowNewDevice: 0.4, // of device switches: the new device sits in JOINED before media connects
  lostForGood: 0.04,
  cameraToggle: 0.3,
  camera: 0.65,
  recorderRoom: 0.5,
  agentRoom: 0.3,
};

/**
 * @param {{ seed: number, rooms: number, people: number, startsAtMs: number, minutes: number }} o
 * @returns {{ rooms: Room[], actions: Action[], pages: Page[] }}
 *   Action: { atMs, room, handle, type, ... } with type connect | activate | publish | unpublish |
 *   leave | abrupt | switch | abort; `handle` names one session (a sid once connected).
 *   Page: { room, identity, windows: [[fromMs, toMs], ...] } when the person's page polls.
 */
export function buildScenario(o) {
  const endsAtMs = o.startsAtMs + o.minutes * MIN;
  const actions = [];
  const pages = [];
  const rooms = [];
  for (let r = 0; r < o.rooms; r++) {
    const room = `class-${String(r).padStart(3, '0')}`;
    const rand = substream(o.seed, room);
    const teacher = `${room}-teacher`;
    const students = Array.from(
      { length: o.people - 1 },
      (_, i) => `${room}-s${String(i).padStart(2, '0')}`,
    );
    rooms.push({ room, teacher, roster: [teacher, ...students] });
    const plan = (identity, role) =>
      planPerson({ rand, room, identity, role, startsAtMs: o.startsAtMs, endsAtMs });
    for (const p of [plan(teacher, 'teacher'), ...students.map((s) => plan(s, 'student'))]) {
      actions.push(...p.actions);
      if (p.windows.length > 0) pages.push({ room, identity: p.identity, windows: p.windows });
    }
    if (chance(rand, BEHAVIOUR.recorderRoom)) {
      const handle = `${room}-recorder#0`;
      const at = o.startsAtMs - uniform(rand, 30, 90) * S;
      actions.push({
        atMs: at,
        room,
        handle,
        type: 'connect',
        identity: `EG_${room}`,
        kind: 'EGRESS',
      });
    }
    if (chance(rand, BEHAVIOUR.agentRoom)) {
      const handle = `${room}-agent#0`;
      const at = o.startsAtMs + uniform(rand, 0, 30) * S;
      actions.push({
        atMs: at,
        room,
        handle,
        type: 'connect',
        identity: `agent-${room}`,
        kind: 'AGENT',
      });
      actions.push({ atMs: at + 2 * S, room, handle, type: 'publish', track: 'mic' });
    }
  }
  // Whole milliseconds, as LiveKit's clocks give them.
  for (const a of actions) a.atMs = Math.round(a.atMs);
  for (const p of pages)
    p.windows = p.windows.map(([from, to]) => [Math.round(from), Math.round(to)]);
  actions.sort((a, b) => a.atMs - b.atMs);
  return { rooms, actions, pages, endsAtMs };
}

function planPerson({ rand, room, identity, role, startsAtMs, endsAtMs }) {
  const actions = [];
  const windows = [];
  let n = 0;
  const newHandle = () => `${identity}#${n++}`;
  const teacher = role === 'teacher';
  if (!teacher && chance(rand, BEHAVIOUR.absent)) return { identity, actions, windows };

  if (!teacher && chance(rand, BEHAVIOUR.pageOnly)) {
    // The page is open; media never connects: JOINED, removed after LiveKit's 1-minute join
    // verification (JOIN_FAILURE → participant_connection_aborted), tried again a while later.
    const open = startsAtMs + uniform(rand, -3, 5) * MIN;
    for (let t = open; t < endsAtMs - 2 * MIN; t += uniform(rand, 3, 8) * MIN) {
      const h = newHandle();
      actions.push({ atMs: t, room, handle: h, type: 'connect', identity, state: 'JOINED' });
      actions.push({ atMs: t + 60 * S, room, handle: h, type: 'abort' });
    }
    windows.push([open, endsAtMs]);
    return { identity, actions, windows };
  }

  const arriveMs = teacher
    ? startsAtMs - uniform(rand, 2, 5) * MIN
    : chance(rand, BEHAVIOUR.late)
      ? startsAtMs + uniform(rand, 6, 20) * MIN
      : startsAtMs + uniform(rand, -4, 3) * MIN;
  let leaveMs = teacher
    ? endsAtMs + uniform(rand, 1, 3) * MIN
    : chance(rand, BEHAVIOUR.earlyLeave)
      ? endsAtMs - uniform(rand, 6, 20) * MIN
      : endsAtMs + uniform(rand, -1, 1.5) * MIN;
  let lostForGood = false;
  if (!teacher && chance(rand, BEHAVIOUR.lostForGood)) {
    leaveMs = uniform(rand, arriveMs + 5 * MIN, endsAtMs - 3 * MIN);
    lostForGood = true;
  }
  const camera = chance(rand, BEHAVIOUR.camera);
  const toggle = camera && chance(rand, BEHAVIOUR.cameraToggle);

  // Mid-session interruptions, at distinct moments, in order.
  const breaks = [];
  if (!teacher && chance(rand, BEHAVIOUR.blip)) {
    const count = chance(rand, 0.35) ? 2 : 1;
    for (let i = 0; i < count; i++) breaks.push({ kind: 'blip', atMs: 0 });
  }
  if (!teacher && chance(rand, BEHAVIOUR.deviceSwitch)) breaks.push({ kind: 'switch', atMs: 0 });
  for (const b of breaks) b.atMs = uniform(rand, arriveMs + 2 * MIN, leaveMs - 2 * MIN);
  breaks.sort((a, b) => a.atMs - b.atMs);

  const pageOpen = arriveMs - uniform(rand, 5, 60) * S;
  let windowStart = pageOpen;
  let h = newHandle();
  const tracksFor = (handle, activeAtMs, untilMs) => {
    actions.push({
      atMs: activeAtMs + uniform(rand, 0.5, 3) * S,
      room,
      handle,
      type: 'publish',
      track: 'mic',
    });
    if (!camera) return;
    const camAt = activeAtMs + uniform(rand, 1, 5) * S;
    actions.push({ atMs: camAt, room, handle, type: 'publish', track: 'camera' });
    if (toggle && untilMs - camAt > 4 * MIN) {
      const off = uniform(rand, camAt + MIN, untilMs - 3 * MIN);
      const on = Math.min(off + uniform(rand, 1, 10) * MIN, untilMs - MIN);
      actions.push({ atMs: off, room, handle, type: 'unpublish', track: 'camera' });
      actions.push({ atMs: on, room, handle, type: 'publish', track: 'camera' });
    }
  };
  actions.push({ atMs: arriveMs, room, handle: h, type: 'connect', identity });
  let activeAt = arriveMs;
  let lastBreak = arriveMs;
  for (const b of breaks) {
    if (b.atMs <= lastBreak + MIN) continue;
    tracksFor(h, activeAt, b.atMs);
    const old = h;
    h = newHandle();
    if (b.kind === 'switch') {
      const slow = chance(rand, BEHAVIOUR.slowNewDevice);
      actions.push({
        atMs: b.atMs,
        room,
        handle: old,
        type: 'switch',
        to: h,
        identity,
        state: slow ? 'JOINED' : 'ACTIVE',
      });
      activeAt = slow ? b.atMs + uniform(rand, 5, 40) * S : b.atMs;
      if (slow) actions.push({ atMs: activeAt, room, handle: h, type: 'activate' });
    } else if (chance(rand, 0.5)) {
      // Media dies; the client comes back before LiveKit gives up (15 s): a full reconnect,
      // the old session closed as DUPLICATE_IDENTITY.
      actions.push({ atMs: b.atMs, room, handle: old, type: 'abrupt' });
      activeAt = b.atMs + uniform(rand, 3, 12) * S;
      actions.push({
        atMs: activeAt,
        room,
        handle: old,
        type: 'switch',
        to: h,
        identity,
        state: 'ACTIVE',
      });
      windows.push([windowStart, b.atMs]);
      windowStart = activeAt;
    } else {
      // Media dies; LiveKit closes the session ~15 s later (CONNECTION_TIMEOUT); the client joins
      // again a little after that, with a new sid.
      actions.push({ atMs: b.atMs, room, handle: old, type: 'abrupt' });
      activeAt = b.atMs + uniform(rand, 16, 45) * S;
      actions.push({ atMs: activeAt, room, handle: h, type: 'connect', identity });
      windows.push([windowStart, b.atMs]);
      windowStart = activeAt;
    }
    lastBreak = activeAt;
  }
  tracksFor(h, activeAt, leaveMs);
  if (lostForGood) {
    actions.push({ atMs: leaveMs, room, handle: h, type: 'abrupt' });
  } else {
    actions.push({ atMs: leaveMs, room, handle: h, type: 'leave' });
  }
  windows.push([windowStart, leaveMs]);
  return { identity, actions, windows };
}
