export { dashboardRoutes } from './dashboard-routes.js';
export type { DashboardDeps } from './dashboard-deps.js';
