/**
 * OGC API Features (Parts 1, 2, 3): landing page, conformance, OpenAPI, collections, items, one item, queryables.
 * Thin handlers: parse -> catalog.get -> FeatureService -> write. Mounted last, after the other routers.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../context.ts';
import type { Layer } from '../catalog/catalog.ts';
import { principalOf } from './auth.ts';
import { ClientGoneError, NotFoundError } from '../errors.ts';
import { baseUrlOf } from './base-url.ts';
import { openApiDocument } from './openapi.ts';
import { conformanceClasses } from '../features/conformance.ts';
import { describeCollection, describeCollections, mediaTypes } from '../features/collections.ts';
import { queryablesSchema } from '../features/queryables.ts';
import type { ItemsQuery } from '../features/items-query.ts';
import { parseItemsQuery } from './params/items.ts';
import { negotiate, type Format } from './params/format.ts';
import { clientGone } from './client-gone.ts';
import { allowOnlyParams, queryValue, type QueryParams } from './params/query-string.ts';
import { parseCrsParam } from './params/crs.ts';
import { parseFeatureId } from './params/feature-id.ts';
import type { CrsDefinition } from '../crs/registry.ts';
import type { FeatureService, MatchCount } from '../features/service.ts';
import { featureCollectionBytes, writeCsv, writeFeatureCollection } from '../features/write.ts';
import { bodyStream, sendText } from './response-body.ts';
import { apiUrl, formatLinks, pageLinks, type Link } from '../features/links.ts';
import { collectionHtml, collectionsHtml, itemHtml, itemsHtml, landingHtml } from '../features/html.ts';
import type { CostLimits } from '../limits/limits.ts';
import { itemsCost } from '../limits/costs.ts';
import { withCostLimits } from './limits.ts';

/** The public base URL of the API (PUBLIC_URL, else scheme://host of the request). */
export function baseUrl(ctx: AppContext, req: Request): string {
  return baseUrlOf(req, ctx.config);
}

/** The `Content-Crs` header value: the URI in angle brackets (OGC API Features Part 2). */
function contentCrsHeader(crs: CrsDefinition): string {
  return `<${crs.uri}>`;
}

/** The raw query of the request, parameters in the order the client sent them. */
function rawQuery(req: Request): URLSearchParams {
  return new URL(req.originalUrl, 'http://localhost').searchParams;
}

const jsonHtml: readonly Format[] = ['json', 'html'];

/** GET /: the landing page (JSON, or HTML linking to the viewer). */
function handleLanding(ctx: AppContext): RequestHandler {
  return (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['f'], req.path);
    const format = negotiate(req, jsonHtml);
    const base = baseUrl(ctx, req);
    const links: Link[] = [
      ...formatLinks(base, '/', rawQuery(req), format, [
        { f: 'json', type: mediaTypes.json, title: 'this document' },
        { f: 'html', type: mediaTypes.html, title: 'this document as HTML' },
      ]),
      { href: apiUrl(base, '/api'), rel: 'service-desc', type: mediaTypes.openapi, title: 'the API definition (OpenAPI 3.0)' },
      { href: apiUrl(base, '/conformance'), rel: 'conformance', type: mediaTypes.json, title: 'conformance classes' },
      { href: apiUrl(base, '/collections'), rel: 'data', type: mediaTypes.json, title: 'layers (collections)' },
      {
        href: apiUrl(base, '/tileMatrixSets'),
        rel: 'http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes',
        type: mediaTypes.json,
        title: 'tile matrix sets',
      },
      {
        href: apiUrl(base, '/styles'),
        rel: 'http://www.opengis.net/def/rel/ogc/1.0/styles',
        type: mediaTypes.json,
        title: 'map styles (MapLibre / Mapbox GL)',
      },
      { href: apiUrl(base, '/viewer/'), rel: 'service-doc', type: mediaTypes.html, title: 'map viewer' },
      {
        href: apiUrl(base, '/search'),
        rel: 'search',
        type: mediaTypes.json,
        title: 'search places, administrative units and layers (?q=)',
      },
    ];
    const title = 'Bắc Ninh spatial data infrastructure';
    const description = 'Vector tiles, OGC API Features and spatial queries over the layers of Bắc Ninh province (PostGIS).';
    if (format === 'html') res.type('html').send(landingHtml(title, description, links));
    else res.json({ title, description, links });
  };
}

