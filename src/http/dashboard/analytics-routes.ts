import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.js';
import type { DashboardDeps } from './dashboard-deps.js';

export async function analyticsRoutes(
  _app: FastifyInstance,
  _deps: AppDeps & { dashboard: DashboardDeps },
): Promise<void> {}
