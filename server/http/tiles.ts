/**
 * Vector tile routes: XYZ tiles and TileJSON under /tiles, and the OGC API - Tiles equivalents.
 * Handlers parse, resolve layers through the catalog, ask the tile service, and write; no SQL here.
 * The warm path (a tile in the in-process cache) answers synchronously with the stored gzip bytes.
 */
import { Router, type Request, type Response, type NextFunction } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import type { AppContext } from '../context.ts';
import type { Layer } from '../catalog/catalog.ts';
import { principalOf } from './auth.ts';
import { NotFoundError } from './errors.ts';
import { tileService, ClientGoneError, type TileService } from '../tiles/service.ts';
import { selectProperties, type TileRequest } from '../tiles/render.ts';
import type { CachedTile } from '../tiles/cache.ts';
import {
  acceptsGzip, cacheControlFor, matchesEtag, parseLayerList, parsePropertyList, parseTileCoord, parseTileFile,
} from '../tiles/params.ts';
import { buildTileJson } from '../tiles/tilejson.ts';
import { tileMatrixSetList, tilesetList, tilesetMetadata, webMercatorQuad, webMercatorQuadId } from '../tiles/tms.ts';
import { isValidTile } from '../tiles/grid.ts';
import type { CostLimits } from '../limits/limits.ts';
import { tileCost } from '../limits/costs.ts';
import { withCostLimits } from './limits.ts';

const mvtType = 'application/vnd.mapbox-vector-tile';

/** Routes for /tiles, /tileMatrixSets and /collections/{layer}/tiles. */
export function createTilesRouter(ctx: AppContext, limits: CostLimits): Router {
  const tiles = tileService(ctx);
  const router = Router();
  // Behind a proxy (trust proxy is on) protocol and host come from X-Forwarded-Proto/-Host.
  const baseUrl = (req: Request) => ctx.config.publicUrl || `${req.protocol}://${req.host}`;
  const layersOf = (raw: string, res: Response) => parseLayerList(raw).map((id) => ctx.catalog.get(id, principalOf(res)));

  router.get('/tiles/:layers/:z/:x/:file', (req, res, next) => {
    const p = req.params;
    handleTile(ctx, tiles, limits, req, res, next, () => ({ layers: p.layers, coord: parseTileCoord(p.z, p.x, parseTileFile(p.file)) }));
  });

  router.get('/tiles/:file', (req, res, next) => {
    const m = /^(.+)\.json$/.exec(req.params.file);
    if (!m) return next();
    const layers = layersOf(m[1], res);
    const names = parsePropertyList(req.query.properties);
    const selection = selectProperties(layers, names);
    const query = names ? `properties=${encodeURIComponent(names.join(','))}` : '';
    res.setHeader('Cache-Control', 'no-cache');
    res.json(buildTileJson(layers, baseUrl(req), selection, query));
  });

  router.get('/tileMatrixSets', (req, res) => {
    res.json(tileMatrixSetList(baseUrl(req)));
  });

  router.get('/tileMatrixSets/:id', (req, res) => {
    if (req.params.id !== webMercatorQuadId) throw new NotFoundError(`tile matrix set "${req.params.id}" is not offered; use ${webMercatorQuadId}`);
    res.json(webMercatorQuad());
  });

  router.get('/collections/:layer/tiles', (req, res) => {
    res.json(tilesetList(baseUrl(req), ctx.catalog.get(req.params.layer, principalOf(res))));
  });

  router.get('/collections/:layer/tiles/:tms', (req, res) => {
    const layer = ctx.catalog.get(req.params.layer, principalOf(res));
    checkTileMatrixSet(req.params.tms);
    res.json(tilesetMetadata(baseUrl(req), layer));
  });

  // OGC order: tileMatrix/tileRow/tileCol, i.e. z/y/x.
  router.get('/collections/:layer/tiles/:tms/:z/:y/:x', (req, res, next) => {
    const p = req.params;
    handleTile(ctx, tiles, limits, req, res, next, () => {
      checkTileMatrixSet(p.tms);
      return { layers: p.layer, coord: parseTileCoord(p.z, p.x, p.y) };
    });
  });

  return router;
}

function checkTileMatrixSet(id: string): void {
  if (id !== webMercatorQuadId) throw new NotFoundError(`tile matrix set "${id}" is not offered; use ${webMercatorQuadId}`);
}

