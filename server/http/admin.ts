/**
 * The admin API (/admin/...): tokens (admin), layer upload and management (editor; changes to a layer: its owning
 * token or an admin), jobs (the token that started them, or an admin), audit (admin). Handlers are thin: they check
 * the role, parse, call server/upload or server/auth, and write JSON; domain errors reach the one error middleware.
 */
import express, { Router, type Request, type Response } from 'express';
import type { AppContext } from '../context.ts';
import type { Principal } from '../catalog/catalog.ts';
import { InvalidParameterError, NotFoundError } from '../errors.ts';
import { requirePrincipal, type Authenticator } from './auth.ts';
import { createToken, hasRole, isRole, listTokens, revokeToken, roles } from '../auth/tokens.ts';
import { actorOf, listAudit } from '../auth/audit.ts';
import { mayHandleJob, type UploadService } from '../upload/service.ts';
import type { JobReport, Whoami } from '../wire/upload.ts';
import { listManagedLayers, managedLayer } from '../upload/manage.ts';
import { checkMayChange } from '../upload/ownership.ts';
import { deleteLayer, rollbackLayer, setLayerOwner, updateMetadata } from '../upload/publish.ts';
import { parseMetadata, parseUploadOptions } from '../upload/options.ts';
import { checkDeclaredLength, receiveMultipart } from './upload-body.ts';
import { parseMetadataField } from './params/metadata.ts';
import { loadOpenDataCategories } from '../catalog/metadata.ts';

/** What the admin routes are given besides the context: the services createApp built. */
export interface AdminServices {
  auth: Authenticator;
  uploads: UploadService;
}

const metadataFields = [
  'title',
  'title_vi',
  'description',
  'keywords',
  'licence',
  'attribution',
  'group',
  'access',
  'style',
  'metadata',
];

/** Reads the multipart body into a workspace and starts the job; `forced` fields override the form (PUT). */
async function startUpload(
  uploads: UploadService,
  req: Request,
  p: Principal,
  forced: Record<string, string> = {},
): Promise<JobReport> {
  checkDeclaredLength(req, uploads.maxBytes);
  const workspace = uploads.workspace();
  let received;
  let options;
  try {
    received = await receiveMultipart(req, workspace.dir, uploads.maxBytes);
    if (!received.file) throw new InvalidParameterError('no file: send it in a multipart part named "file"', 'file');
    options = parseUploadOptions({ ...received.fields, ...forced }, received.file.fileName);
  } catch (err) {
    uploads.discard(workspace);
    throw err;
  }
  return uploads.start({ workspace, file: received.file, options }, p);
}

function jsonObject(req: Request, what: string): Record<string, unknown> {
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body))
    throw new InvalidParameterError(`send ${what} as a JSON object`);
  return req.body as Record<string, unknown>;
}

