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
