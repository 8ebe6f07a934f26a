import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The Content Security Policy of everything the API serves, the portal included. Scripts come
 * only from the API's own origin (the built portal has no inline script: its critical CSS is
 * not inlined, see angular.json, so no `onload` handler is needed); the socket and REST calls
 * go to the same origin; no plugin, frame, or form posting elsewhere; no other site may frame
 * the portal. Inline styles stay allowed: Angular and Angular Material add component styles
 * as `<style>` elements at run time.
 */
export const CONTENT_SECURITY_POLICY: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'media-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Helmet's security headers with {@link CONTENT_SECURITY_POLICY}: also `X-Frame-Options`,
 * `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, cross-origin opener and
 * resource policies, HSTS (heeded by browsers over HTTPS only). `upgrade-insecure-requests` is
 * left out: the embedded default serves plain HTTP, and a TLS proxy in front can add it.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: Object.fromEntries(Object.entries(CONTENT_SECURITY_POLICY).map(([name, values]) => [name, [...values]])),
    },
  });
}
