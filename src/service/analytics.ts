import { computeAnalytics, type AnalyticsResult, type Clock, type Session } from '../core/index.js';
import type { AttendanceStore } from '../store/index.js';
import type { SessionService } from './sessions.js';

/** Most sessions one analytics answer reads (each is a full report); narrow the filters for more. */
export const ANALYTICS_MAX_SESSIONS = 500;
const PAGE = 200;
/** Reports computed at once: enough to overlap store reads, few enough to share the pool. */
const CONCURRENT_REPORTS = 4;

export interface AnalyticsQuery {
  tag?: string;
  identity?: string;
  /** Sessions overlapping [fromMs, toMs]. */
  fromMs?: number;
  toMs?: number;
}

export interface AnalyticsAnswer extends AnalyticsResult {
  generatedAtMs: number;
  /** True when more than ANALYTICS_MAX_SESSIONS sessions matched: the newest were read. */
  truncated: boolean;
}

/** Attendance across sessions, computed from each matching session's report. */
export class AnalyticsService {
  constructor(
    private readonly deps: { store: AttendanceStore; sessions: SessionService; clock: Clock },
  ) {}

  async compute(query: AnalyticsQuery): Promise<AnalyticsAnswer> {
    const matched: Session[] = [];
    let after: { startsAtMs: number; id: string } | undefined;
    let truncated = false;
    for (;;) {
      const page = await this.deps.store.listSessions({
        ...(query.tag === undefined ? {} : { tag: query.tag }),
        ...(query.fromMs === undefined ? {} : { fromMs: query.fromMs }),
        ...(query.toMs === undefined ? {} : { toMs: query.toMs }),
        ...(after === undefined ? {} : { after }),
        limit: PAGE,
      });
      for (const s of page) {
        if (matched.length === ANALYTICS_MAX_SESSIONS) {
          truncated = true;
          break;
        }
        matched.push(s);
      }
      const last = page.at(-1);
      if (truncated || last === undefined || page.length < PAGE) break;
      after = { startsAtMs: last.startsAtMs, id: last.id };
    }
    const reports = [];
    for (let i = 0; i < matched.length; i += CONCURRENT_REPORTS) {
      const chunk = matched.slice(i, i + CONCURRENT_REPORTS);
      reports.push(...(await Promise.all(chunk.map((s) => this.deps.sessions.report(s.id)))));
    }
    const nowMs = this.deps.clock.now();
    const result = computeAnalytics({
      sessions: reports.map((r) => ({
        session: r.session,
        state: r.state,
        participants: r.participants,
      })),
      ...(query.identity === undefined ? {} : { identity: query.identity }),
      nowMs,
    });
    return { ...result, generatedAtMs: nowMs, truncated };
  }
}
