/**
 * The upload service: receive -> open -> inspect -> decide CRS and encoding -> (confirm) -> stage -> publish.
 * One per server instance. Jobs run one at a time per instance (embedded PostGIS has one connection, and it keeps
 * the load predictable); uploads to the same layer from several instances are serialised by the advisory lock of
 * the publish transaction. A failure at any step drops the staging tables and leaves the live layer untouched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { Principal } from '../catalog/catalog.ts';
import { actorOf } from '../auth/audit.ts';
import { hasRole } from '../auth/tokens.ts';
import { JobStore, zeroCounts, type Job, type JobReport } from './jobs.ts';
import { assignLayerIds, confirmationOf, describeItems, type WorkItem } from './report.ts';
import { receiveUpload, tooLarge } from './receive.ts';
import { openSource, type OpenedSource } from './source.ts';
import { inspectDataset } from './inspect.ts';
import { checkInsideVietnam, decideCrs, type CrsAnswer } from './crs-decision.ts';
import { confirmEncoding, decideEncoding, decodeText, unicodeText, type EncodingDecision } from './text.ts';
import { planColumns } from './columns.ts';
import { stageDataset, type StageTarget, type StagedTable } from './stage.ts';
import { checkReplaceable, dropOrphanStaging, dropStaging, liveTable, publishLayers } from './publish.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { parseCrsAnswer, parseUploadOptions, type UploadOptions } from './options.ts';
import type { Family } from './geometry.ts';
import { UploadError, badInput, type SourceDataset } from './types.ts';
import type { IncomingMessage } from 'node:http';


interface Work {
  source: OpenedSource;
  options: UploadOptions;
  items: WorkItem[];
  stagingTables: string[];
}

/** How long a job waits for its confirmation before it is cancelled and its files removed (ms). */
const CONFIRMATION_TIMEOUT_MS = 24 * 3600_000;


/** Zip limits derived from the upload limit: an archive may inflate to 4x the upload limit, at most 100x per entry. */
function zipLimits(maxBytes: number) {
  return { maxEntries: 1000, maxTotalBytes: Math.max(64 << 20, maxBytes * 4), maxRatio: 100 };
}

/** How a dataset's property names read: DBF field names are decoded with the table's text encoding. */
function nameDecoder(dataset: SourceDataset, encoding: EncodingDecision): (name: string) => string {
  return dataset.rawNames ? (name) => decodeText(Buffer.from(name, 'latin1'), encoding.encoding) : (name) => name;
}

/** Answers from POST /admin/jobs/{id}/confirm. */
export interface ConfirmAnswer {
  crs: CrsAnswer;
  encoding?: string;
}

/** The upload service of one server instance. */
export class UploadService {
  readonly jobs: JobStore;
  private queue: Promise<void> = Promise.resolve();
  private readonly root: string;

  constructor(private readonly ctx: AppContext) {
    this.jobs = new JobStore(ctx.db);
    this.root = ctx.config.uploadDir || path.join(os.tmpdir(), 'sdi-uploads');
    fs.mkdirSync(this.root, { recursive: true });
  }

  /** Drops staging tables a crashed instance left behind. */
  async cleanOrphans(): Promise<number> {
    return dropOrphanStaging(this.ctx.db);
  }

  private get maxBytes(): number {
    return this.ctx.config.uploadMaxMb * 1048576;
  }