/** Routes under /admin. */
export function createAdminRouter(ctx: AppContext, { auth, uploads }: AdminServices): Router {
  const router = Router();
  const json = express.json({ limit: '1mb' });
  const reload = () => ctx.catalog.load();
  const layerOf = async (res: Response, id: string, p: Principal) => res.json(await managedLayer(ctx, id, p));

  router.get('/admin/whoami', (_req, res) => {
    const p = requirePrincipal(res, 'viewer');
    const body: Whoami = { name: p.name, role: p.role, tokenId: p.tokenId };
    res.json(body);
  });

  // Tokens (admin).
  router.get('/admin/tokens', async (_req, res) => {
    requirePrincipal(res, 'admin');
    res.json({ tokens: await listTokens(ctx.db) });
  });
  router.post('/admin/tokens', json, async (req, res) => {
    const p = requirePrincipal(res, 'admin');
    const { name, role } = (req.body ?? {}) as { name?: unknown; role?: unknown };
    if (typeof name !== 'string' || !isRole(role))
      throw new InvalidParameterError(`send {"name": "...", "role": "${roles.join('" | "')}"}`);
    try {
      res.status(201).json(await createToken(ctx.db, name, role, actorOf(p)));
    } catch (err) {
      throw err instanceof RangeError ? new InvalidParameterError(err.message, 'name') : err;
    }
  });
  router.delete('/admin/tokens/:id', async (req, res) => {
    const p = requirePrincipal(res, 'admin');
    if (!(await revokeToken(ctx.db, req.params.id, actorOf(p)))) throw new NotFoundError(`no active token ${req.params.id}`);
    auth.forgetVerifiedTokens();
    res.status(204).end();
  });

  // Layers: any editor lists and uploads; a change to an existing layer needs its owning token or an admin.
  router.get('/admin/layers', async (_req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.json({ layers: await listManagedLayers(ctx, p) });
  });
  router.post('/admin/layers', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    const report = await startUpload(uploads, req, p);
    res.status(202).location(`/admin/jobs/${report.id}`).json(report);
  });
  // PUT replaces the data of an existing uploaded layer: the same multipart body, id from the path, replace=true.
  router.put('/admin/layers/:id', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    const layer = ctx.catalog.find(req.params.id);
    if (!layer) throw new NotFoundError(`layer "${req.params.id}" does not exist; create it with POST /admin/layers`);
    // Refuse before reading a body of up to UPLOAD_MAX_MB (built-in layers get their 409 from the upload's checks).
    if (layer.origin === 'upload') checkMayChange(layer, p, 'replace its data');
    const report = await startUpload(uploads, req, p, { id: req.params.id, replace: 'true' });
    res.status(202).location(`/admin/jobs/${report.id}`).json(report);
  });
  router.get('/admin/layers/:id', async (req, res) => {
    await layerOf(res, req.params.id, requirePrincipal(res, 'editor'));
  });
  // PATCH: metadata (owner or admin; `access` admin only) and `owner`, the id of the token to hand the layer to (admin).
  router.patch('/admin/layers/:id', json, async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    const { owner, ...body } = jsonObject(req, 'the changed metadata');
    const unknown = Object.keys(body).filter((k) => !metadataFields.includes(k));
    if (unknown.length)
      throw new InvalidParameterError(
        `unknown metadata field(s) ${unknown.join(', ')}; editable: ${metadataFields.join(', ')}, owner`,
      );
    if (owner !== undefined) {
      requirePrincipal(res, 'admin');
      if (typeof owner !== 'string') throw new InvalidParameterError('owner must be the id of a token ("tok_...")', 'owner');
    }
    ctx.catalog.get(req.params.id, p);
    const record = parseMetadataField(body, loadOpenDataCategories(ctx.config.layersDir));
    const change = { ...parseMetadata(body), ...(record ? { record } : {}) };
    if (Object.keys(body).length || owner === undefined) await updateMetadata(ctx.db, req.params.id, change, p);
    if (typeof owner === 'string') await setLayerOwner(ctx.db, req.params.id, owner, p);
    await reload();
    await layerOf(res, req.params.id, p);
  });
  router.delete('/admin/layers/:id', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    await deleteLayer(ctx.db, req.params.id, p);
    await reload();
    res.status(204).end();
  });
  router.post('/admin/layers/:id/rollback', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    const result = await rollbackLayer(ctx.db, req.params.id, p);
    await reload();
    res.json(result);
  });

  // Jobs: only the token that started a job (or an admin) sees, confirms or cancels it.
  router.get('/admin/jobs', async (_req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.json({ jobs: await uploads.jobs.list(hasRole(p.role, 'admin') ? null : p.tokenId) });
  });
  router.get('/admin/jobs/:id', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    const report = await uploads.jobs.report(req.params.id);
    if (!report || !mayHandleJob(report, p)) throw new NotFoundError(`no job ${req.params.id}`);
    res.json(report);
  });
  router.post('/admin/jobs/:id/confirm', json, async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.status(202).json(await uploads.confirm(req.params.id, p, (req.body ?? {}) as Record<string, unknown>));
  });
  router.post('/admin/jobs/:id/cancel', async (req, res) => {
    const p = requirePrincipal(res, 'editor');
    res.json(await uploads.cancel(req.params.id, p));
  });

  // Audit (admin).
  router.get('/admin/audit', async (req, res) => {
    requirePrincipal(res, 'admin');
    const layer = typeof req.query.layer === 'string' ? req.query.layer : null;
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    res.json({ entries: await listAudit(ctx.db, layer, limit) });
  });

  return router;
}
