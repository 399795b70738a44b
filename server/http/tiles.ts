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
import { securityHeaderList } from './security-headers.ts';
import { requestIdOf } from './request-id.ts';
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
  const failed = (req as HandedRequest)[failedBelowExpress];
  if (failed !== undefined) return next(failed); // rendered below express, and failed there (createTileFastPath)
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

/** Set on a request the fast path hands to the app after its tile failed: the router answers that error, not a new render. */
const failedBelowExpress = Symbol('tile failed below express');
type HandedRequest = IncomingMessage & { [failedBelowExpress]?: unknown };

/** The metrics label of XYZ tiles: the router's pattern, so answers below express count under the same route. */
const xyzRoute = '/tiles/:layers/:z/:x/:file';

/**
 * The tile path below Express, for the server to call before the app:
 * `http.createServer((req, res) => fast(req, res) || app(req, res))`. It answers an anonymous GET/HEAD of an XYZ tile
 * without a query string (gzip accepted) straight from node:http and returns true; anything else returns false
 * untouched. It reads the URL with the router's parser and asks the router's authorisation decision (as an anonymous
 * caller), so it never answers a tile the router would refuse.
 *  - A tile in the in-process cache is written at once (several times the tiles/s of the Express stack), with the
 *    app's headers; such hits skip request logging and the HTTP metrics (tile_cache_hits_total still counts them).
 *  - With `handOff` (the app), a cold tile is rendered here too, unless it needs a cost-limit slot (a low-zoom
 *    composite) or debug logging is on (the app logs each answer then): express, its router and eight middlewares
 *    were a third of the Node CPU of a cold tile. The answer carries the app's headers (helmet's, CORS, X-Request-Id)
 *    and counts in the HTTP metrics as the router's would. A tile that fails is handed to the app with its error,
 *    and the router answers it through the error middleware (status, body, logging) without rendering it again.
 */
export function createTileFastPath(
  ctx: AppContext,
  tiles: TileService,
  handOff?: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  // Every answer below express, cached or rendered, carries the app's own headers (helmet's, CORS, X-Request-Id).
  const appHeaders = [...securityHeaderList(), ...responseCorsHeaders.flat()];
  const { requests, latency } = ctx.metrics.http;
  // Per layer list of a URL: its layers as last resolved, with their cache key part and Cache-Control, reused while
  // the catalog hands out the same layer objects (a reload or a data version makes new ones): the warm path need not
  // join eight layer versions and merge their Cache-Control for every cached tile.
  const resolved = new Map<string, ResolvedLayers>();
  const resolve = (ids: readonly string[]): ResolvedLayers => {
    const name = ids.join(',');
    const layers = tileLayers(ctx.catalog, ids, null);
    const known = resolved.get(name);
    if (known && known.fallback === ctx.config.tileCacheControl && known.layers.every((l, i) => l === layers[i])) return known;
    if (resolved.size >= 1000) resolved.clear(); // bounded: URLs choose the layer lists
    const fallback = ctx.config.tileCacheControl;
    const set = { layers, layersKey: tiles.layersKey(layers), cacheControl: cacheControlFor(layers, fallback), fallback };
    resolved.set(name, set);
    return set;
  };
  return (req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers.authorization !== undefined) return false;
    const address = parseXyzTileUrl(req.url ?? '');
    if (!address || !acceptsGzip(req.headers['accept-encoding'])) return false;
    let set: ResolvedLayers;
    try {
      set = resolve(address.layerIds);
    } catch {
      return false; // unknown, or not readable anonymously: the router answers (404, or the tile to a token holder)
    }
    const { layers, cacheControl } = set;
    const request: TileRequest = { layers, coord: address.coord };
    const key = tiles.coordKey(set.layersKey, request);
    const hit = tiles.cached(key);
    if (hit) {
      writeTileBelowExpress(req, res, hit, cacheControl, [...appHeaders, 'X-Request-Id', requestIdOf(req)]);
      return true;
    }
    if (!handOff || ctx.log.isLevelEnabled('debug') || tileCost(ctx.config, address.layerIds, address.coord.z)) return false;
    const started = process.hrtime.bigint();
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    tiles.load(key, request, gone.signal).then(
      (tile) => {
        writeTileBelowExpress(req, res, tile, cacheControl, [...appHeaders, 'X-Request-Id', requestIdOf(req)]);
        const labels = { route: xyzRoute, method: req.method!, status: String(res.statusCode) };
        requests.inc(labels);
        latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      },
      (err: unknown) => {
        if (err instanceof ClientGoneError || gone.signal.aborted) return;
        (req as HandedRequest)[failedBelowExpress] = err;
        handOff(req, res);
      },
    );
    return true;
  };
}

/** Layers of a tile URL resolved once (createTileFastPath): their part of the cache key, and their Cache-Control. */
interface ResolvedLayers {
  layers: Layer[];
  layersKey: string;
  cacheControl: string;
  /** TILE_CACHE_CONTROL when it was worked out. */
  fallback: string;
}

/** The status and headers of a tile answer (the body is the stored gzip, or nothing). */
function tileHead(
  req: IncomingMessage,
  tile: CachedTile,
  cacheControl: string,
): { status: number; headers: string[]; gzip: boolean } {
  const headers = ['Cache-Control', cacheControl, 'ETag', tile.etag, 'Vary', 'Accept-Encoding'];
  if (matchesEtag(req.headers['if-none-match'], tile.etag)) return { status: 304, headers, gzip: false };
  if (tile.gz.length === 0) return { status: 204, headers, gzip: false };
  headers.push('Content-Type', mvtType);
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  // Already gzipped: the compression middleware leaves a response with Content-Encoding alone.
  if (gzip) headers.push('Content-Encoding', 'gzip', 'Content-Length', String(tile.gz.length));
  return { status: 200, headers, gzip };
}

/** Writes a tile through the app's response (its middlewares have set their headers): 304, 204, gzip or plain. */
function writeTile(ctx: AppContext, req: IncomingMessage, res: ServerResponse, tile: CachedTile, layers: readonly Layer[]): void {
  const head = tileHead(req, tile, cacheControlFor(layers, ctx.config.tileCacheControl));
  for (let i = 0; i < head.headers.length; i += 2) res.setHeader(head.headers[i], head.headers[i + 1]);
  res.statusCode = head.status;
  if (head.status !== 200) return void res.end();
  if (head.gzip) return void res.end(tile.gz);
  const raw = zlib.gunzipSync(tile.gz);
  res.setHeader('Content-Length', raw.length);
  res.end(raw);
}

/** Writes a tile below express (gzip accepted): the given headers first, then the tile's, in one writeHead. */
function writeTileBelowExpress(
  req: IncomingMessage,
  res: ServerResponse,
  tile: CachedTile,
  cacheControl: string,
  first: readonly string[],
): void {
  const head = tileHead(req, tile, cacheControl);
  res.writeHead(head.status, [...first, ...head.headers]);
  res.end(head.status === 200 ? tile.gz : undefined);
}
