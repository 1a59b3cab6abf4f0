import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type CycleView, type IdentityStatus, type RoomAttendanceRow } from '../../core/index.js';
import type { AppDeps } from '../app-deps.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { identityParam, roomParam } from '../path-params.js';
import { errorBodySchema } from '../error-registry.js';
import { wantsCsv } from '../query-values.js';
import { csvLine, isoOrNull } from '../format.js';

/** Identities per page of the JSON room report: the default and the most one request may ask. */
export const REPORT_PAGE_DEFAULT = 500;
export const REPORT_PAGE_MAX = 5000;
/** A cursor names one identity (≤ 512 characters, ≤ 4 bytes each) in base64url JSON. */
const MAX_CURSOR_LENGTH = 4 * 1024;

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const SOURCES = ['webhook', 'reconciler', 'room_finished', 'manual'];

const cycleSchema = {
  type: 'object',
  required: ['sid', 'kind', 'joinedAt', 'leftAt', 'durationMs', 'counted', 'openedBy', 'closedBy'],
  properties: {
    sid: { type: 'string' },
    kind: { type: 'string', description: 'ParticipantInfo kind (STANDARD, SIP, AGENT, EGRESS, …)' },
    joinedAt: nullableTime,
    leftAt: nullableTime,
    durationMs: {
      type: 'integer',
      description: 'Counted time of this cycle; 0 for aborted joins and uncounted kinds',
    },
    counted: { type: 'boolean' },
    openedBy: { type: 'string', enum: SOURCES },
    closedBy: { type: ['string', 'null'], enum: [...SOURCES, null] },
  },
} as const;

const statusSchema = {
  type: 'object',
  required: [
    'room',
    'identity',
    'name',
    'inMeeting',
    'attendedMs',
    'firstJoinedAt',
    'lastLeftAt',
    'lastVerifiedAt',
    'cycles',
  ],
  properties: {
    room: { type: 'string' },
    identity: { type: 'string' },
    name: { type: ['string', 'null'] },
    inMeeting: { type: 'boolean' },
    attendedMs: { type: 'integer' },
    firstJoinedAt: nullableTime,
    lastLeftAt: nullableTime,
    lastVerifiedAt: {
      ...nullableTime,
      description: "When a reconcile pass last obtained this room's participant list",
    },
    cycles: { type: 'array', items: cycleSchema },
  },
} as const;

const rowSchema = {
  type: 'object',
  required: [
    'identity',
    'name',
    'attendedMs',
    'inMeeting',
    'firstJoinedAt',
    'lastLeftAt',
    'cycleCount',
  ],
  properties: {
    identity: { type: 'string' },
    name: { type: ['string', 'null'] },
    attendedMs: { type: 'integer' },
    inMeeting: { type: 'boolean' },
    firstJoinedAt: nullableTime,
    lastLeftAt: nullableTime,
    cycleCount: { type: 'integer' },
  },
} as const;

export const CSV_COLUMNS = [
  'identity',
  'name',
  'attendedMs',
  'inMeeting',
  'firstJoinedAt',
  'lastLeftAt',
  'cycleCount',
];

function cycleJson(c: CycleView) {
  return {
    sid: c.sid,
    kind: c.kind,
    joinedAt: isoOrNull(c.joinedAtMs),
    leftAt: isoOrNull(c.leftAtMs),
    durationMs: c.durationMs,
    counted: c.counted,
    openedBy: c.openedBy,
    closedBy: c.closedBy,
  };
}

export function statusJson(s: IdentityStatus) {
  return {
    room: s.room,
    identity: s.identity,
    name: s.name,
    inMeeting: s.inMeeting,
    attendedMs: s.attendedMs,
    firstJoinedAt: isoOrNull(s.firstJoinedAtMs),
    lastLeftAt: isoOrNull(s.lastLeftAtMs),
    lastVerifiedAt: isoOrNull(s.lastVerifiedAtMs),
    cycles: s.cycles.map(cycleJson),
  };
}

function rowJson(r: RoomAttendanceRow) {
  return {
    identity: r.identity,
    name: r.name,
    attendedMs: r.attendedMs,
    inMeeting: r.inMeeting,
    firstJoinedAt: isoOrNull(r.firstJoinedAtMs),
    lastLeftAt: isoOrNull(r.lastLeftAtMs),
    cycleCount: r.cycleCount,
  };
}

