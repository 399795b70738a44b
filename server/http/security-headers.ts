/**
 * Security headers on every response (helmet), chiefly the Content-Security-Policy of our HTML pages (viewer,
 * upload page, `f=html` pages): scripts only from this server's own files, never inline, so text that slipped
 * into a page as markup still cannot run. The same headers on JSON, tiles and CSV cost a few hundred bytes and
 * make no page of ours an exception.
 */
import helmet from 'helmet';
import type { RequestHandler } from 'express';
import { pageStyleSource } from '../features/html.ts';

/** The Content-Security-Policy directives (exported for tests and the README). */
export const cspDirectives: Record<string, string[]> = {
  'default-src': ["'self'"],
  // The viewer and upload page are bundles served from /viewer/; nothing inline, no eval.
  'script-src': ["'self'"],
  // Stylesheets from /viewer/ and the f=html pages' one inline stylesheet by its hash. Leaflet positions its panes
  // through the CSSOM (element.style), which CSP does not restrict, so no 'unsafe-inline' is needed.
  'style-src': ["'self'", pageStyleSource],
  // Leaflet's images are bundled files; data: for the empty favicon; blob: for canvases turned into images.
  'img-src': ["'self'", 'data:', 'blob:'],
  // Tiles, features and queries are fetched from this server only.
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  // No page of ours may be framed by another site (clickjacking the upload page or the token box).
  'frame-ancestors': ["'none'"],
};

/**
 * The security headers middleware: CSP as above, `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`
 * (our own logs still see the page, other sites see nothing), `X-Frame-Options: DENY` for old browsers.
 * Cross-Origin-Resource-Policy is `cross-origin`: the tiles and features are open data that any map client on any
 * origin may load (CORS is open for reads in app.ts). No HSTS: the server may run on plain HTTP inside a network,
 * and HSTS belongs on the TLS-terminating proxy.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    xContentTypeOptions: true,
  });
}

/**
 * The headers `securityHeaders()` writes, as a flat [name, value, ...] list for code that answers below express (the
 * tile fast path). They do not depend on the request with our settings (no CSP nonces), so helmet is asked once, here,
 * over a stand-in response: the list is helmet's own output, never a copy of it kept by hand.
 */
export function securityHeaderList(): string[] {
  const out: string[] = [];
  const res = {
    setHeader: (name: string, value: string | number) => void out.push(name, String(value)),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  let done = false;
  (securityHeaders() as unknown as (req: object, res: object, next: () => void) => void)({}, res, () => (done = true));
  if (!done) throw new Error('helmet did not finish synchronously: its headers cannot be precomputed');
  return out;
}
