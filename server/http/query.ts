/**
 * Spatial queries for planners (`/query/...`) and name search (`/search`). JSON in and out; GeoJSON geometry in
 * EPSG:4326. Thin handlers: parse -> catalog.get -> QueryService / SearchService -> write.
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../context.ts';
import type { Layer } from '../catalog/catalog.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import { principalOf } from './auth.ts';
import { InvalidParameterError } from './errors.ts';
import { QueryService, type FeatureCollectionText } from '../query/service.ts';
import { allowOnlyParams, parseList, parseLonLat, parseNumber } from '../query/params.ts';
import { parseBodyGeometry } from '../query/geometry.ts';
import { SearchService } from '../search/service.ts';
import { single } from '../features/params.ts';
import { sendText } from '../features/encode.ts';
import { clientGone } from './ogc.ts';
import type { CostLimits } from '../limits/limits.ts';
import { intersectsCost, searchCost, summaryCost } from '../limits/costs.ts';
import { queryBodySize, withCostLimits } from './limits.ts';

/** Most features one layer contributes to an identify answer. */
const identifyPerLayer = 50;

function sendCollection(req: Request, res: Response, fc: FeatureCollectionText): Promise<void> {
  res.status(200).type('application/geo+json; charset=utf-8');
  return sendText(req, res, fc.json);
}

/** The JSON object of a POST body, or a 400 when the body is missing or not an object. */
function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidParameterError('the request body must be a JSON object (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}

function bodyString(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') throw new InvalidParameterError(`field "${name}" is required and must be a string`);
  return v;
}

function bodyLimit(body: Record<string, unknown>, max: number): number {
  const v = body.limit;
  if (v === undefined) return Math.min(1000, max);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new InvalidParameterError(`field "limit": must be a whole number from 1 to ${max}`);
  return v;
}

/** groupBy: a column name or a list of up to 4, each a column of the layer. */
function parseGroupBy(layer: Layer, value: unknown): LayerColumn[] {
  if (value === undefined || value === null) return [];
  const names = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(names) || names.length > 4 || !names.every((n) => typeof n === 'string')) {
    throw new InvalidParameterError('field "groupBy": a property name or a list of at most 4 property names');
  }
  return [...new Set(names as string[])].map((n) => {
    const column = layer.column(n);
    if (!column) throw new InvalidParameterError(`field "groupBy": layer "${layer.id}" has no property ${JSON.stringify(n.slice(0, 64))}`);
    return column;
  });
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
    const layers = ids ? ids.map((id) => ctx.catalog.get(id, principal)) : ctx.catalog.list(principal);
    await sendCollection(req, res, await queries.identify(layers, at, tolerance, identifyPerLayer, clientGone(res)));
  };
}

/** GET /query/nearest?layer&lon&lat[&k]. */
function handleNearest(ctx: AppContext, queries: QueryService): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnlyParams(query, ['layer', 'lon', 'lat', 'k'], req.path);
    const layer = ctx.catalog.get(single(query, 'layer') ?? '', principalOf(res));
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
    const layer = ctx.catalog.get(single(query, 'layer') ?? '', principalOf(res));
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
    await sendCollection(req, res, await withCostLimits(limits, req, res, cost, (signal) => queries.intersects(layer, geometry, limit, signal)));
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
    const q = single(query, 'q');
    if (q === undefined || q.trim() === '') throw new InvalidParameterError('parameter "q" is required: the name to look for');
    if (q.length > 200) throw new InvalidParameterError('parameter "q": at most 200 characters');
    const limit = parseNumber(query, 'limit', 1, 100, 20);
    if (!Number.isInteger(limit)) throw new InvalidParameterError(`parameter "limit": ${limit} is not a whole number`);
    const found = await withCostLimits(limits, req, res, searchCost(ctx.config), (signal) => search.search(q, principalOf(res), limit, signal));
    res.json({ query: q, normalized: found.normalized, numberReturned: found.results.length, results: found.results });
  };
}

/** The router of /query/* and /search. */
export function createQueryRouter(ctx: AppContext, limits: CostLimits): Router {
  const queries = new QueryService(ctx.db);
  const json = [queryBodySize(ctx.config), express.json({ limit: ctx.config.limitQueryBodyBytes })];
  const router = Router();
  router.get('/query/identify', handleIdentify(ctx, queries));
  router.get('/query/nearest', handleNearest(ctx, queries));
  router.get('/query/within', handleWithin(ctx, queries));
  router.post('/query/intersects', json, handleIntersects(ctx, queries, limits));
  router.post('/query/summary', json, handleSummary(ctx, queries, limits));
  router.get('/search', handleSearch(ctx, new SearchService(ctx.db, ctx.catalog), limits));
  return router;
}