export async function attendanceRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get<{ Params: { room: string; identity: string }; Querystring: { verify?: boolean } }>(
    '/api/v1/rooms/:room/participants/:identity',
    {
      schema: {
        summary: 'Attendance status of one participant identity in one room',
        tags: ['attendance'],
        security: [{ bearerAuth: [] }],
        params: {
          type: 'object',
          required: ['room', 'identity'],
          properties: { room: roomParam, identity: identityParam },
        },
        querystring: {
          type: 'object',
          properties: {
            verify: {
              type: 'boolean',
              default: false,
              description:
                'Check the room live with LiveKit first (one shared call per room, reused for up to 10 s)',
            },
          },
        },
        response: { 200: statusSchema, 400: errorBodySchema, 401: errorBodySchema },
      },
    },
    async (req) => {
      const { room, identity } = req.params;
      if (req.query.verify) await deps.roomVerifier.verify(room);
      return statusJson(await deps.query.identityStatus(room, identity));
    },
  );

  app.get<{
    Params: { room: string };
    Querystring: { format?: 'json' | 'csv'; limit: number; cursor?: string };
  }>(
    '/api/v1/rooms/:room/attendance',
    {
      schema: {
        summary: 'Attendance of every identity seen in a room',
        description:
          'JSON by default, one page of identities at a time: `limit` rows (default ' +
          `${REPORT_PAGE_DEFAULT}, at most ${REPORT_PAGE_MAX}), and \`nextCursor\` to pass as \`cursor\` ` +
          'for the next page (null on the last). CSV with `?format=csv` or `Accept: text/csv` streams every ' +
          'row in one response, ignoring `limit` and `cursor` (columns: ' +
          CSV_COLUMNS.join(', ') +
          ').',
        tags: ['attendance'],
        security: [{ bearerAuth: [] }],
        params: { type: 'object', required: ['room'], properties: { room: roomParam } },
        querystring: {
          type: 'object',
          properties: {
            format: { type: 'string', enum: ['json', 'csv'] },
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: REPORT_PAGE_MAX,
              default: REPORT_PAGE_DEFAULT,
              description: 'Identities per page (JSON)',
            },
            cursor: {
              type: 'string',
              minLength: 1,
              maxLength: MAX_CURSOR_LENGTH,
              description: 'Opaque: the `nextCursor` of the previous page',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['room', 'generatedAt', 'participants', 'nextCursor'],
            properties: {
              room: { type: 'string' },
              generatedAt: { type: 'string', format: 'date-time' },
              participants: { type: 'array', items: rowSchema },
              nextCursor: {
                type: ['string', 'null'],
                description: 'Pass as `cursor` for the next page; null when this is the last',
              },
            },
          },
          400: errorBodySchema,
          401: errorBodySchema,
        },
      },
    },
    async (req, reply) => {
      const { room } = req.params;
      if (wantsCsv(req.query.format, req.headers.accept)) {
        const file = `attendance-${room.replace(/[^A-Za-z0-9._-]+/g, '_')}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${file}"`)
          .send(Readable.from(csvLines(deps, room)));
      }
      const afterIdentity =
        req.query.cursor === undefined
          ? null
          : decodeCursor(req.query.cursor, ({ after }) =>
              typeof after === 'string' && after !== '' && !after.includes('\u0000') ? after : null,
            );
      const page = await deps.query.roomAttendancePage(room, {
        afterIdentity,
        limit: req.query.limit,
      });
      return {
        room,
        generatedAt: isoOrNull(deps.query.now()),
        participants: page.rows.map(rowJson),
        nextCursor:
          page.nextAfterIdentity === null ? null : encodeCursor({ after: page.nextAfterIdentity }),
      };
    },
  );
}

/** The CSV report: the header, then every row, read from the store a page at a time. */
async function* csvLines(deps: AppDeps, room: string): AsyncGenerator<string> {
  yield csvLine(CSV_COLUMNS);
  let afterIdentity: string | null = null;
  do {
    const page = await deps.query.roomAttendancePage(room, {
      afterIdentity,
      limit: REPORT_PAGE_MAX,
    });
    yield page.rows
      .map((r) => {
        const j = rowJson(r);
        return csvLine([
          j.identity,
          j.name,
          j.attendedMs,
          j.inMeeting,
          j.firstJoinedAt,
          j.lastLeftAt,
          j.cycleCount,
        ]);
      })
      .join('');
    afterIdentity = page.nextAfterIdentity;
  } while (afterIdentity !== null);
}
