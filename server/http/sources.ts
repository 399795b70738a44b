/**
 * GET /admin/sources (admin): tables and views with a geometry column in SOURCE_SCHEMAS, not yet published.
 * POST /admin/layers with a JSON body holding `source` publishes one in place (the multipart POST stays the upload).
 * sourceErrors: a query that meets a dropped table or column re-checks the sources and answers 503 naming the layer.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../context.ts';
import { DatabaseUnavailableError, InvalidParameterError } from '../errors.ts';
import { requirePrincipal } from './auth.ts';
import { unpublishedSourceTables } from '../sources/discover.ts';
import { publishSource } from '../sources/publish.ts';
import { parseMetadata } from '../upload/options.ts';

const text = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw new InvalidParameterError(`${name} must be a non-empty string`, name);
  return v;
};

/** Routes of the sources (mount before the admin router: POST /admin/layers with JSON is handled here). */
export function createSourcesRouter(ctx: AppContext): Router {
  const router = Router();
  const json = express.json({ limit: '1mb' });
  router.get('/admin/sources', async (_req, res) => {
    requirePrincipal(res, 'admin');
    const schemas = ctx.config.sourceSchemas;
    const sources = await unpublishedSourceTables(ctx.db, schemas);
    res.json({
      schemas,
      sources,
      ...(schemas.length ? {} : { note: 'SOURCE_SCHEMAS is empty: no schema is open for publishing in place' }),
    });
  });
  // Only a JSON body is a source; a multipart upload skips this route and reaches the admin router.
  const jsonOnly = (req: Request, _res: Response, next: NextFunction) => (req.is('application/json') ? next() : next('route'));
  router.post('/admin/layers', jsonOnly, json, async (req, res) => {
    const p = requirePrincipal(res, 'admin');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { source, id, columns, ...rest } = body;
    if (!source || typeof source !== 'object')
      throw new InvalidParameterError('source: send {"schema": "...", "table": "..."}', 'source');
    const s = source as Record<string, unknown>;
    if (columns !== undefined && (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string'))) {
      throw new InvalidParameterError('columns must be a list of column names', 'columns');
    }
    const published = await publishSource(
      ctx.db,
      ctx.config.sourceSchemas,
      {
        schema: text(s.schema, 'source.schema'),
        table: text(s.table, 'source.table'),
        idColumn: s.idColumn === undefined ? undefined : text(s.idColumn, 'source.idColumn'),
        geometryColumn: s.geometryColumn === undefined ? undefined : text(s.geometryColumn, 'source.geometryColumn'),
        layerId: text(id, 'id'),
        columns: (columns as string[] | undefined) ?? [],
        metadata: parseMetadata(rest),
      },
      p,
      ctx.config.sourceCacheTtlSeconds,
    );
    await ctx.catalog.load();
    res.status(201).location(`/collections/${published.id}`).json(published);
  });
  return router;
}

/** Undefined table (42P01) or column (42703): a source table was dropped or reshaped under a layer. */
const lostRelation = (err: unknown) => ['42P01', '42703'].includes((err as { code?: string } | null)?.code ?? '');

/** Error middleware before the main one: turns a vanished source table into 503 naming the layer(s), flagged in the catalog. */
export function sourceErrors(ctx: AppContext) {
  return (err: unknown, _req: Request, _res: Response, next: NextFunction): void => {
    if (!lostRelation(err)) return next(err);
    ctx.catalog
      .load()
      .then(() => {
        const flagged = ctx.catalog.all().filter((l) => l.source?.problem);
        // A reload that another one overtook may not have flagged it yet: still a 503, naming what the database said.
        if (!flagged.length) {
          const said = err instanceof Error ? err.message : String(err);
          return next(
            new DatabaseUnavailableError(`a table or column a layer reads is gone (${said}); the catalog is being checked`, 30),
          );
        }
        next(
          new DatabaseUnavailableError(flagged.map((l) => `layer "${l.id}" is unavailable: ${l.source!.problem}`).join('; '), 30),
        );
      })
      .catch(() => next(err));
  };
}
