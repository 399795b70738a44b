/**
 * GET /units/crosswalk?code=… | ?name=…: old units (codes of 2025-03-01, 2009 communes) -> today's communes and
 * wards (2025-07-01) and back. Public, JSON; documented in docs/DATA-UNITS.md. Thin: parse -> CrosswalkService -> write.
 */
import { Router, type RequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { InvalidParameterError } from '../errors.ts';
import { CrosswalkService } from '../units/crosswalk.ts';

/** The query parameters of /units/crosswalk; exactly one of them. */
const crosswalkParams = ['code', 'name'] as const;

/** GET /units/crosswalk. */
function handleCrosswalk(crosswalk: CrosswalkService): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    for (const name of Object.keys(query)) {
      if (!(crosswalkParams as readonly string[]).includes(name)) {
        throw new InvalidParameterError(
          `parameter "${name.slice(0, 64)}" is unknown for /units/crosswalk (use "code" or "name")`,
          name.slice(0, 64),
        );
      }
    }
    const given = crosswalkParams.filter((p) => query[p] !== undefined);
    if (given.length !== 1)
      throw new InvalidParameterError('give exactly one of the parameters "code" and "name"', given[1] ?? 'code');
    const param = given[0];
    const value = query[param];
    if (typeof value !== 'string')
      throw new InvalidParameterError(`parameter "${param}" must be given once, as a plain value`, param);
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(param === 'code' ? await crosswalk.byCode(value) : await crosswalk.byName(value));
  };
}

/** The router of /units/*. */
export function createUnitsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/units/crosswalk', handleCrosswalk(new CrosswalkService(ctx.db)));
  return router;
}
