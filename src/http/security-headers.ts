import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every page this service serves (the dashboard included): its own
 * scripts, styles, images, fonts and API calls only, no inline script or style element, no
 * plugins, never framed. Pages load their code as files from this origin; setting
 * `element.style` from such a script is allowed (CSP governs markup, not the CSSOM). No
 * `upgrade-insecure-requests`: the service is often reached over plain HTTP inside a network.
 */
export const CONTENT_SECURITY_POLICY: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
});

/**
 * `@fastify/helmet` on every route of the scope it is registered in, 404s included: every route
 * but LiveKit's webhook route, which lives outside that scope (see build-app.ts). LiveKit reads
 * none of these headers, and helmet's two `onRequest` hooks would run on its hot path even with
 * `helmet: false`.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    // As frame-ancestors 'none', for browsers that predate it.
    frameguard: { action: 'deny' },
    contentSecurityPolicy: {
      useDefaults: false,
      directives: Object.fromEntries(
        Object.entries(CONTENT_SECURITY_POLICY).map(([k, v]) => [k, [...v]]),
      ),
    },
  });
}
