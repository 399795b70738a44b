/**
 * OGC API Features Part 4 routes: POST /collections/{layer}/items, PUT/PATCH/DELETE .../items/{fid}, the history of a
 * feature and the restore of a version. Thin: parse -> catalog.get -> EditService -> write. Mounted before the
 * OGC router; it also adds the ETag to GET of one feature, which that router then answers.
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../context.ts';
import type { EditRequest, EditResult, EditService } from '../edit/service.ts';
import { requirePrincipal, principalOf } from './auth.ts';
import { HttpError } from './errors.ts';
import { InvalidParameterError, NotFoundError, UnsupportedMediaTypeError } from '../errors.ts';
import { checkMayChange } from '../upload/ownership.ts';
import { baseUrlOf } from './base-url.ts';
import { queryBodySize } from './limits.ts';
import {
  parseContentCrs,
  parseFeatureBody,
  parseFeaturePatch,
  parseIfMatch,
  parseIfNoneMatch,
  parsePathNumber,
  parseRepair,
} from './params/edit.ts';
import { allowOnlyParams, type QueryParams } from './params/query-string.ts';

/** Media types an edit body may have. */
export const editBodyTypes = ['application/json', 'application/geo+json', 'application/merge-patch+json'];

/**
 * 428: PUT, PATCH, DELETE and restore must say which version they change (If-Match), so no edit silently overwrites
 * another; a restore of a deleted feature says it read it deleted (If-None-Match: *).
 */
class PreconditionRequiredError extends HttpError {
  constructor(what: string, restore = false) {
    super(
      428,
      'PreconditionRequired',
      restore
        ? `header "If-Match" is required for ${what}: send the ETag of the feature as you read it (or "If-None-Match: *" to restore a deleted feature)`
        : `header "If-Match" is required for ${what}: send the ETag of the feature as you read it`,
    );
  }
}

function fidOf(req: Request, layerId: string): number {
  const fid = parsePathNumber(String(req.params.id));
  if (fid === null)
    throw new NotFoundError(`layer "${layerId}" has no feature with id ${JSON.stringify(String(req.params.id).slice(0, 40))}`);
  return fid;
}

/** 405: a layer read in place (server/sources/) belongs to the program that loads its table; it is edited there. */
class SourceNotEditableError extends HttpError {
  constructor(layerId: string, table: string) {
    super(
      405,
      'MethodNotAllowed',
      `layer "${layerId}" is read in place from the table ${table}: edit that table (its changes reach the layer), not the layer`,
      { Allow: 'GET, HEAD' },
    );
  }
}

/** The edit request of a route: editor role at least (401/403), a readable layer (404), If-Match when `needMatch`. */
function editRequest(ctx: AppContext, req: Request, res: Response, needMatch: boolean): EditRequest {
  allowOnlyParams(req.query as QueryParams, ['repair'], req.path);
  const who = requirePrincipal(res, 'editor');
  const layer = ctx.catalog.get(String(req.params.layer), who);
  checkMayChange(layer, who, 'edit its features'); // 403 before 428: If-Match would not help
  if (layer.source) throw new SourceNotEditableError(layer.id, `${layer.source.schema}.${layer.source.table}`);
  const ifMatch = parseIfMatch(req.headers['if-match']);
  if (needMatch && ifMatch === null) throw new PreconditionRequiredError(req.method);
  return { layer, who, repair: parseRepair(req.query as QueryParams), ifMatch };
}

function body(req: Request): unknown {
  if (req.body === undefined) {
    throw new UnsupportedMediaTypeError(`header "Content-Type": send the feature as ${editBodyTypes.join(', ')}`);
  }
  return req.body;
}

function itemPath(layerId: string, fid: number): string {
  return `/collections/${encodeURIComponent(layerId)}/items/${fid}`;
}

function sendFeature(res: Response, result: EditResult, status: number): void {
  if (result.etag) res.setHeader('ETag', result.etag);
  res.status(status).type('application/geo+json').send(JSON.stringify(result.feature));
}

/** Resolves once the tiles a committed write changed are dropped here (see createEditRouter). */
type Written = () => Promise<void>;

function handleCreate(ctx: AppContext, edits: EditService, written: Written): RequestHandler {
  return async (req, res) => {
    const r = editRequest(ctx, req, res, false);
    const result = await edits.create(r, parseFeatureBody(body(req), parseContentCrs(req.get('content-crs'))));
    await written();
    res.setHeader('Location', `${baseUrlOf(req, ctx.config)}${itemPath(r.layer.id, result.fid)}`);
    sendFeature(res, result, 201);
  };
}

