/**
 * The Leaflet viewer: `/viewer/` (built into memory by esbuild on start), `/viewer/config.json` (what the viewer
 * needs to draw every layer the caller may read, from the live catalog), and the redirect of a browser opening `/`.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context.ts';
import type { Layer } from '../catalog/catalog.ts';
import { principalOf } from './auth.ts';
import { HttpError, NotFoundError } from './errors.ts';
import { buildViewer, type ViewerBundle } from '../../viewer/build.ts';
import type { ViewerConfig, ViewerLayer } from '../wire/layer.ts';

/** The viewer's view of one catalog layer. */
export function toViewerLayer(layer: Layer): ViewerLayer {
  return {
    id: layer.id,
    title: layer.title,
    title_vi: layer.titleVi,
    description: layer.description,
    group: layer.group,
    geometryType: layer.geometryType,
    style: layer.style,
    columns: layer.columns,
    minzoom: layer.minzoom,
    maxzoom: layer.maxzoom,
    bounds: layer.bounds,
    sortOrder: layer.sortOrder,
    attribution: layer.attribution,
    access: layer.access,
    dataVersion: layer.dataVersion,
  };
}

/** True for a browser asking for a page (Accept prefers HTML) without an explicit `f` format parameter. */
export function wantsViewer(req: Request): boolean {
  return req.query.f === undefined && req.accepts(['json', 'html']) === 'html';
}

interface BuiltViewer {
  bundle: ViewerBundle;
  etags: Map<string, string>;
}

/** The bundle does not depend on the server's settings: one build serves every app in the process (tests start many). */
let built: Promise<BuiltViewer> | null = null;

function loadViewer(): Promise<BuiltViewer> {
  built ??= buildViewer().then(
    (bundle) => ({
      bundle,
      etags: new Map([...bundle].map(([name, a]) => [name, `"${createHash('sha1').update(a.body).digest('base64url')}"`])),
    }),
    (err: Error) => {
      built = null;
      throw err;
    },
  );
  return built;
}

/** Serves the viewer and its configuration; sends browsers from `/` to `/viewer/`. */
export function createViewerRouter(ctx: AppContext): Router {
  const router = Router({ strict: true });
  // Build at start so the first visitor does not wait; a failure is logged and retried on the next request.
  loadViewer().catch((err) => ctx.log.error({ err }, 'viewer build failed'));

  router.get('/', (req, res, next) => {
    if (!wantsViewer(req)) return next();
    res.redirect(302, 'viewer/');
  });
  router.get('/viewer', (_req, res) => res.redirect(301, 'viewer/'));

  router.get('/viewer/config.json', (_req, res) => {
    const config: ViewerConfig = { layers: ctx.catalog.list(principalOf(res)).map(toViewerLayer) };
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/json').send(JSON.stringify(config));
  });

  router.get(/^\/viewer\/(.*)$/, async (req: Request, res: Response) => {
    const name = (req.params as Record<string, string>)[0] || 'index.html';
    let viewer;
    try {
      viewer = await loadViewer();
    } catch (err) {
      throw new HttpError(500, 'ViewerBuildFailed', `the viewer could not be built: ${(err as Error).message.split('\n')[0]}`);
    }
    const asset = viewer.bundle.get(name);
    if (!asset) throw new NotFoundError(`no viewer file ${name}`);
    const etag = viewer.etags.get(name)!;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.type(asset.contentType).send(asset.body);
  });
  return router;
}
