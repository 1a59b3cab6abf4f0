import type { Emulator } from '../emulator/index.js';

export const DEMO_ROOM = 'demo-class';

const STUDENTS = [
  ['ana', 'Ana Müller'],
  ['bo', 'Bo Chen'],
  ['chidi', 'Chidi Okafor'],
  ['dana', 'Dana Levi'],
  ['emil', 'Emil Novák'],
  ['farah', 'Farah Haddad'],
  ['goro', 'Gorō Tanaka'],
] as const;

/** The host of the demo class. */
export const DEMO_TEACHER = { identity: 'teacher', name: 'Prof. Ada Lovelace' } as const;

/**
 * The demo session's roster: the students who come and go, one who never comes, and one who dials
 * in by phone (a SIP participant under another identity, counted as her through an alias).
 */
export const DEMO_ROSTER: ReadonlyArray<{ identity: string; name: string; aliases: string[] }> = [
  ...STUDENTS.map(([identity, name]) => ({ identity, name, aliases: [] })),
  { identity: 'hana', name: 'Hana Sato', aliases: [] },
  { identity: 'ines', name: 'Inês Costa', aliases: ['ines-phone'] },
];

export interface SimulatedClass {
  stop(): void;
}

/**
 * A class that runs itself against the embedded emulator, so a newcomer sees the whole product with
 * nothing else installed: a teacher and students join, some leave and come back, one switches
 * device, one loses the network, one keeps the page open without ever connecting media, and a
 * recorder and an agent sit in the room (recorded, not counted). Uses only the emulator's API.
 */
export function startSimulatedClass(emu: Emulator, opts: { tickMs?: number } = {}): SimulatedClass {
  const tickMs = opts.tickMs ?? 4_000;
  const online = new Map<string, string>(); // identity -> sid
  const published = new Set<string>();
  const connect = (identity: string, name: string, kind?: 'AGENT' | 'EGRESS' | 'SIP') => {
    const r = emu.connect(DEMO_ROOM, { identity, name, ...(kind ? { kind } : {}) });
    online.set(identity, r.sid);
  };
  connect(DEMO_TEACHER.identity, DEMO_TEACHER.name);
  connect('ines-phone', 'Phone +351 21 000 0000', 'SIP');
  connect('recorder', 'Class recorder', 'EGRESS');
  connect('assistant', 'Notes agent', 'AGENT');
  // Page open, media never connected: LiveKit lists it as JOINING; it must count 0.
  emu.connect(DEMO_ROOM, { identity: 'page-only', name: 'Page Only', state: 'JOINING' });

  let step = 0;
  const timer = setInterval(() => {
    step += 1;
    try {
      const [identity, name] = STUDENTS[step % STUDENTS.length]!;
      const sid = online.get(identity);
      if (sid === undefined) {
        connect(identity, name);
        return;
      }
      const roll = (step * 7919) % 10;
      if (roll < 2) {
        emu.disconnect(DEMO_ROOM, sid, { reason: 'CLIENT_INITIATED' });
        online.delete(identity);
        published.delete(sid);
      } else if (roll < 3) {
        // A device switch: the same identity connects again and LiveKit replaces the old session.
        published.delete(sid);
        connect(identity, name);
      } else if (roll < 4) {
        emu.abruptDisconnect(DEMO_ROOM, sid);
        online.delete(identity);
        published.delete(sid);
      } else if (!published.has(sid)) {
        // One microphone per connection, as a real client publishes (tracks are presence evidence).
        emu.publishTrack(DEMO_ROOM, sid, { source: 'MICROPHONE' });
        published.add(sid);
      }
    } catch {
      // A participant the emulator already closed (abrupt disconnect ended it): start afresh next tick.
      online.clear();
    }
  }, tickMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