function handleReplace(ctx: AppContext, edits: EditService, written: Written): RequestHandler {
  return async (req, res) => {
    const r = editRequest(ctx, req, res, true);
    const fid = fidOf(req, r.layer.id);
    const result = await edits.replace(r, fid, parseFeatureBody(body(req), parseContentCrs(req.get('content-crs')), fid));
    await written();
    sendFeature(res, result, 200);
  };
}

function handlePatch(ctx: AppContext, edits: EditService, written: Written): RequestHandler {
  return async (req, res) => {
    const r = editRequest(ctx, req, res, true);
    const fid = fidOf(req, r.layer.id);
    const result = await edits.patch(r, fid, parseFeaturePatch(body(req), parseContentCrs(req.get('content-crs'))));
    await written();
    sendFeature(res, result, 200);
  };
}

function handleDelete(ctx: AppContext, edits: EditService, written: Written): RequestHandler {
  return async (req, res) => {
    const r = editRequest(ctx, req, res, true);
    await edits.remove(r, fidOf(req, r.layer.id));
    await written();
    res.status(204).end();
  };
}

/**
 * GET .../items/{fid}/history: every version, oldest first; any token that may read the layer. The ETag of the feature
 * as it is now comes along (none when it is deleted), for the If-Match of a restore.
 */
function handleHistory(ctx: AppContext, edits: EditService): RequestHandler {
  return async (req, res) => {
    allowOnlyParams(req.query as QueryParams, [], req.path);
    const who = requirePrincipal(res, 'viewer');
    const layer = ctx.catalog.get(String(req.params.layer), who);
    const fid = fidOf(req, layer.id);
    const versions = await edits.history(layer, fid);
    const etag = await edits.etag(layer, fid);
    if (etag) res.setHeader('ETag', etag);
    res.json({ layer: layer.id, id: fid, numberOfVersions: versions.length, versions });
  };
}

/**
 * POST .../items/{fid}/history/{version}/restore: admins only; a new version equal to the one named. Like the other
 * writes it needs If-Match (the feature's ETag now), or If-None-Match: * for a feature that is deleted now.
 */
function handleRestore(ctx: AppContext, edits: EditService, written: Written): RequestHandler {
  return async (req, res) => {
    const r = editRequest(ctx, req, res, false);
    requirePrincipal(res, 'admin');
    const ifNoneMatch = parseIfNoneMatch(req.headers['if-none-match']);
    if (r.ifMatch === null && !ifNoneMatch) throw new PreconditionRequiredError('a restore', true);
    if (r.ifMatch !== null && ifNoneMatch)
      throw new InvalidParameterError('send either "If-Match" or "If-None-Match: *" with a restore, not both', 'If-None-Match');
    const fid = fidOf(req, r.layer.id);
    const version = parsePathNumber(String(req.params.version));
    if (version === null)
      throw new NotFoundError(
        `feature ${fid} of layer "${r.layer.id}" has no version ${JSON.stringify(String(req.params.version).slice(0, 20))}`,
      );
    const result = await edits.restore({ ...r, ifNoneMatch }, fid, version);
    await written();
    sendFeature(res, result, 200);
  };
}

/** Adds the ETag of a feature to GET of one feature (answered by the OGC router); errors are left to that router. */
function addItemEtag(ctx: AppContext, edits: EditService): RequestHandler {
  return async (req, res, next) => {
    try {
      const fid = parsePathNumber(String(req.params.id));
      const layer = ctx.catalog.get(String(req.params.layer), principalOf(res));
      const etag = fid === null || layer.source ? null : await edits.etag(layer, fid);
      if (etag) res.setHeader('ETag', etag);
    } catch {
      // an unknown layer or a bad id: the OGC router answers with the right 404
    }
    next();
  };
}

/**
 * The router of feature edits and history. `written` resolves once this instance has acted on every committed
 * write (TileService.changesSeen): each write's answer waits for it, so that an editor who redraws the map on the
 * answer sees the edit, not a cached tile of before it.
 */
export function createEditRouter(ctx: AppContext, edits: EditService, written: () => Promise<void>): Router {
  const json = [queryBodySize(ctx.config), express.json({ limit: ctx.config.limitQueryBodyBytes, type: editBodyTypes })];
  const router = Router();
  router.get('/collections/:layer/items/:id', addItemEtag(ctx, edits));
  router.post('/collections/:layer/items', json, handleCreate(ctx, edits, written));
  router.put('/collections/:layer/items/:id', json, handleReplace(ctx, edits, written));
  router.patch('/collections/:layer/items/:id', json, handlePatch(ctx, edits, written));
  router.delete('/collections/:layer/items/:id', handleDelete(ctx, edits, written));
  router.get('/collections/:layer/items/:id/history', handleHistory(ctx, edits));
  router.post('/collections/:layer/items/:id/history/:version/restore', handleRestore(ctx, edits, written));
  return router;
}

