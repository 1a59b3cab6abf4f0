import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  ATTENDANCE_STATUSES,
  AUDIT_ACTIONS,
  AUDIT_SOURCES,
  LATE_FROM,
  MAX_NAME_LENGTH,
  parseSessionInput,
  SESSION_ID_PATTERN,
  type AttendanceStatus,
} from '../../core/index.js';
import type { AppDeps } from '../app-deps.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { identityParam, keysetPage, nameQuery, NO_NUL_PATTERN } from '../path-params.js';
import { errorBodySchema, HttpError } from '../error-registry.js';
import { instantQuery, wantsCsv } from '../query-values.js';
import {
  auditJson,
  participantReportJson,
  reportCsv,
  reportJson,
  SESSION_CSV_COLUMNS,
  sessionJson,
} from '../../service/index.js';

/** A session body may carry a 10,000-person roster. */
const SESSION_BODY_LIMIT = 4 * 1024 * 1024;
const LIST_DEFAULT = 50;
const LIST_MAX = 500;
const AUDIT_DEFAULT = 100;
const AUDIT_MAX = 1000;
const MAX_REASON = 500;

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const SOURCES = ['webhook', 'reconciler', 'room_finished', 'manual'];

const idParam = {
  type: 'string',
  minLength: 1,
  maxLength: 1024,
  description: 'Session id: 1–128 of A–Z a–z 0–9 . _ : -',
} as const;
const security = [{ bearerAuth: [] }];

const policySchema = {
  type: 'object',
  properties: {
    lateAfterMinutes: { type: 'number', minimum: 0 },
    leftEarlyMinutes: { type: 'number', minimum: 0 },
    presentPercent: { type: 'number', minimum: 0, maximum: 100 },
    absentBelowMinutes: { type: 'number', minimum: 0 },
    lateFrom: { type: 'string', enum: LATE_FROM },
  },
} as const;

const memberSchema = {
  type: 'object',
  required: ['identity'],
  properties: {
    identity: { type: 'string' },
    name: nullableString,
    role: nullableString,
    aliases: { type: 'array', items: { type: 'string' } },
  },
} as const;

const sessionBodySchema = {
  type: 'object',
  required: ['rooms', 'startsAt', 'endsAt'],
  properties: {
    title: nullableString,
    rooms: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 50 },
    startsAt: { type: 'string', description: 'ISO 8601 with an offset (Z or ±hh:mm)' },
    endsAt: { type: 'string', description: 'Later than startsAt, at most 7 days after it' },
    timezone: { type: 'string', description: 'IANA time zone name; default UTC' },
    hosts: { type: 'array', items: { type: 'string' } },
    roster: { type: 'array', items: memberSchema },
    tags: { type: 'array', items: { type: 'string' } },
    policy: policySchema,
  },
} as const;

const sessionSchema = {
  type: 'object',
  required: [
    'id',
    'title',
    'rooms',
    'startsAt',
    'endsAt',
    'timezone',
    'hosts',
    'roster',
    'tags',
    'policy',
    'createdAt',
    'updatedAt',
    'state',
  ],
  properties: {
    id: { type: 'string' },
    title: nullableString,
    rooms: { type: 'array', items: { type: 'string' } },
    startsAt: time,
    endsAt: time,
    timezone: { type: 'string' },
    hosts: { type: 'array', items: { type: 'string' } },
    roster: {
      type: 'array',
      items: { ...memberSchema, required: ['identity', 'name', 'role', 'aliases'] },
    },
    tags: { type: 'array', items: { type: 'string' } },
    policy: {
      ...policySchema,
      required: [
        'lateAfterMinutes',
        'leftEarlyMinutes',
        'presentPercent',
        'absentBelowMinutes',
        'lateFrom',
      ],
    },
    createdAt: time,
    updatedAt: time,
    state: { type: 'string', enum: ['scheduled', 'live', 'ended'] },
  },
} as const;

const overrideSchema = {
  // `nullable`, not type ['object', 'null']: the OpenAPI description would lose the null.
  type: 'object',
  nullable: true,
  required: ['status', 'reason', 'author', 'at'],
  properties: {
    status: { type: 'string', enum: ATTENDANCE_STATUSES },
    reason: { type: 'string' },
    author: { type: 'string' },
    at: time,
  },
} as const;

