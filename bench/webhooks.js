// Pre-generated, pre-signed LiveKit webhooks: a realistic mix of participant_joined /
// track_published / participant_left over many rooms and identities, each with a unique event id.
import { signWebhook } from '../dist/emulator/index.js';

const KEY = 'devkey';
const SECRET = 'secret';

/**
 * Bodies as LiveKit's Go encoder writes them (camelCase, int64 as strings, defaults omitted).
 * Participants are taken in blocks: everyone in a block joins, then publishes, then leaves, the way a
 * busy deployment interleaves many meetings. Cycle `c` of an identity gets its own participant sid:
 * it joins at `baseMs + c × 2 min` (plus up to 7 s, by position) and leaves a minute later.
 */
export function generateWebhooks({ count, ...shape }) {
  const out = new Array(count);
  const stream = webhookStream(shape);
  for (let n = 0; n < count; n++) out[n] = stream.next().value;
  return out;
}

/**
 * The same webhooks as generateWebhooks, signed one at a time as they are taken, without end (the
 * cycles go on): for loads too long to pre-sign (bench/storm-worker.js). Each token is signed
 * with the current second as its `iat` (valid for WEBHOOK_TOKEN_TTL_SECONDS, 5 minutes).
 */
export function* webhookStream({
  tag,
  rooms,
  identitiesPerRoom,
  block = 500,
  baseMs = Date.now() - 6 * 3600_000,
}) {
  const participants = rooms * identitiesPerRoom;
  let seq = 0;
  for (let cycle = 0; ; cycle++) {
    for (let start = 0; start < participants; start += block) {
      const end = Math.min(start + block, participants);
      for (const kind of ['participant_joined', 'track_published', 'participant_left']) {
        for (let p = start; p < end; p++) {
          const r = p % rooms;
          const i = Math.floor(p / rooms);
          const room = `${tag}room-${r}`;
          const identity = `user-${r}-${i}`;
          const sid = `PA_${tag}${r}_${i}_${cycle}`;
          const joinedAtMs = baseMs + cycle * 120_000 + (p % 1000) * 7;
          const atMs =
            kind === 'participant_joined'
              ? joinedAtMs
              : kind === 'track_published'
                ? joinedAtMs + 2_000
                : joinedAtMs + 60_000;
          const body = JSON.stringify(
            webhookObject(kind, {
              id: `EV_${tag}${(seq++).toString(36)}_${cycle}`,
              room,
              roomSid: `RM_${tag}${r}`,
              sid,
              identity,
              joinedAtMs,
              createdAtS: Math.floor(atMs / 1000),
            }),
          );
          const iatSeconds = Math.floor(Date.now() / 1000);
          const { token } = signWebhook({ apiKey: KEY, apiSecret: SECRET, body, iatSeconds });
          yield { body, token };
        }
      }
    }
  }
}

function webhookObject(kind, e) {
  const room = { sid: e.roomSid, name: e.room };
  if (kind === 'track_published') {
    return {
      event: kind,
      room,
      participant: { sid: e.sid, identity: e.identity },
      track: { sid: `TR_${e.sid}`, type: 'AUDIO', name: 'microphone', source: 'MICROPHONE' },
      id: e.id,
      createdAt: String(e.createdAtS),
    };
  }
  const joined = kind === 'participant_joined';
  return {
    event: kind,
    room,
    participant: {
      sid: e.sid,
      identity: e.identity,
      state: joined ? 'ACTIVE' : 'DISCONNECTED',
      joinedAt: String(Math.floor(e.joinedAtMs / 1000)),
      joinedAtMs: String(e.joinedAtMs),
      name: `User ${e.identity}`,
      version: joined ? 2 : 5,
      ...(joined ? {} : { disconnectReason: 'CLIENT_INITIATED' }),
    },
    id: e.id,
    createdAt: String(e.createdAtS),
  };
}
