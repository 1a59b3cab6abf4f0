export type { AppDeps } from './app-deps.js';
export { buildApp } from './build-app.js';
export { HTTP_ERRORS } from './error-registry.js';
export { RATE_LIMIT_EXEMPT_ROUTES } from './rate-limit.js';
export { CONTENT_SECURITY_POLICY } from './security-headers.js';
export { CSV_COLUMNS, statusJson } from './routes/attendance-routes.js';