const rowProperties = {
  identity: { type: 'string' },
  name: nullableString,
  role: nullableString,
  isHost: { type: 'boolean' },
  onRoster: { type: 'boolean' },
  status: { type: 'string', enum: ATTENDANCE_STATUSES },
  computedStatus: {
    type: 'string',
    enum: ATTENDANCE_STATUSES,
    description: "The policy's answer before any override",
  },
  override: overrideSchema,
  inMeeting: { type: 'boolean' },
  attendedMs: { type: 'integer' },
  attendedPercent: { type: 'number', description: 'Of the scheduled time, one decimal' },
  firstJoinedAt: nullableTime,
  lastLeftAt: nullableTime,
  lateByMs: { type: 'integer' },
  leftEarlyByMs: { type: 'integer' },
  connections: { type: 'integer' },
  reconnects: { type: 'integer' },
  joinedByPhone: { type: 'boolean' },
  cycles: {
    type: 'array',
    items: {
      type: 'object',
      required: ['room', 'sid', 'kind', 'joinedAt', 'leftAt', 'durationMs', 'openedBy', 'closedBy'],
      properties: {
        room: { type: 'string' },
        sid: { type: 'string' },
        kind: { type: 'string' },
        joinedAt: time,
        leftAt: nullableTime,
        durationMs: { type: 'integer', description: 'Time of this cycle inside the window' },
        openedBy: { type: 'string', enum: SOURCES },
        closedBy: { type: ['string', 'null'], enum: [...SOURCES, null] },
      },
    },
  },
} as const;
const rowSchema = {
  type: 'object',
  required: Object.keys(rowProperties),
  properties: rowProperties,
} as const;

const reportSchema = {
  type: 'object',
  required: ['session', 'generatedAt', 'final', 'summary', 'dataQuality', 'participants'],
  properties: {
    session: sessionSchema,
    generatedAt: time,
    final: {
      type: 'boolean',
      description:
        'True once the session ended, none of its counted cycles is open inside the window, and a reconcile pass completed after endsAt (or LiveKit is not configured)',
    },
    summary: {
      type: 'object',
      required: ['expected', 'attended', 'guests', ...ATTENDANCE_STATUSES],
      properties: {
        expected: { type: 'integer', description: 'Roster size' },
        attended: { type: 'integer', description: 'People with attended time in the window' },
        guests: { type: 'integer' },
        ...Object.fromEntries(ATTENDANCE_STATUSES.map((s) => [s, { type: 'integer' }])),
      },
    },
    dataQuality: {
      type: 'object',
      required: [
        'webhooksReceived',
        'duplicatesDropped',
        'cyclesOpenedByReconciler',
        'cyclesClosedByReconciler',
        'verificationFailures',
        'lastVerifiedAt',
      ],
      properties: {
        webhooksReceived: { type: 'integer' },
        duplicatesDropped: { type: 'integer' },
        cyclesOpenedByReconciler: { type: 'integer' },
        cyclesClosedByReconciler: { type: 'integer' },
        verificationFailures: { type: 'integer' },
        lastVerifiedAt: nullableTime,
      },
    },
    participants: { type: 'array', items: rowSchema },
  },
} as const;

const auditEntrySchema = {
  type: 'object',
  required: [
    'id',
    'at',
    'action',
    'source',
    'actor',
    'session',
    'room',
    'identity',
    'sid',
    'before',
    'after',
    'reason',
  ],
  properties: {
    id: { type: 'integer' },
    at: time,
    action: { type: 'string', enum: AUDIT_ACTIONS },
    source: { type: 'string', enum: AUDIT_SOURCES },
    actor: nullableString,
    session: nullableString,
    room: nullableString,
    identity: nullableString,
    sid: nullableString,
    before: { nullable: true, description: 'What it was (JSON); null when it did not exist' },
    after: { nullable: true, description: 'What it became (JSON); null when removed' },
    reason: nullableString,
  },
} as const;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema };

/**
 * A JSON answer serialised with JSON.stringify, not the route schema's serializer: for a report's
 * 10,000 cycles fast-json-stringify's nullable and enum checks cost several times as much, and the
 * participant row is the hot read. The value must already be exactly the schema's fields
 * (reportJson, participantReportJson; the HTTP tests hold each answer to its schema).
 */
function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(value));
}

function checkId(id: string): void {
  if (!SESSION_ID_PATTERN.test(id)) {
    throw new HttpError('session_not_found', `no session ${JSON.stringify(id.slice(0, 128))}`);
  }
}

