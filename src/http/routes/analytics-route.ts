import type { FastifyInstance } from 'fastify';
import { MAX_PRESENT_POINTS } from '../../core/index.js';
import {
  ANALYTICS_CSV_COLUMNS,
  ANALYTICS_MAX_SESSIONS,
  analyticsCsv,
  analyticsJson,
  type AnalyticsQuery,
  type AnalyticsService,
} from '../../service/index.js';
import { errorBodySchema } from '../error-registry.js';
import { instantQuery, wantsCsv } from '../query-values.js';
import { nameQuery, NO_NUL_PATTERN } from '../path-params.js';

export interface AnalyticsQuerystring {
  tag?: string;
  identity?: string;
  from?: string;
  to?: string;
  format?: 'json' | 'csv';
}

const nullableNumber = { type: ['number', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;

export const analyticsQuerySchema = {
  type: 'object',
  properties: {
    tag: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_NUL_PATTERN },
    identity: nameQuery,
    from: {
      type: 'string',
      description: 'ISO 8601 with an offset: sessions ending at or after it',
    },
    to: {
      type: 'string',
      description: 'ISO 8601 with an offset: sessions starting at or before it',
    },
    format: { type: 'string', enum: ['json', 'csv'] },
  },
} as const;

const personSchema = {
  type: 'object',
  // A person's JSON fields are the CSV's columns, in the same order: one list for both.
  required: ANALYTICS_CSV_COLUMNS,
  properties: {
    identity: { type: 'string' },
    name: { type: ['string', 'null'] },
    sessionsExpected: { type: 'integer', description: 'Sessions that had them on the roster' },
    attended: {
      type: 'integer',
      description: 'Sessions whose status was present, late, left_early or partial',
    },
    present: { type: 'integer' },
    late: { type: 'integer' },
    leftEarly: { type: 'integer' },
    partial: { type: 'integer' },
    absent: { type: 'integer' },
    excused: { type: 'integer' },
    attendanceRate: {
      ...nullableNumber,
      description: 'Percent of expected sessions attended, excused ones left out; null if none',
    },
    meanLatenessMinutes: {
      ...nullableNumber,
      description: 'Mean lateness over the sessions attended; null if none',
    },
  },
} as const;

const sessionSchema = {
  type: 'object',
  required: [
    'id',
    'title',
    'startsAt',
    'endsAt',
    'state',
    'expected',
    'attended',
    'attendanceRate',
    'presentOverTime',
    'presentStepMinutes',
  ],
  properties: {
    id: { type: 'string' },
    title: { type: ['string', 'null'] },
    startsAt: time,
    endsAt: time,
    state: { type: 'string', enum: ['live', 'ended'] },
    expected: { type: 'integer', description: 'Roster size' },
    attended: { type: 'integer', description: 'Roster members who attended' },
    attendanceRate: {
      ...nullableNumber,
      description: 'Percent of the roster that attended, excused left out; null without a roster',
    },
    presentOverTime: {
      type: 'array',
      description: `People connected, one point every presentStepMinutes from startsAt to endsAt (or now), at most ${MAX_PRESENT_POINTS}`,
      items: {
        type: 'object',
        required: ['at', 'present'],
        properties: { at: time, present: { type: 'integer' } },
      },
    },
    presentStepMinutes: {
      type: 'integer',
      minimum: 1,
      description: `Minutes between two presentOverTime points: 1, more for sessions longer than ${MAX_PRESENT_POINTS - 1} minutes`,
    },
  },
} as const;

/** The query as the service takes it; throws `invalid_request` for a bad date. */
export function analyticsQuery(q: AnalyticsQuerystring): AnalyticsQuery {
  const fromMs = instantQuery(q.from, 'from');
  const toMs = instantQuery(q.to, 'to');
  return {
    ...(q.tag === undefined ? {} : { tag: q.tag }),
    ...(q.identity === undefined ? {} : { identity: q.identity }),
    ...(fromMs === undefined ? {} : { fromMs }),
    ...(toMs === undefined ? {} : { toMs }),
  };
}

export async function analyticsRoutes(
  app: FastifyInstance,
  deps: { analytics: AnalyticsService },
): Promise<void> {
  app.get<{ Querystring: AnalyticsQuerystring }>(
    '/api/v1/analytics',
    {
      schema: {
        summary: 'Attendance across sessions: per person and per session',
        description:
          `Sessions matching \`tag\` and overlapping [\`from\`, \`to\`] that have started (at most ${ANALYTICS_MAX_SESSIONS}, newest first; \`truncated\` says when more matched). ` +
          '`identity` narrows people to that identity (an alias to its roster member) and sessions to those listing them. ' +
          `CSV with \`?format=csv\` or \`Accept: text/csv\`: the people table (columns: ${ANALYTICS_CSV_COLUMNS.join(', ')}).`,
        tags: ['sessions'],
        security: [{ bearerAuth: [] }],
        querystring: analyticsQuerySchema,
        response: {
          200: {
            type: 'object',
            required: ['generatedAt', 'truncated', 'people', 'sessions'],
            properties: {
              generatedAt: time,
              truncated: { type: 'boolean' },
              people: { type: 'array', items: personSchema },
              sessions: { type: 'array', items: sessionSchema },
            },
          },
          400: errorBodySchema,
          401: errorBodySchema,
        },
      },
    },
    async (req, reply) => {
      const answer = await deps.analytics.compute(analyticsQuery(req.query));
      if (wantsCsv(req.query.format, req.headers.accept)) {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="attendance-analytics.csv"')
          .serializer((payload: string) => payload)
          .send(analyticsCsv(answer));
      }
      return analyticsJson(answer);
    },
  );
}