/** GET /conformance. */
const handleConformance: RequestHandler = (req, res) => {
  allowOnlyParams(req.query as QueryParams, ['f'], req.path);
  negotiate(req, ['json']);
  res.json({ conformsTo: conformanceClasses });
};

/** GET /api: the OpenAPI 3.0 document. */
function handleApi(ctx: AppContext): RequestHandler {
  return (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['f'], req.path);
    negotiate(req, ['json']);
    const ids = ctx.catalog.list(principalOf(res)).map((l) => l.id);
    res.type(mediaTypes.openapi).send(JSON.stringify(openApiDocument(baseUrl(ctx, req), ctx.config.itemsMaxLimit, ids)));
  };
}

/** GET /collections: the layers the caller may read. */
function handleCollections(ctx: AppContext): RequestHandler {
  return (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['f'], req.path);
    const format = negotiate(req, jsonHtml);
    const layers = ctx.catalog.list(principalOf(res));
    if (format === 'html') res.type('html').send(collectionsHtml(layers));
    else res.json(describeCollections(layers, baseUrl(ctx, req)));
  };
}

/** GET /collections/{layer}. */
function handleCollection(ctx: AppContext): RequestHandler {
  return (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['f'], req.path);
    const format = negotiate(req, jsonHtml);
    const layer = ctx.catalog.get(String(req.params.layer), principalOf(res));
    const doc = describeCollection(layer, baseUrl(ctx, req));
    if (format === 'html') res.type('html').send(collectionHtml(layer, doc.links as Link[]));
    else res.json(doc);
  };
}

/** GET /collections/{layer}/queryables. */
function handleQueryables(ctx: AppContext): RequestHandler {
  return (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['f'], req.path);
    negotiate(req, ['json']);
    const layer = ctx.catalog.get(String(req.params.layer), principalOf(res));
    const id = apiUrl(baseUrl(ctx, req), `/collections/${encodeURIComponent(layer.id)}/queryables`);
    res.type(mediaTypes.schema).send(JSON.stringify(queryablesSchema(layer, id)));
  };
}

/** GET /collections/{layer}/items: GeoJSON (streamed), HTML or CSV. */
function handleItems(ctx: AppContext, features: FeatureService, limits: CostLimits): RequestHandler {
  return async (req, res) => {
    const layer = ctx.catalog.get(String(req.params.layer), principalOf(res));
    const format = negotiate(req, ['json', 'html', 'csv']);
    const q = parseItemsQuery(layer, req.query as Record<string, unknown>, ctx.config.itemsMaxLimit);
    const signal = clientGone(res);
    try {
      // A large or spatially filtered page runs in a cost-limit slot, under LIMIT_ITEMS_TIMEOUT_MS (s = client or deadline).
      await withCostLimits(
        limits,
        req,
        res,
        itemsCost(ctx.config, layer.id, q),
        (s) => {
          if (format === 'csv') return sendCsv(req, res, features, layer, q, s);
          if (format === 'html') return sendItemsHtml(ctx, req, res, features, layer, q, s);
          return sendGeoJson(ctx, req, res, features, layer, q, s);
        },
        signal,
      );
    } catch (err) {
      if (signal.aborted || err instanceof ClientGoneError) return; // nobody is listening; the cursor is closed
      if (!res.headersSent) {
        // The error answer is plain JSON: drop what the feature response had announced.
        res.removeHeader('Content-Encoding');
        res.removeHeader('Content-Crs');
        res.removeHeader('Content-Disposition');
      }
      throw err;
    }
  };
}

async function sendCsv(
  req: Request,
  res: Response,
  features: FeatureService,
  layer: Layer,
  q: ItemsQuery,
  signal: AbortSignal,
): Promise<void> {
  res.setHeader('Content-Crs', contentCrsHeader(q.crs));
  res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${layer.id}.csv"`);
  await writeCsv(
    bodyStream(req, res),
    q.properties.map((c) => c.name),
    features.csvRows(layer, q, signal),
  );
}

