import { describe, expect, it } from 'vitest';
import {
  foldJournal,
  observeRoom,
  type Cycle,
  type FoldState,
  type JournalEntry,
  type ListedParticipant,
} from '../../src/core/index.js';
import { decodeJournalEntry, encodeObservation } from '../../src/service/index.js';

const T = 1_700_000_000_000;
const ROOM = 'r';

const alice = (over: Partial<ListedParticipant> = {}): ListedParticipant => ({
  sid: 'PA_a',
  identity: 'alice',
  name: 'Alice',
  kind: 'STANDARD',
  joinedAtMs: T,
  version: 1,
  state: 'ACTIVE',
  ...over,
});

function fold(entries: JournalEntry[]): Map<string, Cycle> {
  const state: FoldState = { cycles: new Map(), roomFinishedAtMs: new Map() };
  for (const e of entries) foldJournal(state, [e]);
  return state.cycles;
}

describe('the observation codec', () => {
  it("dates a pass's sightings on LiveKit's clock, and journals that offset", () => {
    // LiveKit's clock runs 2 minutes behind: alice joined at T by it, the pass saw her at
    // T + 5 min by ours (T + 3 by LiveKit's), and the next left her out.
    const offset = { livekitOffsetMs: -120_000 };
    const seen = observeRoom({
      id: 'RO_1',
      room: ROOM,
      roomSid: 'RM_1',
      roomsListedAtMs: T + 300_000,
      requestedAtMs: T + 300_000,
      answeredAtMs: T + 300_100,
      ...offset,
      listed: [alice()],
      openBefore: [],
    });
    const gone = observeRoom({
      ...seen,
      id: 'RO_2',
      roomsListedAtMs: T + 360_000,
      requestedAtMs: T + 360_000,
      answeredAtMs: T + 360_100,
      listed: [],
      openBefore: [{ sid: 'PA_a', identity: 'alice' }],
    });
    const live = fold([seen, gone].map((observation) => ({ kind: 'observation', observation })));
    expect(live.get('PA_a')).toMatchObject({
      lastSeenAtMs: T + 180_000,
      estimatedLeftAtMs: T + 180_000,
    });
    const stored = [seen, gone].map((o) => encodeObservation(o, new Map()));
    expect(JSON.parse(stored[0]!.body)).toMatchObject(offset);
    expect(fold(stored.flatMap(decodeJournalEntry))).toEqual(live);
  });

  it('journals a known listing reduced and folds it back to the same cycle', () => {
    const first = observeRoom({
      id: 'RO_1',
      room: ROOM,
      roomSid: 'RM_1',
      roomsListedAtMs: T + 60_000,
      requestedAtMs: T + 60_000,
      answeredAtMs: T + 60_200,
      listed: [alice()],
      openBefore: [],
    });
    const second = { ...first, id: 'RO_2', requestedAtMs: T + 120_000, answeredAtMs: T + 120_300 };
    const live = fold([first, second].map((observation) => ({ kind: 'observation', observation })));
    const known = new Map([['PA_a', live.get('PA_a')!]]);
    const stored = encodeObservation(second, known);
    expect(JSON.parse(stored.body).listed).toEqual([['PA_a', 'alice', 'A']]);
    const replayed = fold([
      ...decodeJournalEntry(encodeObservation(first, new Map())),
      ...decodeJournalEntry(stored),
    ]);
    expect(replayed).toEqual(live);
  });

  it('keeps a listing in full when a reduced one would fold to another room sid', () => {
    // Alice joined after ListRooms answered: the live fold does not give her its room sid, and a
    // reduced listing (no join time) would.
    const late = alice({ joinedAtMs: T + 61_000 });
    const first = observeRoom({
      id: 'RO_1',
      room: ROOM,
      roomSid: null,
      roomsListedAtMs: T + 60_000,
      requestedAtMs: T + 62_000,
      answeredAtMs: T + 62_200,
      listed: [late],
      openBefore: [],
    });
    const second = observeRoom({ ...first, id: 'RO_2', roomSid: 'RM_old', openBefore: [] });
    const live = fold([first, second].map((observation) => ({ kind: 'observation', observation })));
    expect(live.get('PA_a')?.roomSid).toBeNull();
    const stored = encodeObservation(
      second,
      new Map([['PA_a', fold([{ kind: 'observation', observation: first }]).get('PA_a')!]]),
    );
    expect(JSON.parse(stored.body).listed).toEqual([late]);
    const replayed = fold([
      ...decodeJournalEntry(encodeObservation(first, new Map())),
      ...decodeJournalEntry(stored),
    ]);
    expect(replayed).toEqual(live);
  });
});
