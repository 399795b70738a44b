/**
 * Spatial queries for planners (`/query/...`) and name search (`/search`). JSON in and out; GeoJSON geometry in
 * EPSG:4326. Thin handlers: parse -> catalog.get -> QueryService / SearchService -> write.
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
import { intersectsCost, searchCost, summaryCost } from '../limits/costs.ts';
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
  router.get('/search', handleSearch(ctx, search, limits));
  return router;
}