  /**
   * Handles POST /admin/layers (and PUT /admin/layers/{id}, which forces `id` and `replace`) up to the point where
   * the job waits for confirmation or is queued.
   */
  async start(req: IncomingMessage, principal: Principal, forced: Record<string, string> = {}): Promise<JobReport> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > this.maxBytes + (1 << 20)) throw tooLarge(this.maxBytes);
    const id = randomUUID();
    const dir = fs.mkdtempSync(path.join(this.root, `${id.slice(0, 8)}-`));
    let job: Job | null = null;
    try {
      const received = await receiveUpload(req, dir, this.maxBytes);
      if (!received.file || received.file.bytes === 0) throw badInput('no file: send it in a multipart part named "file"');
      const options = parseUploadOptions({ ...received.fields, ...forced }, received.file.fileName);
      const now = new Date().toISOString();
      job = {
        tokenId: principal.tokenId,
        dir,
        abort: new AbortController(),
        work: null,
        report: {
          id,
          status: 'inspecting',
          progress: 0,
          phase: 'reading the file',
          layerId: options.layerId,
          replace: options.replace,
          owner: principal.name,
          fileName: received.file.fileName,
          fileBytes: received.file.bytes,
          format: null,
          createdAt: now,
          updatedAt: now,
          datasets: [],
          confirmation: null,
          counts: zeroCounts(),
          fixes: [],
          warnings: [],
          errors: [],
          layers: [],
        },
      };
      await this.jobs.add(job);
      await this.inspect(job, received.file.path, options);
      return job.report;
    } catch (err) {
      if (job) await this.fail(job, err);
      else fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async inspect(job: Job, file: string, options: UploadOptions): Promise<void> {
    const source = await openSource(file, job.report.fileName, job.dir, zipLimits(this.maxBytes), options);
    const work: Work = { source, options, items: [], stagingTables: [] };
    job.work = work;
    job.report.format = source.format;
    for (const dataset of source.datasets) {
      const inspection = await inspectDataset(dataset, job.abort.signal);
      if (inspection.features === inspection.nullGeometries) {
        throw badInput(`${dataset.name}: none of its ${inspection.features} features has a geometry`);
      }
      const crs = decideCrs(dataset.crs, dataset.format, inspection.samples, options.crs);
      const encoding = dataset.rawText
        ? decideEncoding(dataset.encoding, inspection.rawText, options.encoding)
        : unicodeText(dataset.format);
      if (crs.status === 'resolved') checkInsideVietnam(crs.chosen!, crs.swapAxes, inspection.samples, dataset.name);
      const columns = planColumns(inspection.columns, nameDecoder(dataset, encoding));
      work.items.push({ dataset, inspection, crs, encoding, columns, layers: new Map() });
    }
    assignLayerIds(work.items, work.options.layerId);
    this.describe(job, work);
    for (const layerId of work.items.flatMap((i) => [...i.layers.values()])) {
      checkReplaceable(this.ctx.catalog.find(layerId), layerId, options.replace);
    }
    const needs = confirmationOf(work.items);
    if (needs) {
      await this.jobs.update(job, { status: 'needs_confirmation', phase: 'waiting for the uploader to confirm', progress: 10, confirmation: needs });
      setTimeout(() => {
        if (job.report.status === 'needs_confirmation') void this.finish(job, 'cancelled', 'not confirmed within 24 hours');
      }, CONFIRMATION_TIMEOUT_MS).unref();
    } else {
      await this.enqueue(job);
    }
  }


  private describe(job: Job, work: Work): void {
    const d = describeItems(work.items);
    Object.assign(job.report, { datasets: d.datasets, fixes: d.fixes, warnings: d.warnings, counts: { ...job.report.counts, read: d.read, nullGeometries: d.nullGeometries } });
  }

  /** Handles POST /admin/jobs/{id}/confirm: applies the answers, checks them, and queues the job. */
  async confirm(id: string, principal: Principal, body: Record<string, unknown>): Promise<JobReport> {
    const job = this.ownJob(id, principal);
    if (job.report.status !== 'needs_confirmation') throw new UploadError(409, 'Conflict', `job ${id} is ${job.report.status}, not waiting for confirmation`);
    const work = job.work as Work;
    const crsAnswer = parseCrsAnswer(body);
    const encoding = typeof body.encoding === 'string' && body.encoding.trim() ? body.encoding.trim() : undefined;
    // A CRS named at confirmation replaces one named in the form; swapAxes from the form stays unless answered again.
    const named = crsAnswer.srid !== undefined || crsAnswer.proj4 !== undefined;
    const answer = named ? { swapAxes: work.options.crs.swapAxes, ...crsAnswer } : { ...work.options.crs, ...crsAnswer };
    const missing: string[] = [];
    const items = work.items.map((i) => {
      const crs = i.crs.status === 'needs_confirmation' || crsAnswer.srid !== undefined || crsAnswer.proj4 !== undefined || crsAnswer.swapAxes !== undefined
        ? decideCrs(i.dataset.crs, i.dataset.format, i.inspection.samples, answer)
        : i.crs;
      if (crs.status !== 'resolved') missing.push(`srid or proj4 for ${i.dataset.name} (proposed: ${crs.proposals[0] ? `EPSG:${crs.proposals[0].srid}` : 'none'})`);
      const enc = confirmEncoding(i.encoding, i.dataset, i.inspection.rawText, encoding);
      if (i.encoding.status === 'needs_confirmation' && !encoding) missing.push(`encoding for ${i.dataset.name} (proposed: ${i.encoding.encoding})`);
      return { ...i, crs, encoding: enc, columns: planColumns(i.inspection.columns, nameDecoder(i.dataset, enc)) };
    });
    if (missing.length) throw badInput(`confirm needs ${missing.join('; ')}`);
    for (const i of items) checkInsideVietnam(i.crs.chosen!, i.crs.swapAxes, i.inspection.samples, i.dataset.name);
    work.items = items;
    this.describe(job, work);
    job.report.fixes.push(`confirmed by ${principal.name}: ${items.map((i) => `${i.dataset.name} ${i.crs.chosen!.label}${i.dataset.rawText ? `, ${i.encoding.encoding}` : ''}`).join('; ')}`);
    job.report.confirmation = null;
    await this.enqueue(job);
    return job.report;
  }

  /** Handles POST /admin/jobs/{id}/cancel. */
  async cancel(id: string, principal: Principal): Promise<JobReport> {
    const job = this.ownJob(id, principal);
    if (job.report.status === 'needs_confirmation') {
      await this.finish(job, 'cancelled', 'cancelled by the uploader');
    } else {
      job.abort.abort(new UploadError(409, 'Cancelled', 'cancelled by the uploader'));
    }
    return job.report;
  }

  private ownJob(id: string, principal: Principal): Job {
    const job = this.jobs.live(id);
    if (!job) throw new UploadError(404, 'NotFound', `no job ${id} waiting or running on this server`);
    if (job.report.owner !== principal.name && !hasRole(principal.role, 'admin')) {
      throw new UploadError(403, 'Forbidden', `job ${id} belongs to another uploader`);
    }
    return job;
  }

  private async enqueue(job: Job): Promise<void> {
    await this.jobs.update(job, { status: 'queued', phase: 'queued', progress: 10 });
    const run = this.queue.then(() => this.run(job));
    this.queue = run.catch(() => undefined);
  }

  /** Writes every dataset into staging tables in one transaction (rolled back whole on any error). */
  private async stageAll(job: Job, work: Work): Promise<Array<{ item: WorkItem; table: StagedTable }>> {
    const signal = job.abort.signal;
    const total = Math.max(1, job.report.counts.read);
    let done = 0;
    const staged: Array<{ item: WorkItem; table: StagedTable }> = [];
    await this.ctx.db.knex.transaction(async (trx) => {
      for (const item of work.items) {
        const targets = new Map<Family, StageTarget>();
        for (const [family, layerId] of item.layers) {
          const table = `upl_stage_${job.report.id.slice(0, 8)}_${work.stagingTables.length}`;
          work.stagingTables.push(table);
          targets.set(family, { layerId, family, table, columns: item.columns });
        }
        const before = done;
        const tables = await stageDataset(trx, {
          dataset: item.dataset,
          targets,
          crs: item.crs.chosen!,
          swapAxes: item.crs.swapAxes,
          decode: (bytes) => decodeText(bytes, item.encoding.encoding),
          counts: job.report.counts,
          fixes: job.report.fixes,
          signal,
          onProgress: (written) => {
            done = before + written;
            void this.jobs.update(job, { progress: Math.min(85, 10 + Math.round((75 * done) / total)) }).catch(() => undefined);
          },
        });
        done = before + item.inspection.features;
        staged.push(...tables.map((table) => ({ item, table })));
      }
    });
    return staged;
  }

  private async run(job: Job): Promise<void> {
    const work = job.work as Work;
    const { db } = this.ctx;
    const signal = job.abort.signal;
    try {
      signal.throwIfAborted();
      await this.jobs.update(job, { status: 'running', phase: 'writing the staging tables', progress: 10 });
      const staged = await this.stageAll(job, work);
      signal.throwIfAborted();
      await this.jobs.update(job, { phase: 'publishing', progress: 90 });
      const published = await publishLayers(
        db,
        staged.map(({ item, table }) => ({
          staged: table,
          columns: item.columns.map((c) => ({ name: c.name, type: c.type, label: { en: c.label, vi: c.label }, ...(c.description ? { description: c.description } : {}) })),
          sourceCrs: item.crs.chosen!.label,
          metadata: {
            ...work.options.metadata,
            title: work.options.metadata.title && staged.length > 1 ? `${work.options.metadata.title} – ${table.layerId}` : work.options.metadata.title,
          },
          defaultTitle: staged.length > 1 ? `${item.dataset.name} (${table.layerId})` : item.dataset.name,
        })),
        work.options.replace,
        actorOf({ role: 'editor', tokenId: job.tokenId, name: job.report.owner }),
      );
      work.stagingTables = [];
      for (const p of published) await db.rows(`ANALYZE ${quoteIdent(liveTable(p.id))}`).catch(() => undefined);
      await this.ctx.catalog.load();
      job.report.layers = published.map((p) => {
        const t = staged.find((s) => s.table.layerId === p.id)!.table;
        return { id: p.id, dataVersion: p.dataVersion, features: t.features, geometryType: t.storedType };
      });
      await this.finish(job, 'published', null);
    } catch (err) {
      await this.fail(job, err);
    }
  }

  private async fail(job: Job, err: unknown): Promise<void> {
    const aborted = job.abort.signal.aborted;
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof UploadError) && !aborted) this.ctx.log.error({ err, job: job.report.id }, 'upload failed');
    await this.finish(job, aborted ? 'cancelled' : 'failed', aborted ? 'cancelled by the uploader' : message);
  }

  private async finish(job: Job, status: 'published' | 'failed' | 'cancelled', error: string | null): Promise<void> {
    const work = job.work as Work | null;
    if (work?.stagingTables.length) await dropStaging(this.ctx.db, work.stagingTables).catch(() => undefined);
    try {
      work?.source.close();
    } catch {
      // a reader that cannot close has nothing left to lose
    }
    fs.rmSync(job.dir, { recursive: true, force: true });
    await this.jobs
      .update(job, { status, phase: status, progress: status === 'published' ? 100 : job.report.progress, errors: error ? [...job.report.errors, error] : job.report.errors })
      .catch((e: unknown) => this.ctx.log.warn({ err: e }, 'job state not saved'));
    this.jobs.release(job);
  }

  /** Server close: cancels waiting jobs, aborts running ones and waits for the queue to drain. */
  async close(): Promise<void> {
    for (const job of this.jobs.liveJobs()) {
      if (job.report.status === 'needs_confirmation') await this.finish(job, 'cancelled', 'the server stopped before the job was confirmed');
      else job.abort.abort(new UploadError(503, 'ShuttingDown', 'the server stopped'));
    }
    await this.queue;
  }
}

const services = new WeakMap<AppContext, UploadService>();

/** The upload service of a server instance (created on first use; closed with the app). */
export function uploadService(ctx: AppContext): UploadService {
  let s = services.get(ctx);
  if (!s) {
    const created = new UploadService(ctx);
    s = created;
    services.set(ctx, created);
    ctx.onClose.push(() => created.close());
    created.cleanOrphans().catch((err: unknown) => ctx.log.warn({ err }, 'could not drop orphan staging tables'));
  }
  return s;
}
