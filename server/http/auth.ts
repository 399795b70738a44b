/**
 * Authentication: `Authorization: Bearer <token>` becomes `res.locals.principal` ({role, tokenId, name}); no
 * header means anonymous (null). A bad token is answered 401 without saying whether it exists or was revoked.
 *
 * Failures are throttled per client address (req.ip: the TCP peer, or the client a proxy listed in TRUST_PROXY
 * names) and, with ten times the budget, per TCP peer. The throttle slows failures, never a valid token: the token
 * is always checked first, a valid one passes whatever the address's record, and only a failure from a locked
 * address is answered 429 instead of 401. So no one can lock out a token by failing from its address, through a
 * shared proxy or with a forged X-Forwarded-For (which counts only from configured proxies). Guessing stays
 * hopeless: a secret has 256 random bits.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Database } from '../db/database.ts';
import type { Principal } from '../catalog/catalog.ts';
import { HttpError } from './errors.ts';
import { ForbiddenError, LimitExceededError } from '../errors.ts';
import { AuthThrottle, defaultThrottleOptions, type ThrottleOptions } from '../auth/throttle.ts';
import { hasRole, verifyToken, type Role } from '../auth/tokens.ts';

/** The caller of this request (set by `authenticate`), or null for anonymous. */
export function principalOf(res: { locals: Record<string, unknown> }): Principal | null {
  return (res.locals.principal as Principal | undefined) ?? null;
}

/** 401 for a missing, unknown or revoked token: one message for all three, with the challenge header. */
export class UnauthorizedError extends HttpError {
  constructor() {
    super(401, 'Unauthorized', 'a valid token is required (Authorization: Bearer <token>)', {
      'WWW-Authenticate': 'Bearer realm="sdi"',
    });
  }
}

// Verified tokens are remembered briefly so tile bursts do not write last_used_at per request (ms).
const VERIFIED_TTL_MS = 10_000;

/**
 * The bearer secret: undefined when there is no Bearer credential (no header, or another scheme such as the Basic
 * auth of a reverse proxy, which must not break public tiles), null for "Bearer" with nothing usable after it.
 */
function bearerOf(req: Request): string | null | undefined {
  const header = req.headers.authorization;
  if (!header || !/^Bearer\b/i.test(header)) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/** The authentication of one app: its failure throttles and its short cache of verified tokens. Built by createApp. */
export class Authenticator {
  /** Per client address. */
  private readonly throttle: AuthThrottle;
  /** Per TCP peer, ten times the budget: behind a proxy every client shares it; it also bounds a misconfigured trust. */
  private readonly peerThrottle: AuthThrottle;
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly db: Database,
    options: ThrottleOptions = defaultThrottleOptions,
  ) {
    this.throttle = new AuthThrottle(options);
    this.peerThrottle = new AuthThrottle({ ...options, maxFailures: 10 * options.maxFailures });
  }

  /** Forgets every failure (tests, and an operator's reset). */
  resetThrottle(): void {
    this.throttle.reset();
    this.peerThrottle.reset();
  }

  /** Forgets remembered verifications, so a revoke on this instance takes effect at once. */
  forgetVerifiedTokens(): void {
    this.verified.clear();
  }

  /** The principal of a secret, from the short cache or the database; null for a bad one. */
  async principalOf(secret: string): Promise<Principal | null> {
    const cached = this.verified.get(secret);
    if (cached && cached.until > Date.now()) return cached.principal;
    const principal = await verifyToken(this.db, secret);
    if (principal) this.verified.set(secret, { principal, until: Date.now() + VERIFIED_TTL_MS });
    return principal;
  }

  /** Sets `res.locals.principal` from the bearer token; 401 for a bad token, 429 for one from a locked address. */
  middleware(): RequestHandler {
    return async (req, res, next) => {
      res.locals.principal = null;
      const secret = bearerOf(req);
      if (secret === undefined) return next();
      const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const peer = req.socket.remoteAddress ?? 'unknown';
      try {
        const principal = secret ? await this.principalOf(secret) : null;
        if (principal) {
          this.throttle.succeed(address);
          res.locals.principal = principal;
          return next();
        }
        const wait = Math.max(this.throttle.retryAfterMs(address), this.peerThrottle.retryAfterMs(peer));
        this.throttle.fail(address);
        this.peerThrottle.fail(peer);
        if (wait > 0) {
          const seconds = Math.ceil(wait / 1000);
          return next(
            new LimitExceededError(`too many failed authentications from this address; retry in ${seconds} s`, seconds),
          );
        }
        next(new UnauthorizedError());
      } catch (err) {
        next(err);
      }
    };
  }
}

/** The principal of a request that needs at least `role`: 401 when anonymous, 403 when the role is too weak. */
export function requirePrincipal(res: Response, role: Role): Principal {
  const principal = principalOf(res);
  if (!principal) throw new UnauthorizedError();
  if (!hasRole(principal.role, role)) {
    throw new ForbiddenError(`this needs a token with the ${role} role; this token has the ${principal.role} role`);
  }
  return principal;
}
