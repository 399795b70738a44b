/**
 * Spatial queries for planners (`/query/...`, including what a land-use plan changes) and name search (`/search`).
 * JSON in and out; GeoJSON geometry in EPSG:4326. Thin handlers: parse -> catalog.get -> QueryService / SearchService -> write.
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../context.ts';
import { principalOf } from './auth.ts';
import { InvalidParameterError } from '../errors.ts';
import type { QueryService, FeatureCollectionText } from '../query/service.ts';
import type { SearchService } from '../search/service.ts';
import { allowOnlyParams, parseList, parseLonLat, parseNumber, queryValue } from './params/query-string.ts';
import { parseBodyGeometry } from './params/geometry.ts';
import { bodyLimit, bodyObject, bodyString, parseGroupBy } from './params/query-body.ts';
import { sendText } from './response-body.ts';
import { clientGone } from './client-gone.ts';

import type { CostLimits } from '../limits/limits.ts';
import { conversionsCost, intersectsCost, searchCost, summaryCost } from '../limits/costs.ts';
import { conversionsTable, conversionGroupings, type Conversions, type ConversionsQuery } from '../query/conversions.ts';
import { parseConversionsBody, parseConversionsQueryString } from './params/conversions.ts';
import { negotiate, type Format } from './params/format.ts';
import { csvField } from '../features/write.ts';
import { queryBodySize, withCostLimits } from './limits.ts';

/** Most features one layer contributes to an identify answer. */
const identifyPerLayer = 50;

function sendCollection(req: Request, res: Response, fc: FeatureCollectionText): Promise<void> {
  res.status(200).type('application/geo+json; charset=utf-8');
  return sendText(req, res, fc.json);
}

/** GET /query/identify?lon&lat[&layers][&tolerance_m]. */
function handleIdentify(ctx: AppContext, queries: QueryService): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnlyParams(query, ['lon', 'lat', 'layers', 'tolerance_m'], req.path);
    const at = parseLonLat(query);
    const tolerance = parseNumber(query, 'tolerance_m', 0, 5000, 10);
    const ids = parseList(query, 'layers', 100);
    const principal = principalOf(res);
    const layers = ids ? ids.map((id) => ctx.catalog.get(id, principal, 'layers')) : ctx.catalog.list(principal);
    await sendCollection(req, res, await queries.identify(layers, at, tolerance, identifyPerLayer, clientGone(res)));
  };
}

/** GET /query/nearest?layer&lon&lat[&k]. */
function handleNearest(ctx: AppContext, queries: QueryService): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnlyParams(query, ['layer', 'lon', 'lat', 'k'], req.path);
    const layer = ctx.catalog.get(queryValue(query, 'layer') ?? '', principalOf(res), 'layer');
    const at = parseLonLat(query);
    const k = parseNumber(query, 'k', 1, 1000, 5);
    if (!Number.isInteger(k)) throw new InvalidParameterError(`parameter "k": ${k} is not a whole number`);
    await sendCollection(req, res, await queries.nearest(layer, at, k, clientGone(res)));
  };
}

/** GET /query/within?layer&lon&lat&radius_m[&limit]. */
function handleWithin(ctx: AppContext, queries: QueryService): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnlyParams(query, ['layer', 'lon', 'lat', 'radius_m', 'limit'], req.path);
    const layer = ctx.catalog.get(queryValue(query, 'layer') ?? '', principalOf(res), 'layer');
    const at = parseLonLat(query);
    const radius = parseNumber(query, 'radius_m', 0, 100_000);
    if (radius <= 0) throw new InvalidParameterError('parameter "radius_m": must be greater than 0');
    const maxLimit = ctx.config.itemsMaxLimit;
    const limit = parseNumber(query, 'limit', 1, maxLimit, Math.min(1000, maxLimit));
    if (!Number.isInteger(limit)) throw new InvalidParameterError(`parameter "limit": ${limit} is not a whole number`);
    await sendCollection(req, res, await queries.within(layer, at, radius, limit, clientGone(res)));
  };
}

/** POST /query/intersects {layer, geometry[, limit]}. */
function handleIntersects(ctx: AppContext, queries: QueryService, limits: CostLimits): RequestHandler {
  return async (req, res) => {
    const body = bodyObject(req.body);
    const layer = ctx.catalog.get(bodyString(body, 'layer'), principalOf(res));
    const geometry = parseBodyGeometry(body.geometry, 'geometry', ctx.config.limitQueryGeometryVertices);
    const limit = bodyLimit(body, ctx.config.itemsMaxLimit);
    const cost = intersectsCost(ctx.config, layer.id);
    await sendCollection(
      req,
      res,
      await withCostLimits(limits, req, res, cost, (signal) => queries.intersects(layer, geometry, limit, signal)),
    );
  };
}

