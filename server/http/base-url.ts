/**
 * The base URL that links in JSON and HTML start with. PUBLIC_URL when it is set (validated at start as an http(s)
 * URL): behind a reverse proxy that is the only safe answer. Otherwise it is built from the request: the scheme
 * and host express derives (X-Forwarded-Proto/-Host count only when the peer is a proxy listed in TRUST_PROXY), and
 * the host must be a host name or an IP literal with an optional port. Anything else (`javascript:alert(1)//`,
 * quotes, spaces, `@`, slashes) is refused with 400 naming the header, so no link can carry it into a page.
 */
import type { Request } from 'express';
import type { Config } from '../config.ts';
import { InvalidParameterError } from '../errors.ts';

// RFC 3986 reg-name restricted to DNS characters, or a bracketed IPv6 literal; then an optional port.
const hostPattern = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

/** True when `host` is safe to put into a URL as its authority (a Host header value). */
export function isValidHost(host: string): boolean {
  return host.length <= 261 && hostPattern.test(host);
}

/** The origin links start with for this request (no trailing slash). */
export function baseUrlOf(req: Request, config: Pick<Config, 'publicUrl'>): string {
  if (config.publicUrl) return config.publicUrl;
  const host = req.host ?? '';
  if (!isValidHost(host)) {
    throw new InvalidParameterError(
      `the Host header ${JSON.stringify(host.slice(0, 100))} is not a host name with an optional port`,
      'Host',
    );
  }
  const protocol = req.protocol === 'https' ? 'https' : 'http';
  return `${protocol}://${host}`;
}
