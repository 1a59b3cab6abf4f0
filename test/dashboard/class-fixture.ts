import { expect } from 'vitest';
import { webhookBody, type Harness } from '../helpers/harness.js';

export const MIN = 60_000;
export const ROOM = 'algebra-main';
export const BREAKOUT = 'algebra-breakout';

/**
 * An Algebra class that ended ten minutes ago, in Istanbul's time zone: Ana on time throughout
 * (part of it in the breakout room), Bo 20 minutes late, Cy never came, Gus a guest, the teacher
 * hosting. Webhooks go through the real route; with no LiveKit configured the report is final.
 */
export async function recordEndedClass(
  h: Harness,
  id = 'algebra-1',
): Promise<{ startsAtMs: number }> {
  const startsAtMs = Math.floor((Date.now() - 70 * MIN) / 1000) * 1000;
  const at = (m: number) => startsAtMs + m * MIN;
  const put = await h.api(`/api/v1/sessions/${id}`, {
    method: 'PUT',
    body: {
      title: 'Algebra 1',
      rooms: [ROOM, BREAKOUT],
      startsAt: new Date(at(0)).toISOString(),
      endsAt: new Date(at(60)).toISOString(),
      timezone: 'Europe/Istanbul',
      hosts: ['teacher'],
      roster: [
        { identity: 'ana', name: 'Ana Müller', role: 'student' },
        { identity: 'bo', name: 'Bo Chen', role: 'student' },
        { identity: 'cy', name: 'Cy Park', role: 'student' },
      ],
      tags: ['algebra'],
    },
  });
  expect(put.status).toBe(201);
  let seq = 0;
  const post = async (body: string) => expect((await h.postWebhook(body)).status).toBe(200);
  const attend = async (
    identity: string,
    name: string,
    sid: string,
    from: number,
    to: number,
    room = ROOM,
  ) => {
    const roomRef = { name: room, sid: `RM_${room}` };
    await post(
      webhookBody({
        event: 'participant_joined',
        id: `EV_${++seq}`,
        createdAtS: Math.floor(at(from) / 1000),
        room: roomRef,
        participant: { sid, identity, name, version: 1, state: 'ACTIVE', joinedAtMs: at(from) },
      }),
    );
    await post(
      webhookBody({
        event: 'participant_left',
        id: `EV_${++seq}`,
        createdAtS: Math.floor(at(to) / 1000),
        room: roomRef,
        participant: { sid, identity, state: 'DISCONNECTED' },
      }),
    );
  };
  await attend('teacher', 'Ms Teacher', 'PA_t', -2, 61);
  await attend('ana', 'Ana Müller', 'PA_a1', 0, 30);
  await attend('ana', 'Ana Müller', 'PA_a2', 30, 45, BREAKOUT);
  await attend('ana', 'Ana Müller', 'PA_a3', 45, 60);
  await attend('bo', 'Bo Chen', 'PA_b', 20, 60);
  await attend('gus', 'Gus Guest', 'PA_g', 10, 40);
  return { startsAtMs };
}

const COURSE_STUDENTS = [
  ['ana', 'Ana Müller'],
  ['bo', 'Bo Chen'],
  ['cy', 'Cy Park'],
  ['dee', 'Dee Ray'],
  ['eli', 'Eli Okafor'],
  ['fay', 'Fay Lindqvist'],
  ['gil', 'Gil Santos'],
  ['hana', 'Hana Sato'],
] as const;

/** Minutes each student joined and left in each weekly class (null: absent). */
const COURSE_WEEKS: ([number, number] | null)[][] = [
  [
    [0, 50],
    [0, 50],
    [2, 50],
    [0, 50],
    [0, 50],
    [1, 50],
    [0, 50],
    [0, 50],
  ],
  [[0, 50], [8, 50], null, [0, 50], [0, 42], [0, 50], [0, 50], [0, 50]],
  [[0, 50], [0, 50], null, [12, 50], [0, 50], [0, 50], null, [0, 50]],
  [[0, 50], [3, 50], [0, 50], [0, 30], [0, 50], null, [0, 50], [0, 50]],
  [[0, 50], [0, 50], null, null, [0, 50], [15, 50], [0, 50], [0, 50]],
  [
    [0, 50],
    [6, 50],
    [0, 50],
    [0, 50],
    [0, 50],
    [0, 50],
    [0, 50],
    [2, 50],
  ],
];

/**
 * Six weekly 50-minute Algebra classes (tag `algebra`) at 09:00 UTC, the last one a week before
 * today, eight students on the roster and the teacher hosting: the analytics page's course.
 */
export async function recordAlgebraCourse(h: Harness): Promise<void> {
  const DAY = 24 * 60 * MIN;
  const today = Math.floor(Date.now() / DAY) * DAY;
  let seq = 0;
  for (const [n, week] of COURSE_WEEKS.entries()) {
    const start = today - (COURSE_WEEKS.length - n) * 7 * DAY + 9 * 60 * MIN;
    const room = `algebra-week-${n + 1}`;
    const put = await h.api(`/api/v1/sessions/${room}`, {
      method: 'PUT',
      body: {
        title: `Algebra, week ${n + 1}`,
        rooms: [room],
        startsAt: new Date(start).toISOString(),
        endsAt: new Date(start + 50 * MIN).toISOString(),
        hosts: ['teacher'],
        roster: COURSE_STUDENTS.map(([identity, name]) => ({ identity, name })),
        tags: ['algebra'],
      },
    });
    expect(put.status).toBe(201);
    const attend = async (identity: string, name: string, from: number, to: number) => {
      const sid = `PA_w${n}_${++seq}`;
      const roomRef = { name: room, sid: `RM_${room}` };
      const joined = webhookBody({
        event: 'participant_joined',
        id: `EV_w${n}_${++seq}`,
        createdAtS: Math.floor((start + from * MIN) / 1000),
        room: roomRef,
        participant: {
          sid,
          identity,
          name,
          version: 1,
          state: 'ACTIVE',
          joinedAtMs: start + from * MIN,
        },
      });
      const left = webhookBody({
        event: 'participant_left',
        id: `EV_w${n}_${++seq}`,
        createdAtS: Math.floor((start + to * MIN) / 1000),
        room: roomRef,
        participant: { sid, identity, state: 'DISCONNECTED' },
      });
      for (const body of [joined, left]) expect((await h.postWebhook(body)).status).toBe(200);
    };
    await attend('teacher', 'Ms Teacher', -3, 52);
    for (const [i, span] of week.entries()) {
      const [identity, name] = COURSE_STUDENTS[i]!;
      if (span !== null) await attend(identity, name, span[0], span[1]);
    }
  }
}
