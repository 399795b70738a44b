/**
 * Open-data routes (issue 15): the records catalog (OGC API - Records Part 1) at /collections/opendata-catalog, the
 * DCAT-AP JSON-LD of the public catalog at /catalog.jsonld, the province's categories and download counts under
 * /opendata/, and GET /collections/{layer}/download?format=geojson|csv|kml|gpkg|shp. Mounted before the OGC router,
 * so /collections/opendata-catalog is answered here (a hyphen never occurs in a layer id).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppContext } from '../context.ts';
import { principalOf } from './auth.ts';
import { baseUrlOf } from './base-url.ts';
import { clientGone } from './client-gone.ts';
import { withCostLimits } from './limits.ts';
import { bodyStream } from './response-body.ts';
import { allowOnlyParams, type QueryParams } from './params/query-string.ts';
import { parseDownloadQuery } from './params/download.ts';
import { parseRecordsQuery } from './params/records.ts';
import { ClientGoneError, NotFoundError } from '../errors.ts';
import { downloadCost } from '../limits/costs.ts';
import type { CostLimits } from '../limits/limits.ts';
import { loadOpenDataCategories, type OpenDataCategory } from '../catalog/metadata.ts';
import { catalogCollection, matchesRecord, recordOf } from '../opendata/records.ts';
import { dcatCatalog } from '../opendata/dcat.ts';
import { downloadFileNames, type DownloadService } from '../opendata/download.ts';
import { downloadFormats, formatInfo } from '../opendata/formats.ts';
import { catalogCollectionId, url } from '../opendata/links.ts';

/**
 * Content-Disposition with an ASCII `filename` and the UTF-8 `filename*` of RFC 6266 / RFC 8187, so a Vietnamese
 * title survives in every browser (those without `filename*` fall back to the layer id).
 */