type Obj = Record<string, unknown>;
const exception = (description: string): Obj => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Exception' } } },
});
const featureBody = (types: string[]): Obj => ({
  required: true,
  content: Object.fromEntries(types.map((t) => [t, { schema: { $ref: '#/components/schemas/Feature' } }])),
});
const pathParam = (name: string, description: string): Obj => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const header = (name: string, description: string, required = false): Obj => ({
  name,
  in: 'header',
  required,
  description,
  schema: { type: 'string' },
});
const editErrors: Obj = {
  400: exception(
    'a property, the geometry (type, validity, outside Vietnam) or a header has a value the layer cannot take; the message names it',
  ),
  401: exception('a token is needed'),
  403: exception('the token may not edit this layer (editors: only layers they own; built-in layers: admins)'),
  404: exception('no such layer or feature'),
  413: exception('the body is over LIMIT_QUERY_BODY_BYTES'),
};
const matched: Obj = {
  412: exception('the feature changed since its ETag was read (If-Match)'),
  428: exception('If-Match is missing'),
};
const contentCrs = header(
  'Content-Crs',
  'CRS of the coordinates in the body, e.g. <http://www.opengis.net/def/crs/EPSG/0/9209> (VN-2000 TM-3); default CRS84.',
);
const repair = {
  name: 'repair',
  in: 'query',
  description: 'Repair an invalid geometry with ST_MakeValid instead of refusing it.',
  schema: { type: 'boolean', default: false },
};
const ifMatch = header('If-Match', 'The ETag of the feature as read (GET of the feature answers it).', true);
const restoreIfMatch = header(
  'If-Match',
  'The ETag of the feature as it is now (GET of the feature or of its history answers it). Required unless If-None-Match: * is sent.',
);
const restoreIfNoneMatch = header(
  'If-None-Match',
  'Only "*": restore a feature that is deleted now (412 when it exists again). Required instead of If-Match for a deleted feature.',
);
const saved = (status: string, description: string): Obj => ({
  [status]: { description, headers: { ETag: { schema: { type: 'string' } } } },
});

/** The OpenAPI operations of feature edits (OGC API Features Part 4), merged into /api by openapi.ts. */
export function editOpenApiPaths(): { items: Obj; item: Obj; paths: Obj } {
  const layer = { $ref: '#/components/parameters/collectionId' };
  const fid = { $ref: '#/components/parameters/featureId' };
  const security = [{ bearer: [] }];
  const op = (operationId: string, summary: string, parameters: Obj[], responses: Obj, extra: Obj = {}) => ({
    tags: ['Features'],
    operationId,
    summary,
    parameters,
    responses,
    security,
    ...extra,
  });
  return {
    items: {
      post: op(
        'createFeature',
        'Create a feature (OGC API Features Part 4); 201 with Location and ETag',
        [layer, contentCrs, repair],
        { ...saved('201', 'created'), ...editErrors },
        { requestBody: featureBody(['application/geo+json', 'application/json']) },
      ),
    },
    item: {
      put: op(
        'replaceFeature',
        'Replace a feature (properties not given become null)',
        [layer, fid, ifMatch, contentCrs, repair],
        { ...saved('200', 'replaced'), ...editErrors, ...matched },
        { requestBody: featureBody(['application/geo+json', 'application/json']) },
      ),
      patch: op(
        'updateFeature',
        'Update a feature with a JSON merge patch of properties and/or geometry',
        [layer, fid, ifMatch, contentCrs, repair],
        { ...saved('200', 'updated'), ...editErrors, ...matched },
        { requestBody: featureBody(['application/merge-patch+json', 'application/json']) },
      ),
      delete: op('deleteFeature', 'Delete a feature', [layer, fid, ifMatch], {
        204: { description: 'deleted' },
        ...editErrors,
        ...matched,
      }),
    },
    paths: {
      '/collections/{collectionId}/items/{featureId}/history': {
        get: op('getFeatureHistory', 'Every version of a feature: who, when, what changed, before and after', [layer, fid], {
          ...saved('200', 'versions, oldest first; the ETag is the feature as it is now (absent when it is deleted)'),
          ...editErrors,
        }),
      },
      '/collections/{collectionId}/items/{featureId}/history/{version}/restore': {
        post: op(
          'restoreFeature',
          'Restore the feature as it was after a version (admins; also a deleted feature); If-Match or If-None-Match: * required',
          [layer, fid, pathParam('version', 'Version number (integer).'), restoreIfMatch, restoreIfNoneMatch],
          {
            ...saved('200', 'restored'),
            ...editErrors,
            412: exception(
              'the feature changed since its ETag was read, was deleted (If-Match) or exists again (If-None-Match: *)',
            ),
            428: exception('neither If-Match nor If-None-Match: * was sent'),
          },
        ),
      },
    },
  };
}