/** POST /query/summary {layer, geometry, groupBy}. */
function handleSummary(ctx: AppContext, queries: QueryService, limits: CostLimits): RequestHandler {
  return async (req, res) => {
    const body = bodyObject(req.body);
    const layer = ctx.catalog.get(bodyString(body, 'layer'), principalOf(res));
    const geometry = parseBodyGeometry(body.geometry, 'geometry', ctx.config.limitQueryGeometryVertices);
    const groupBy = parseGroupBy(layer, body.groupBy);
    const cost = summaryCost(ctx.config, layer.id);
    res.json(await withCostLimits(limits, req, res, cost, (signal) => queries.summary(layer, geometry, groupBy, signal)));
  };
}

/** The conversions as JSON, or as CSV (UTF-8 with a byte order mark for spreadsheet programs, CRLF lines). */
function sendConversions(req: Request, res: Response, q: ConversionsQuery, c: Conversions, format: Format): Promise<void> | void {
  if (format === 'json') {
    res.json(c);
    return;
  }
  const lines = conversionsTable(c, conversionGroupings[q.grouping]).map((row) => row.map(csvField).join(','));
  res.status(200).type('text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="conversions-${q.layer.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv"`);
  return sendText(req, res, Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8'));
}

/** GET /query/conversions?layer[&commune][&bbox][&groupBy][&f]: what a land-use plan changes, whole or in a commune or box. */
function handleConversionsGet(ctx: AppContext, queries: QueryService, limits: CostLimits): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnlyParams(query, ['layer', 'commune', 'bbox', 'groupBy', 'f'], req.path);
    const format = negotiate(req, ['json', 'csv']);
    const id = queryValue(query, 'layer');
    if (!id) throw new InvalidParameterError('parameter "layer" is required: the id of a land-use plan layer', 'layer');
    const layer = ctx.catalog.get(id, principalOf(res), 'layer');
    const q = parseConversionsQueryString(layer, query);
    await answerConversions(ctx, queries, limits, req, res, q, format);
  };
}

/** POST /query/conversions {layer[, geometry][, commune][, groupBy]} [?f]: the same inside a drawn area. */
function handleConversionsPost(ctx: AppContext, queries: QueryService, limits: CostLimits): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnlyParams(query, ['f'], req.path);
    const format = negotiate(req, ['json', 'csv']);
    const body = bodyObject(req.body);
    const layer = ctx.catalog.get(bodyString(body, 'layer'), principalOf(res));
    const q = parseConversionsBody(layer, body, ctx.config.limitQueryGeometryVertices);
    await answerConversions(ctx, queries, limits, req, res, q, format);
  };
}

/** Runs a conversions query of either route under the summary's cost limits, and sends it in the asked format. */
async function answerConversions(
  ctx: AppContext,
  queries: QueryService,
  limits: CostLimits,
  req: Request,
  res: Response,
  q: ConversionsQuery,
  format: Format,
): Promise<void> {
  const cost = conversionsCost(ctx.config, req.method, q.layer.id);
  const answer = await withCostLimits(limits, req, res, cost, (signal) => queries.conversions(q, signal));
  await sendConversions(req, res, q, answer, format);
}

/** GET /search?q[&limit]. */
function handleSearch(ctx: AppContext, search: SearchService, limits: CostLimits): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnlyParams(query, ['q', 'limit'], req.path);
    const q = queryValue(query, 'q');
    if (q === undefined || q.trim() === '') throw new InvalidParameterError('parameter "q" is required: the name to look for');
    if (q.length > 200) throw new InvalidParameterError('parameter "q": at most 200 characters');
    const limit = parseNumber(query, 'limit', 1, 100, 20);
    if (!Number.isInteger(limit)) throw new InvalidParameterError(`parameter "limit": ${limit} is not a whole number`);
    const found = await withCostLimits(limits, req, res, searchCost(ctx.config), (signal) =>
      search.search(q, principalOf(res), limit, signal),
    );
    res.json({ query: q, normalized: found.normalized, numberReturned: found.results.length, results: found.results });
  };
}

/** The router of /query/* and /search. */
export function createQueryRouter(ctx: AppContext, queries: QueryService, search: SearchService, limits: CostLimits): Router {
  const json = [queryBodySize(ctx.config), express.json({ limit: ctx.config.limitQueryBodyBytes })];
  const router = Router();
  router.get('/query/identify', handleIdentify(ctx, queries));
  router.get('/query/nearest', handleNearest(ctx, queries));
  router.get('/query/within', handleWithin(ctx, queries));
  router.post('/query/intersects', json, handleIntersects(ctx, queries, limits));
  router.post('/query/summary', json, handleSummary(ctx, queries, limits));
  router.get('/query/conversions', handleConversionsGet(ctx, queries, limits));
  router.post('/query/conversions', json, handleConversionsPost(ctx, queries, limits));
  router.get('/search', handleSearch(ctx, search, limits));
  return router;
}