/** GET a tile: parse, resolve layers, then the cache (synchronous) or the service (render). */
function handleTile(
  ctx: AppContext, tiles: TileService, limits: CostLimits, req: Request, res: Response, next: NextFunction,
  parse: () => { layers: string; coord: TileRequest['coord'] },
): void {
  let request: TileRequest;
  let layers: Layer[];
  try {
    const { layers: rawLayers, coord } = parse();
    layers = parseLayerList(rawLayers).map((id) => ctx.catalog.get(id, principalOf(res)));
    request = { layers, coord, properties: selectProperties(layers, parsePropertyList(req.query.properties)) };
  } catch (err) {
    return next(err);
  }
  const key = tiles.key(request);
  const hit = tiles.cached(key);
  if (hit) return writeTile(ctx, req, res, hit, layers);
  // The client's disconnect cancels its query (unless another client waits for the same tile).
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  // A cold low-zoom composite tile renders in a cost-limit slot (429/503 when none is free); cache hits never get here.
  const cost = tileCost(ctx.config, layers.map((l) => l.id), request.coord.z);
  withCostLimits(limits, req, res, cost, (signal) => tiles.load(key, request, signal), gone.signal).then(
    (tile) => writeTile(ctx, req, res, tile, layers),
    (err) => (err instanceof ClientGoneError || gone.signal.aborted ? undefined : next(err)),
  );
}

/** Anonymous XYZ tile URLs without a query string: the only requests the fast path answers. */
const fastTilePath = /^\/tiles\/([a-z0-9_,]{1,2048})\/(\d{1,2})\/(\d{1,8})\/(\d{1,8})\.(?:mvt|pbf)$/;

/**
 * The warm path below Express, for the server to call before the app:
 * `http.createServer((req, res) => fast(req, res) || app(req, res))`. It answers an anonymous GET/HEAD of a
 * tile of public layers that is in the in-process cache (gzip accepted) straight from node:http and returns
 * true; anything else returns false untouched. On the 2-core dev machine it served 3-4x the cached tiles/s of the
 * Express stack (about 0.9x a bare node:http server); such hits skip request logging and the HTTP metrics
 * (tile_cache_hits_total still counts them).
 */
export function createTileFastPath(ctx: AppContext): (req: IncomingMessage, res: ServerResponse) => boolean {
  const tiles = tileService(ctx);
  return (req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers.authorization !== undefined) return false;
    const m = fastTilePath.exec(req.url ?? '');
    if (!m || !acceptsGzip(req.headers['accept-encoding'])) return false;
    const coord = { z: Number(m[2]), x: Number(m[3]), y: Number(m[4]) };
    if (!isValidTile(coord.z, coord.x, coord.y)) return false;
    const layers: Layer[] = [];
    for (const id of m[1].split(',')) {
      const layer = ctx.catalog.find(id);
      if (!layer || layer.access !== 'public' || layers.includes(layer)) return false;
      layers.push(layer);
    }
    const hit = tiles.cached(tiles.key({ layers, coord }));
    if (!hit) return false;
    // What the app's CORS middleware would have set.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'ETag, Content-Crs, Link, X-Request-Id');
    writeTile(ctx, req, res, hit, layers);
    return true;
  };
}

/** Writes a tile: 304 on a matching ETag, 204 when empty, the stored gzip when accepted. Plain node:http calls only. */
function writeTile(ctx: AppContext, req: IncomingMessage, res: ServerResponse, tile: CachedTile, layers: readonly Layer[]): void {
  res.setHeader('Cache-Control', cacheControlFor(layers, ctx.config.tileCacheControl));
  res.setHeader('ETag', tile.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  if (matchesEtag(req.headers['if-none-match'], tile.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  if (tile.gz.length === 0) {
    res.statusCode = 204;
    res.end();
    return;
  }
  res.setHeader('Content-Type', mvtType);
  if (acceptsGzip(req.headers['accept-encoding'])) {
    // Already gzipped: the compression middleware leaves a response with Content-Encoding alone.
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', tile.gz.length);
    res.end(tile.gz);
    return;
  }
  const raw = zlib.gunzipSync(tile.gz);
  res.setHeader('Content-Length', raw.length);
  res.end(raw);
}
