export type { AppDeps } from './app-deps.js';
export { buildApp } from './build-app.js';
export { HTTP_ERRORS } from './error-registry.js';
export { CSV_COLUMNS, statusJson } from './routes/attendance-routes.js';
