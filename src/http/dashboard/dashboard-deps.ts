import type { LiveRooms, ServiceEvents, WebhookHealth } from '../../service/index.js';

/** What the dashboard needs besides the API's dependencies. */
export interface DashboardDeps {
  /** The service's events: they drive the live view's updates. */
  events: ServiceEvents;
  live: LiveRooms;
  webhookHealth: WebhookHealth;
  /**
   * The built browser files (scripts, styles, uPlot): `dist/dashboard`. Null: the pages are served
   * without them (no live updates, no charts).
   */
  assetsDir: string | null;
  /**
   * DASHBOARD_SESSION_SECRET: the sign-in cookie's key is derived from it alone. Null: random bytes
   * drawn at process start (a restart signs everyone out; instances do not share cookies).
   */
  sessionSecret: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without signing in (the sign-in form itself). */
    dashboardPublic?: boolean;
    /** Data, not a page: answered 401 instead of a redirect to the sign-in form. */
    dashboardData?: boolean;
  }
}
