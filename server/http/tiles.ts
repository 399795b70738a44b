/**
 * Vector tile routes: XYZ tiles and TileJSON under /tiles, and the OGC API - Tiles equivalents.
 * Handlers parse, resolve layers through the catalog, ask the tile service, and write; no SQL here.
 * The warm path (a tile in the in-process cache) answers synchronously with the stored gzip bytes.
 */
import { Router, type Request, type Response, type NextFunction } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import type { AppContext } from '../context.ts';
import type { Catalog, Layer, Principal } from '../catalog/catalog.ts';
import { principalOf } from './auth.ts';
import { ClientGoneError, NotFoundError } from '../errors.ts';
import type { TileService } from '../tiles/service.ts';
import { baseUrlOf } from './base-url.ts';
import { selectProperties, type TileRequest } from '../tiles/render.ts';
import type { CachedTile } from '../tiles/cache.ts';
import type { TileCoord } from '../tiles/grid.ts';
import { parseLayerList, parsePropertyList, parseTileCoord, parseXyzTile, parseXyzTileUrl } from './params/tiles.ts';
import { acceptsGzip, matchesEtag } from './params/headers.ts';
import { parseDatetime } from './params/items.ts';
import { queryValue, type QueryParams } from './params/query-string.ts';
import { layersAsOf } from '../units/as-of.ts';
import { responseCorsHeaders } from './cors.ts';
import { buildTileJson } from '../tiles/tilejson.ts';
import { tileMatrixSetList, tilesetList, tilesetMetadata, webMercatorQuad, webMercatorQuadId } from '../tiles/tms.ts';
import type { CostLimits } from '../limits/limits.ts';
import { tileCost } from '../limits/costs.ts';
import { withCostLimits } from './limits.ts';

const mvtType = 'application/vnd.mapbox-vector-tile';

/**
 * The one authorisation decision of a tile: the layers of these ids that this caller may read, or UnknownLayerError
 * (404) for any other. The router asks it with the request's principal, the fast path with none (anonymous).
 */
export function tileLayers(catalog: Catalog, ids: readonly string[], principal: Principal | null): Layer[] {
  return ids.map((id) => catalog.get(id, principal));
}

/**
 * Cache-Control of a tile: the layers' own setting when they agree, else the default; `private` when any
 * layer is restricted (a shared cache must not hand it to callers without a token).
 */
export function cacheControlFor(
  layers: readonly { access: string; tileOptions: { cacheControl?: string } }[],
  fallback: string,
): string {
  const own = new Set(layers.map((l) => l.tileOptions.cacheControl ?? fallback));
  const value = own.size === 1 ? [...own][0] : fallback;
  if (!layers.some((l) => l.access === 'restricted')) return value;
  const rest = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && !/^(public|private|s-maxage=.*)$/i.test(s));
  return ['private', ...rest].join(', ');
}

/** Routes for /tiles, /tileMatrixSets and /collections/{layer}/tiles, answered through the app's tile service. */
export function createTilesRouter(ctx: AppContext, tiles: TileService, limits: CostLimits): Router {
  const router = Router();
  const baseUrl = (req: Request) => baseUrlOf(req, ctx.config);
  const layersOf = (raw: string, res: Response) => tileLayers(ctx.catalog, parseLayerList(raw), principalOf(res));

  router.get('/tiles/:layers/:z/:x/:file', (req, res, next) => {
    const p = req.params;
    handleTile(ctx, tiles, limits, req, res, next, () => parseXyzTile(p.layers, p.z, p.x, p.file));
  });

  router.get('/tiles/:file', (req, res, next) => {
    const m = /^(.+)\.json$/.exec(req.params.file);
    if (!m) return next();
    const layers = layersOf(m[1], res);
    const names = parsePropertyList(req.query.properties);
    const selection = selectProperties(layers, names);
    const datetime = queryValue(req.query as QueryParams, 'datetime');
    parseDatetime(datetime); // a malformed one is a 400 here, not on every tile
    const query = [
      names ? `properties=${encodeURIComponent(names.join(','))}` : '',
      datetime ? `datetime=${encodeURIComponent(datetime)}` : '',
    ]
      .filter(Boolean)
      .join('&');
    res.setHeader('Cache-Control', 'no-cache');
    res.json(buildTileJson(layers, baseUrl(req), selection, query));
  });

  router.get('/tileMatrixSets', (req, res) => {
    res.json(tileMatrixSetList(baseUrl(req)));
  });

  router.get('/tileMatrixSets/:id', (req, res) => {
    checkTileMatrixSet(req.params.id);
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
      return { layerIds: [p.layer], coord: parseTileCoord(p.z, p.x, p.y) };
    });
  });

  return router;
}

/** 404 for any tile matrix set but WebMercatorQuad, the only one offered. */
function checkTileMatrixSet(id: string): void {
  if (id !== webMercatorQuadId) throw new NotFoundError(`tile matrix set "${id}" is not offered; use ${webMercatorQuadId}`);
}

/** GET a tile: parse, resolve layers, then the cache (synchronous) or the service (render). */
function handleTile(
  ctx: AppContext,
  tiles: TileService,
  limits: CostLimits,
  req: Request,
  res: Response,
  next: NextFunction,
  parse: () => { layerIds: string[]; coord: TileCoord },
): void {
  let request: TileRequest;
  let layers: Layer[];
  try {
    const { layerIds, coord } = parse();
    // `datetime` keeps the administrative layers of that vintage (server/units/as-of.ts); the cache key follows the layers.
    layers = layersAsOf(
      tileLayers(ctx.catalog, layerIds, principalOf(res)),
      parseDatetime(queryValue(req.query as QueryParams, 'datetime')),
    );
    request = { layers, coord, properties: selectProperties(layers, parsePropertyList(req.query.properties)) };
  } catch (err) {
    return next(err);
  }
  if (!layers.length) {
    res.setHeader('Cache-Control', ctx.config.tileCacheControl);
    res.status(204).end();
    return;
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
  const cost = tileCost(
    ctx.config,
    layers.map((l) => l.id),
    request.coord.z,
  );
  withCostLimits(limits, req, res, cost, (signal) => tiles.load(key, request, signal), gone.signal).then(
    (tile) => writeTile(ctx, req, res, tile, layers),
    (err) => (err instanceof ClientGoneError || gone.signal.aborted ? undefined : next(err)),
  );
}

/**
 * The warm path below Express, for the server to call before the app:
 * `http.createServer((req, res) => fast(req, res) || app(req, res))`. It answers an anonymous GET/HEAD of a
 * tile that is in the in-process cache (gzip accepted) straight from node:http and returns true; anything else
 * returns false untouched. It reads the URL with the router's parser and asks the router's authorisation decision
 * (as an anonymous caller), so it never answers a tile the router would refuse. It serves several times the cached
 * tiles/s of the Express stack (figures in the benchmark notes); such hits skip request logging and the HTTP
 * metrics (tile_cache_hits_total still counts them).
 */
export function createTileFastPath(ctx: AppContext, tiles: TileService): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers.authorization !== undefined) return false;
    const address = parseXyzTileUrl(req.url ?? '');
    if (!address || !acceptsGzip(req.headers['accept-encoding'])) return false;
    let layers: Layer[];
    try {
      layers = tileLayers(ctx.catalog, address.layerIds, null);
    } catch {
      return false; // unknown, or not readable anonymously: the router answers (404, or the tile to a token holder)
    }
    const hit = tiles.cached(tiles.key({ layers, coord: address.coord }));
    if (!hit) return false;
    for (const [name, value] of responseCorsHeaders) res.setHeader(name, value);
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