export async function sessionRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { sessions } = deps;

  app.put<{ Params: { id: string }; Body: unknown }>(
    '/api/v1/sessions/:id',
    {
      bodyLimit: SESSION_BODY_LIMIT,
      // The body schema documents the API only: the handler checks the body as it was sent and
      // names every problem at once (Ajv would coerce `[123]` to `["123"]` and stop at the first).
      validatorCompiler: () => () => true,
      schema: {
        summary: 'Create (201) or replace (200) a session',
        description:
          'The policy is resolved against the service defaults (POLICY_*) and stored with the session.',
        tags: ['sessions'],
        security,
        params: { type: 'object', required: ['id'], properties: { id: idParam } },
        body: sessionBodySchema,
        response: { 200: sessionSchema, 201: sessionSchema, ...errors },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const parsed = parseSessionInput(req.body, deps.policyDefaults);
      const problems = parsed.ok ? [] : [...parsed.problems];
      if (!SESSION_ID_PATTERN.test(id)) {
        problems.unshift('id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -');
      }
      if (!parsed.ok || problems.length > 0) {
        throw new HttpError('invalid_session', `invalid session: ${problems.join('; ')}`);
      }
      const { session, created } = await sessions.put(id, parsed.value);
      return reply.status(created ? 201 : 200).send(sessionJson(session, sessions.state(session)));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/sessions/:id',
    {
      schema: {
        summary: 'One session',
        tags: ['sessions'],
        security,
        params: { type: 'object', required: ['id'], properties: { id: idParam } },
        response: { 200: sessionSchema, ...errors },
      },
    },
    async (req) => {
      checkId(req.params.id);
      const session = await sessions.get(req.params.id);
      return sessionJson(session, sessions.state(session));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/sessions/:id',
    {
      schema: {
        summary: 'Delete a session and its overrides (cycles are untouched)',
        tags: ['sessions'],
        security,
        params: { type: 'object', required: ['id'], properties: { id: idParam } },
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (req, reply) => {
      checkId(req.params.id);
      await sessions.delete(req.params.id);
      return reply.status(204).send();
    },
  );

  app.get<{
    Querystring: {
      from?: string;
      to?: string;
      tag?: string;
      room?: string;
      limit: number;
      cursor?: string;
    };
  }>(
    '/api/v1/sessions',
    {
      schema: {
        summary: 'Sessions overlapping [from, to], newest first',
        tags: ['sessions'],
        security,
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'string', description: 'ISO 8601 with an offset' },
            to: { type: 'string', description: 'ISO 8601 with an offset' },
            tag: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_NUL_PATTERN },
            room: nameQuery,
            limit: { type: 'integer', minimum: 1, maximum: LIST_MAX, default: LIST_DEFAULT },
            cursor: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['sessions', 'nextCursor'],
            properties: {
              sessions: { type: 'array', items: sessionSchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errors,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const fromMs = instantQuery(q.from, 'from');
      const toMs = instantQuery(q.to, 'to');
      const after =
        q.cursor === undefined
          ? undefined
          : decodeCursor(q.cursor, (c) =>
              Number.isSafeInteger(c['s']) &&
              typeof c['id'] === 'string' &&
              SESSION_ID_PATTERN.test(c['id'])
                ? { startsAtMs: c['s'] as number, id: c['id'] }
                : null,
            );
      const list = await sessions.list({
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
        ...(q.tag === undefined ? {} : { tag: q.tag }),
        ...(q.room === undefined ? {} : { room: q.room }),
        ...(after === undefined ? {} : { after }),
        limit: q.limit + 1,
      });
      const { page, nextCursor } = keysetPage(list, q.limit, (last) =>
        encodeCursor({ s: last.startsAtMs, id: last.id }),
      );
      return { sessions: page.map((s) => sessionJson(s, sessions.state(s))), nextCursor };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { format?: 'json' | 'csv' } }>(
    '/api/v1/sessions/:id/attendance',
    {
      schema: {
        summary: 'Attendance report of a session: statuses, times, data quality',
        description: `JSON by default; CSV with \`?format=csv\` or \`Accept: text/csv\` (columns: ${SESSION_CSV_COLUMNS.join(', ')}; times in the session's time zone).`,
        tags: ['sessions'],
        security,
        params: { type: 'object', required: ['id'], properties: { id: idParam } },
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['json', 'csv'] } },
        },
        response: { 200: reportSchema, ...errors },
      },
    },
    async (req, reply) => {
      checkId(req.params.id);
      const report = await sessions.report(req.params.id);
      if (wantsCsv(req.query.format, req.headers.accept)) {
        const file = `attendance-${report.session.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${file}"`)
          .serializer((payload: string) => payload)
          .send(reportCsv(report));
      }
      return sendJson(reply, reportJson(report));
    },
  );

  const participantParams = {
    type: 'object',
    required: ['id', 'identity'],
    properties: { id: idParam, identity: identityParam },
  } as const;

  app.get<{ Params: { id: string; identity: string }; Querystring: { verify?: boolean } }>(
    '/api/v1/sessions/:id/participants/:identity',
    {
      schema: {
        summary: "One person's live row in a session (what a page polls)",
        description:
          'An identity that never came is `absent` with 0 ms; an alias answers for its roster member.',
        tags: ['sessions'],
        security,
        params: participantParams,
        querystring: {
          type: 'object',
          properties: {
            verify: {
              type: 'boolean',
              default: false,
              description:
                "Check the session's rooms live with LiveKit first (shared calls, reused for up to 10 s)",
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: [...Object.keys(rowProperties), 'lastVerifiedAt'],
            properties: { ...rowProperties, lastVerifiedAt: nullableTime },
          },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      checkId(req.params.id);
      const p = await sessions.participant(req.params.id, req.params.identity, {
        verify: req.query.verify === true,
      });
      return sendJson(reply, participantReportJson(p));
    },
  );

  app.put<{
    Params: { id: string; identity: string };
    Body: { status: AttendanceStatus; reason: string; author: string };
  }>(
    '/api/v1/sessions/:id/participants/:identity/override',
    {
      schema: {
        summary: "Set a person's status by hand (before, during or after the session)",
        tags: ['sessions'],
        security,
        params: participantParams,
        body: {
          type: 'object',
          required: ['status', 'reason', 'author'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ATTENDANCE_STATUSES },
            reason: {
              type: 'string',
              minLength: 1,
              maxLength: MAX_REASON,
              pattern: NO_NUL_PATTERN,
            },
            author: {
              type: 'string',
              minLength: 1,
              maxLength: MAX_NAME_LENGTH,
              pattern: NO_NUL_PATTERN,
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: [...Object.keys(rowProperties), 'lastVerifiedAt'],
            properties: { ...rowProperties, lastVerifiedAt: nullableTime },
          },
          ...errors,
        },
      },
    },
    async (req) => {
      checkId(req.params.id);
      const { status, reason, author } = req.body;
      if (reason.trim() === '' || author.trim() === '') {
        throw new HttpError('invalid_request', 'body/reason and body/author must not be blank');
      }
      const p = await sessions.setOverride(req.params.id, req.params.identity, {
        status,
        reason,
        author,
      });
      return participantReportJson(p);
    },
  );

  app.delete<{ Params: { id: string; identity: string } }>(
    '/api/v1/sessions/:id/participants/:identity/override',
    {
      schema: {
        summary: "Remove a person's override: the policy decides again",
        tags: ['sessions'],
        security,
        params: participantParams,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (req, reply) => {
      checkId(req.params.id);
      await sessions.removeOverride(req.params.id, req.params.identity);
      return reply.status(204).send();
    },
  );

  app.get<{
    Querystring: {
      session?: string;
      room?: string;
      identity?: string;
      since?: string;
      limit: number;
      cursor?: string;
    };
  }>(
    '/api/v1/audit',
    {
      schema: {
        summary: 'The audit trail, oldest first',
        description:
          "`session` gives that session's records and those of cycles in its rooms written from a day before its start to a day after its end.",
        tags: ['audit'],
        security,
        querystring: {
          type: 'object',
          properties: {
            session: { type: 'string', minLength: 1, maxLength: 128, pattern: NO_NUL_PATTERN },
            room: nameQuery,
            identity: nameQuery,
            since: { type: 'string', description: 'ISO 8601 with an offset' },
            limit: { type: 'integer', minimum: 1, maximum: AUDIT_MAX, default: AUDIT_DEFAULT },
            cursor: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['entries', 'nextCursor'],
            properties: {
              entries: { type: 'array', items: auditEntrySchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errors,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const sinceMs = instantQuery(q.since, 'since');
      const afterId =
        q.cursor === undefined
          ? undefined
          : decodeCursor(q.cursor, (c) =>
              typeof c['after'] === 'number' && Number.isSafeInteger(c['after'])
                ? c['after']
                : null,
            );
      const records = await sessions.audit({
        ...(q.session === undefined ? {} : { session: q.session }),
        ...(q.room === undefined ? {} : { room: q.room }),
        ...(q.identity === undefined ? {} : { identity: q.identity }),
        ...(sinceMs === undefined ? {} : { sinceMs }),
        ...(afterId === undefined ? {} : { afterId }),
        limit: q.limit + 1,
      });
      const { page, nextCursor } = keysetPage(records, q.limit, (last) =>
        encodeCursor({ after: last.id }),
      );
      return { entries: page.map(auditJson), nextCursor };
    },
  );
}