async function sendGeoJson(
  ctx: AppContext,
  req: Request,
  res: Response,
  features: FeatureService,
  layer: Layer,
  q: ItemsQuery,
  signal: AbortSignal,
): Promise<void> {
  const { matched, features: page } = await features.page(layer, q, signal);
  res.status(200).type(mediaTypes.geojson).setHeader('Content-Crs', contentCrsHeader(q.crs));
  const base = baseUrl(ctx, req);
  const path = `/collections/${encodeURIComponent(layer.id)}/items`;
  const query = rawQuery(req);
  const head = { numberMatched: matched.value, numberMatchedMethod: matched.method, timeStamp: new Date().toISOString() };
  const tail = (numberReturned: number) => ({
    numberReturned,
    links: [
      ...formatLinks(base, path, query, 'json', [
        { f: 'json', type: mediaTypes.geojson, title: 'this page' },
        { f: 'html', type: mediaTypes.html, title: 'this page as HTML' },
        { f: 'csv', type: mediaTypes.csv, title: 'this page as CSV' },
      ]),
      ...pageLinks(base, path, query, pageState(q, numberReturned, matched), mediaTypes.geojson),
      {
        href: apiUrl(base, `/collections/${encodeURIComponent(layer.id)}`),
        rel: 'collection',
        type: mediaTypes.json,
        title: layer.title,
      },
    ],
  });
  // A page read whole is sent as one body; a large one streams from the cursor as it is read.
  if (Array.isArray(page)) await sendText(req, res, featureCollectionBytes(head, page, tail));
  else await writeFeatureCollection(bodyStream(req, res), head, page, tail);
}

async function sendItemsHtml(
  ctx: AppContext,
  req: Request,
  res: Response,
  features: FeatureService,
  layer: Layer,
  q: ItemsQuery,
  signal: AbortSignal,
): Promise<void> {
  const { matched, features: page } = await features.page(layer, q, signal);
  const list = [];
  for await (const f of page) list.push(JSON.parse(f));
  const path = `/collections/${encodeURIComponent(layer.id)}/items`;
  const links = pageLinks(baseUrl(ctx, req), path, rawQuery(req), pageState(q, list.length, matched), mediaTypes.html);
  res.type('html').send(
    itemsHtml(
      layer,
      q.properties.map((c) => c.name),
      list,
      matched.value,
      links,
    ),
  );
}

/** GET /collections/{layer}/items/{id}: one feature; 404 for an unknown or malformed id. */
function handleItem(ctx: AppContext, features: FeatureService): RequestHandler {
  return async (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['f', 'crs'], req.path);
    const layer = ctx.catalog.get(String(req.params.layer), principalOf(res));
    const format = negotiate(req, jsonHtml);
    const crs = parseCrsParam('crs', queryValue(req.query as Record<string, unknown>, 'crs'));
    const rawId = String(req.params.id);
    const notFound = new NotFoundError(`layer "${layer.id}" has no feature with id ${JSON.stringify(rawId.slice(0, 40))}`);
    const id = parseFeatureId(layer, rawId);
    if (id === null) throw notFound;
    const feature = await features.feature(layer, id, crs, clientGone(res));
    if (feature === null) throw notFound;
    if (format === 'html') {
      res.type('html').send(itemHtml(layer, JSON.parse(feature)));
      return;
    }
    const base = baseUrl(ctx, req);
    const path = `/collections/${encodeURIComponent(layer.id)}/items/${id}`;
    const links = [
      ...formatLinks(base, path, rawQuery(req), 'json', [
        { f: 'json', type: mediaTypes.geojson, title: 'this feature' },
        { f: 'html', type: mediaTypes.html, title: 'this feature as HTML' },
      ]),
      {
        href: apiUrl(base, `/collections/${encodeURIComponent(layer.id)}`),
        rel: 'collection',
        type: mediaTypes.json,
        title: layer.title,
      },
    ];
    res.status(200).type(mediaTypes.geojson).setHeader('Content-Crs', contentCrsHeader(crs));
    await sendText(req, res, `${feature.slice(0, -1)},"links":${JSON.stringify(links)}}`);
  };
}

function pageState(q: ItemsQuery, numberReturned: number, matched: MatchCount) {
  return {
    offset: q.offset,
    limit: q.limit,
    numberReturned,
    numberMatchedExact: matched.method === 'exact' ? matched.value : null,
  };
}

/** The router of the OGC API Features resources. */
export function createOgcRouter(ctx: AppContext, features: FeatureService, limits: CostLimits): Router {
  const router = Router();
  router.get('/', handleLanding(ctx));
  router.get('/conformance', handleConformance);
  router.get('/api', handleApi(ctx));
  router.get('/collections', handleCollections(ctx));
  router.get('/collections/:layer', handleCollection(ctx));
  router.get('/collections/:layer/queryables', handleQueryables(ctx));
  router.get('/collections/:layer/items', handleItems(ctx, features, limits));
  router.get('/collections/:layer/items/:id', handleItem(ctx, features));
  return router;
}
