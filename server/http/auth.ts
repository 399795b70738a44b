/** Placeholder authentication: every caller is anonymous until tokens exist (the upload issue adds them). */
import type { RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import type { Principal } from '../catalog/catalog.ts';

/** The caller of this request (set by `authenticate`), or null for anonymous. */
export function principalOf(res: { locals: Record<string, unknown> }): Principal | null {
  return (res.locals.principal as Principal | undefined) ?? null;
}

export function authenticate(_ctx: AppContext): RequestHandler {
  return (_req, res, next) => {
    res.locals.principal = null;
    next();
  };
}
