/**
 * Style routes (OGC API - Styles where it fits): `/styles` lists the planning map and one style per layer,
 * `/styles/{id}.json` is a MapLibre / Mapbox GL style v8 document generated from the layer definitions on every
 * request (a PATCHed style shows at once), `/collections/{id}/styles` lists a layer's style. The caller's token
 * decides which layers appear: a restricted layer only for those who may read it.
 */
import { Router, type Request } from 'express';
import type { AppContext } from '../context.ts';
import { principalOf } from './auth.ts';
import { NotFoundError } from '../errors.ts';
import { collectionStyleList, layerStyle, planningMapStyle, styleList, styleMediaType } from '../styles/catalog.ts';
import { planningMapId } from '../styles/maplibre.ts';

/** Routes for /styles and /collections/{layer}/styles. */
export function createStylesRouter(ctx: AppContext): Router {
  const router = Router();
  // The same base as TileJSON's: PUBLIC_URL, else the request's scheme and host (X-Forwarded-* behind a proxy).
  const baseUrl = (req: Request) => ctx.config.publicUrl || `${req.protocol}://${req.host}`;

  router.get('/styles', (req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.json(styleList(baseUrl(req), ctx.catalog.list(principalOf(res))));
  });

  router.get('/styles/:file', (req, res, next) => {
    const m = /^(.+)\.json$/.exec(req.params.file);
    if (!m) return next();
    const id = m[1];
    const base = baseUrl(req);
    const principal = principalOf(res);
    const style =
      id === planningMapId
        ? planningMapStyle(base, ctx.catalog.list(principal))
        : layerStyle(base, ctx.catalog.get(id, principal));
    if (!style) throw new NotFoundError(`style "${planningMapId}" has no layers this caller may read`);
    // Generated from the catalog on each request: a changed layer style must show at once.
    res.setHeader('Cache-Control', 'no-cache');
    res.type(styleMediaType).send(JSON.stringify(style));
  });

  router.get('/collections/:layer/styles', (req, res) => {
    const layer = ctx.catalog.get(String(req.params.layer), principalOf(res));
    res.setHeader('Cache-Control', 'no-cache');
    res.json(collectionStyleList(baseUrl(req), layer));
  });

  return router;
}
