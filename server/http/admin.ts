/**
 * The admin API (/admin/...): tokens (admin), layer upload and management (editor), jobs, audit. Handlers are thin:
 * they check the role, parse, call server/upload or server/auth, and write JSON.
 */
import express, { Router, type ErrorRequestHandler } from 'express';
import type { AppContext } from '../context.ts';
import { HttpError, InvalidParameterError } from './errors.ts';
import { forgetVerifiedTokens, requirePrincipal } from './auth.ts';
import { createToken, isRole, listTokens, revokeToken, roles } from '../auth/tokens.ts';
import { actorOf, listAudit } from '../auth/audit.ts';
import { uploadService } from '../upload/service.ts';
import { UploadError } from '../upload/types.ts';
import { checkOwnerOrAdmin, listManagedLayers, managedLayer } from '../upload/manage.ts';
import { deleteLayer, rollbackLayer, updateMetadata } from '../upload/publish.ts';
import { parseMetadata } from '../upload/options.ts';
import { hasRole } from '../auth/tokens.ts';

/** UploadError and RangeError become HTTP errors with their status. */
const translateErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  if (err instanceof UploadError) return next(new HttpError(err.status, err.code, err.message));
  if (err instanceof RangeError) return next(new InvalidParameterError(err.message));
  next(err);
};

/** Routes under /admin. */
export function createAdminRouter(ctx: AppContext): Router {
  const router = Router();
  const json = express.json({ limit: '1mb' });
  // Created now, not on first upload, so staging tables a crashed instance left behind are dropped at start.
  const service = uploadService(ctx);
  const uploads = () => service;

  router.get('/admin/whoami', (_req, res) => {
    const p = requirePrincipal(res, 'viewer');
    res.json({ name: p.name, role: p.role, tokenId: p.tokenId });
  });

  // Tokens (admin).
  router.get('/admin/tokens', async (_req, res) => {
    requirePrincipal(res, 'admin');
    res.json({ tokens: await listTokens(ctx.db) });
  });
  router.post('/admin/tokens', json, async (req, res) => {
    const p = requirePrincipal(res, 'admin');
    const { name, role } = (req.body ?? {}) as { name?: unknown; role?: unknown };
    if (typeof name !== 'string' || !isRole(role)) throw new InvalidParameterError(`send {"name": "...", "role": "${roles.join('" | "')}"}`);
    const created = await createToken(ctx.db, name, role, actorOf(p));
    res.status(201).json(created);
  });
  router.delete('/admin/tokens/:id', async (req, res) => {
    const p = requirePrincipal(res, 'admin');
    if (!(await revokeToken(ctx.db, req.params.id, actorOf(p)))) throw new HttpError(404, 'NotFound', `no active token ${req.params.id}`);
    forgetVerifiedTokens(ctx);
    res.status(204).end();
  });

  // Layers (editor; delete: owner or admin).
  router.get('/admin/layers', async (_req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.json({ layers: await listManagedLayers(ctx, p) });
  });
  router.post('/admin/layers', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    const report = await uploads().start(req, p);
    res.status(202).location(`/admin/jobs/${report.id}`).json(report);
  });
  // PUT replaces the data of an existing uploaded layer: the same multipart body, id from the path, replace=true.
  router.put('/admin/layers/:id', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    if (!ctx.catalog.find(req.params.id)) throw new HttpError(404, 'NotFound', `layer "${req.params.id}" does not exist; create it with POST /admin/layers`);
    const report = await uploads().start(req, p, { id: req.params.id, replace: 'true' });
    res.status(202).location(`/admin/jobs/${report.id}`).json(report);
  });
  router.get('/admin/layers/:id', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.json(await managedLayer(ctx, req.params.id, p));
  });
  router.patch('/admin/layers/:id', json, async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw new InvalidParameterError('send the changed metadata as a JSON object');
    const known = ['title', 'title_vi', 'description', 'keywords', 'licence', 'attribution', 'group', 'access', 'style'];
    const unknown = Object.keys(req.body).filter((k) => !known.includes(k));
    if (unknown.length) throw new InvalidParameterError(`unknown metadata field(s) ${unknown.join(', ')}; editable: ${known.join(', ')}`);
    await updateMetadata(ctx.db, req.params.id, parseMetadata(req.body as Record<string, unknown>), actorOf(p));
    await ctx.catalog.load();
    res.json(await managedLayer(ctx, req.params.id, p));
  });
  router.delete('/admin/layers/:id', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    checkOwnerOrAdmin(ctx, req.params.id, p);
    await deleteLayer(ctx.db, req.params.id, actorOf(p));
    await ctx.catalog.load();
    res.status(204).end();
  });
  router.post('/admin/layers/:id/rollback', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    const result = await rollbackLayer(ctx.db, req.params.id, actorOf(p));
    await ctx.catalog.load();
    res.json(result);
  });

  // Jobs.
  router.get('/admin/jobs', async (_req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.json({ jobs: await uploads().jobs.list(hasRole(p.role, 'admin') ? null : p.name) });
  });
  router.get('/admin/jobs/:id', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    const report = await uploads().jobs.report(req.params.id);
    if (!report || (report.owner !== p.name && !hasRole(p.role, 'admin'))) throw new HttpError(404, 'NotFound', `no job ${req.params.id}`);
    res.json(report);
  });
  router.post('/admin/jobs/:id/confirm', json, async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.status(202).json(await uploads().confirm(req.params.id, p, (req.body ?? {}) as Record<string, unknown>));
  });
  router.post('/admin/jobs/:id/cancel', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.json(await uploads().cancel(req.params.id, p));
  });

  // Audit (admin).
  router.get('/admin/audit', async (req, res) => {
    requirePrincipal(res, 'admin');
    const layer = typeof req.query.layer === 'string' ? req.query.layer : null;
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    res.json({ entries: await listAudit(ctx.db, layer, limit) });
  });

  router.use(translateErrors);
  return router;
}
