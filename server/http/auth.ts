/**
 * Authentication: `Authorization: Bearer <token>` becomes `res.locals.principal` ({role, tokenId, name}); no
 * header means anonymous (null). A bad token is answered 401 without saying whether it exists or was revoked,
 * and an address with many failures is refused with 429 for a growing time (see server/auth/throttle.ts).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../context.ts';
import type { Principal } from '../catalog/catalog.ts';
import { HttpError } from './errors.ts';
import { AuthThrottle, defaultThrottleOptions } from '../auth/throttle.ts';
import { hasRole, verifyToken, type Role } from '../auth/tokens.ts';

/** The caller of this request (set by `authenticate`), or null for anonymous. */
export function principalOf(res: { locals: Record<string, unknown> }): Principal | null {
  return (res.locals.principal as Principal | undefined) ?? null;
}

/** 401 for a missing, unknown or revoked token: one message for all three. */
export class UnauthorizedError extends HttpError {
  constructor() {
    super(401, 'Unauthorized', 'a valid token is required (Authorization: Bearer <token>)', {
      'WWW-Authenticate': 'Bearer realm="sdi"',
    });
  }
}

/** 403: the token is valid but its role is too weak. */
export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, 'Forbidden', message);
  }
}

// Verified tokens are remembered briefly so tile bursts do not write last_used_at per request (ms).
const VERIFIED_TTL_MS = 10_000;

interface AuthState {
  /** Per client address (req.ip, which honours X-Forwarded-For because the app trusts its proxy). */
  throttle: AuthThrottle;
  /**
   * Per TCP peer, with ten times the budget: X-Forwarded-For is written by the client when no proxy rewrites it,
   * so rotating it must not give unlimited guesses; behind a real proxy all clients share this wider budget.
   */
  peerThrottle: AuthThrottle;
  verified: Map<string, { principal: Principal; until: number }>;
}

const states = new WeakMap<AppContext, AuthState>();

function stateOf(ctx: AppContext): AuthState {
  let s = states.get(ctx);
  if (!s) {
    s = { throttle: new AuthThrottle(), peerThrottle: new AuthThrottle({ ...defaultThrottleOptions, maxFailures: 10 * defaultThrottleOptions.maxFailures }), verified: new Map() };
    states.set(ctx, s);
  }
  return s;
}

/** The failure throttles of this server instance (tests reset them). */
export function authThrottle(ctx: AppContext): { reset(): void } {
  const s = stateOf(ctx);
  return {
    reset() {
      s.throttle.reset();
      s.peerThrottle.reset();
    },
  };
}

/** Forgets remembered verifications, so a revoke on this instance takes effect at once. */
export function forgetVerifiedTokens(ctx: AppContext): void {
  stateOf(ctx).verified.clear();
}

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

/** Sets `res.locals.principal` from the bearer token; 401 for a bad token, 429 while the address is locked. */
export function authenticate(ctx: AppContext): RequestHandler {
  const state = stateOf(ctx);
  return async (req, res, next) => {
    res.locals.principal = null;
    const secret = bearerOf(req);
    if (secret === undefined) return next();
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const peer = req.socket.remoteAddress ?? 'unknown';
    const wait = Math.max(state.throttle.retryAfterMs(address), state.peerThrottle.retryAfterMs(peer));
    if (wait > 0) {
      const seconds = String(Math.ceil(wait / 1000));
      return next(new HttpError(429, 'TooManyRequests', `too many failed authentications from this address; retry in ${seconds} s`, { 'Retry-After': seconds }));
    }
    try {
      const cached = secret ? state.verified.get(secret) : undefined;
      let principal = cached && cached.until > Date.now() ? cached.principal : null;
      if (!principal && secret) {
        principal = await verifyToken(ctx.db, secret);
        if (principal) state.verified.set(secret, { principal, until: Date.now() + VERIFIED_TTL_MS });
      }
      if (!principal) {
        state.throttle.fail(address);
        state.peerThrottle.fail(peer);
        return next(new UnauthorizedError());
      }
      state.throttle.succeed(address);
      res.locals.principal = principal;
      next();
    } catch (err) {
      next(err);
    }
  };
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

/** Middleware form of requirePrincipal. */
export function requireRole(role: Role): RequestHandler {
  return (_req, res, next) => {
    try {
      requirePrincipal(res, role);
      next();
    } catch (err) {
      next(err);
    }
  };
}