export function contentDisposition(ascii: string, unicode: string): string {
  const encoded = encodeURIComponent(unicode).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii.replace(/["\\]/g, '_')}"; filename*=UTF-8''${encoded}`;
}

function base(ctx: AppContext, req: Request): string {
  return baseUrlOf(req, ctx.config);
}

/** GET /collections/opendata-catalog/items: the records the caller may read, filtered and paged. */
function handleRecords(ctx: AppContext, categories: readonly OpenDataCategory[]): RequestHandler {
  return (req, res) => {
    const path = `/collections/${catalogCollectionId}/items`;
    const q = parseRecordsQuery(req.query as QueryParams, path);
    const matched = ctx.catalog.list(principalOf(res)).filter((l) => matchesRecord(l, q, categories));
    const page = matched.slice(q.offset, q.offset + q.limit);
    const b = base(ctx, req);
    const query = new URL(req.originalUrl, 'http://localhost').searchParams;
    const at = (offset: number) => {
      const next = new URLSearchParams(query);
      next.set('offset', String(offset));
      next.set('limit', String(q.limit));
      return `${b}${path}?${next}`;
    };
    const links: Array<Record<string, unknown>> = [
      { href: `${b}${path}${query.size ? `?${query}` : ''}`, rel: 'self', type: 'application/geo+json', title: 'this page' },
      { href: url(b, `/collections/${catalogCollectionId}`), rel: 'collection', type: 'application/json', title: 'the catalog' },
    ];
    if (q.offset + page.length < matched.length)
      links.push({ href: at(q.offset + q.limit), rel: 'next', type: 'application/geo+json', title: 'next page' });
    if (q.offset > 0)
      links.push({
        href: at(Math.max(0, q.offset - q.limit)),
        rel: 'prev',
        type: 'application/geo+json',
        title: 'previous page',
      });
    res.type('application/geo+json').send(
      JSON.stringify({
        type: 'FeatureCollection',
        numberMatched: matched.length,
        numberReturned: page.length,
        timeStamp: new Date().toISOString(),
        features: page.map((l) => recordOf(l, b, categories)),
        links,
      }),
    );
  };
}

/** GET /collections/{layer}/download: the selection in one format, under the cost limits; counted once it starts. */
function handleDownload(ctx: AppContext, downloads: DownloadService, limits: CostLimits): RequestHandler {
  return async (req: Request, res: Response) => {
    const layer = ctx.catalog.get(String(req.params.layer), principalOf(res));
    const r = parseDownloadQuery(layer, req.query as QueryParams, ctx.config.itemsMaxLimit);
    downloads.check(r);
    const signal = clientGone(res);
    const names = downloadFileNames(layer, r.format, r.crs);
    const type =
      r.format === 'csv'
        ? 'text/csv; charset=utf-8'
        : r.format === 'geojson' || r.format === 'kml'
          ? `${formatInfo[r.format].mediaType}; charset=utf-8`
          : formatInfo[r.format].mediaType;
    try {
      await withCostLimits(
        limits,
        req,
        res,
        downloadCost(ctx.config, layer.id, r.format),
        async (s) => {
          if (r.format === 'gpkg' || r.format === 'shp') {
            const file = await downloads.buildFile(r, s);
            res.on('close', () => void file.close());
            await downloads.count(layer.id, r.format);
            res.status(200).type(type).setHeader('Content-Disposition', contentDisposition(names.ascii, names.unicode));
            res.setHeader('Cache-Control', 'no-store, no-transform'); // already compressed (zip) or binary: the gzip middleware leaves it
            if (file.size !== null) res.setHeader('Content-Length', String(file.size));
            file.stream.pipe(res);
            return;
          }
          await downloads.count(layer.id, r.format);
          res.status(200).type(type).setHeader('Content-Disposition', contentDisposition(names.ascii, names.unicode));
          res.setHeader('Content-Crs', `<${r.crs.uri}>`);
          res.setHeader('Cache-Control', 'no-store');
          await downloads.writeText(r, bodyStream(req, res), s);
        },
        signal,
      );
    } catch (err) {
      if (signal.aborted || err instanceof ClientGoneError) return;
      if (!res.headersSent) {
        res.removeHeader('Content-Encoding');
        res.removeHeader('Content-Disposition');
        res.removeHeader('Content-Crs');
      }
      throw err;
    }
  };
}

/** The router of the open-data resources; `downloads` and `limits` are the services createApp built. */
export function createOpenDataRouter(ctx: AppContext, downloads: DownloadService, limits: CostLimits): Router {
  const router = Router();
  const categories = loadOpenDataCategories(ctx.config.layersDir);
  router.get(`/collections/${catalogCollectionId}`, (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['f'], req.path);
    res.json(catalogCollection(base(ctx, req)));
  });
  router.get(`/collections/${catalogCollectionId}/items`, handleRecords(ctx, categories));
  router.get(`/collections/${catalogCollectionId}/items/:id`, (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['f'], req.path);
    const layer = ctx.catalog.list(principalOf(res)).find((l) => l.id === req.params.id);
    if (!layer) throw new NotFoundError(`the catalog has no record ${JSON.stringify(String(req.params.id).slice(0, 64))}`);
    res.type('application/geo+json').send(JSON.stringify(recordOf(layer, base(ctx, req), categories)));
  });
  router.get('/catalog.jsonld', (req, res) => {
    allowOnlyParams(req.query as QueryParams, [], req.path);
    // Harvesters are anonymous: the DCAT catalog lists public layers only, whatever token asks.
    res.type('application/ld+json').send(JSON.stringify(dcatCatalog(ctx.catalog.list(null), base(ctx, req))));
  });
  router.get('/opendata/categories', (req, res) => {
    allowOnlyParams(req.query as QueryParams, ['id'], req.path);
    res.json({ categories });
  });
  router.get('/opendata/downloads', async (req, res) => {
    allowOnlyParams(req.query as QueryParams, [], req.path);
    const layers = ctx.catalog.list(principalOf(res));
    const counts = await downloads.counts(layers.map((l) => l.id));
    res.json({
      formats: downloadFormats,
      datasets: layers.map((l) => {
        const byFormat = counts.get(l.id) ?? {};
        return { id: l.id, downloads: byFormat, total: Object.values(byFormat).reduce((s, n) => s + n, 0) };
      }),
    });
  });
  router.get('/collections/:layer/download', handleDownload(ctx, downloads, limits));
  return router;
}
