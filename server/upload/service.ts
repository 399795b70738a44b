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
import { hasRole } from '../auth/tokens.ts';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../errors.ts';
import { JobStore, zeroCounts, type Job, type JobReport } from './jobs.ts';
import { assignLayerIds, confirmationOf, describeItems, type WorkItem } from './report.ts';
import { openSource, type OpenedSource } from './source.ts';
import { inspectDataset } from './inspect.ts';
import { checkInsideVietnam, decideCrs, type CrsAnswer } from './crs-decision.ts';
import { confirmEncoding, decideEncoding, decodeText, unicodeText, type EncodingDecision } from './text.ts';
import { planColumns } from './columns.ts';
import { stageDataset, type StageTarget, type StagedTable } from './stage.ts';
import { checkReplaceable, dropOrphanStaging, dropStaging, publishLayers } from './publish.ts';
import { liveTable, stagingTable } from './table-names.ts';
import { quoteIdent } from '../sql/identifiers.ts';
import { parseCrsAnswer, type UploadOptions } from './options.ts';
import type { Family } from './geometry.ts';
import type { LayerColumn } from '../catalog/definition.ts';
import { linkCommuneCodes, recogniseCommuneColumn, type CommuneLink } from '../units/old-codes.ts';
import { badInput, type SourceDataset } from './types.ts';

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

/** A directory made for one incoming upload: the edge saves the file into it and hands it to start() or discard(). */
export interface Workspace {
  id: string;
  dir: string;
}

/** An upload as the edge hands it over: the file saved in its workspace, and the form fields parsed. */
export interface ReceivedUpload {
  workspace: Workspace;
  file: { path: string; fileName: string; bytes: number };
  options: UploadOptions;
}

/** Answers from POST /admin/jobs/{id}/confirm. */
export interface ConfirmAnswer {
  crs: CrsAnswer;
  encoding?: string;
}

/** The upload service of one server instance: it knows files and principals, nothing of HTTP. */
export class UploadService {
  readonly jobs: JobStore;
  private queue: Promise<void> = Promise.resolve();
  private readonly root: string;

  /** Built once per app by createApp, which also runs cleanOrphans() at start and close() at shutdown. */
  constructor(private readonly ctx: AppContext) {
    this.jobs = new JobStore(ctx.db);
    this.root = ctx.config.uploadDir || path.join(os.tmpdir(), 'sdi-uploads');
    fs.mkdirSync(this.root, { recursive: true });
  }

  /** Drops staging tables a crashed instance left behind. */
  async cleanOrphans(): Promise<number> {
    return dropOrphanStaging(this.ctx.db);
  }

  /** The largest upload accepted (bytes; UPLOAD_MAX_MB). */
  get maxBytes(): number {
    return this.ctx.config.uploadMaxMb * 1048576;
  }

  /** A fresh directory for one upload; the caller hands it to start() or discard(). */
  workspace(): Workspace {
    const id = randomUUID();
    return { id, dir: fs.mkdtempSync(path.join(this.root, `${id.slice(0, 8)}-`)) };
  }

  /** Removes a workspace whose upload never reached start() (the body could not be read). */
  discard(workspace: Workspace): void {
    fs.rmSync(workspace.dir, { recursive: true, force: true });
  }

  /**
   * Starts a job for a saved upload (POST /admin/layers, PUT /admin/layers/{id}) and runs it up to the point where it
   * waits for confirmation or is queued. The workspace belongs to the job from here on.
   */
  async start(upload: ReceivedUpload, principal: Principal): Promise<JobReport> {
    const { id, dir } = upload.workspace;
    const { options, file } = upload;
    let job: Job | null = null;
    try {
      if (file.bytes === 0) throw badInput('no file: send it in a multipart part named "file"', 'file');
      const now = new Date().toISOString();
      job = {
        principal,
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
          owner: principal.tokenId,
          ownerName: principal.name,
          fileName: file.fileName,
          fileBytes: file.bytes,
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
      await this.inspect(job, file.path, options);
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
      checkReplaceable(this.ctx.catalog.find(layerId), layerId, options.replace, job.principal, options.metadata.access);
    }
    const needs = confirmationOf(work.items);
    if (needs) {
      await this.jobs.update(job, {
        status: 'needs_confirmation',
        phase: 'waiting for the uploader to confirm',
        progress: 10,
        confirmation: needs,
      });
      setTimeout(() => {
        if (job.report.status === 'needs_confirmation') void this.finish(job, 'cancelled', 'not confirmed within 24 hours');
      }, CONFIRMATION_TIMEOUT_MS).unref();
    } else {
      await this.enqueue(job);
    }
  }

  private describe(job: Job, work: Work): void {
    const d = describeItems(work.items);
    Object.assign(job.report, {
      datasets: d.datasets,
      fixes: d.fixes,
      warnings: d.warnings,
      counts: { ...job.report.counts, read: d.read, nullGeometries: d.nullGeometries },
    });
  }

  /** Handles POST /admin/jobs/{id}/confirm: applies the answers, checks them, and queues the job. */
  async confirm(id: string, principal: Principal, body: Record<string, unknown>): Promise<JobReport> {
    return this.applyConfirmation(id, principal, body);
  }

  private async applyConfirmation(id: string, principal: Principal, body: Record<string, unknown>): Promise<JobReport> {
    const job = this.ownJob(id, principal);
    if (job.report.status !== 'needs_confirmation')
      throw new ConflictError(`job ${id} is ${job.report.status}, not waiting for confirmation`);
    const work = job.work as Work;
    const crsAnswer = parseCrsAnswer(body);
    const encoding = typeof body.encoding === 'string' && body.encoding.trim() ? body.encoding.trim() : undefined;
    // A CRS named at confirmation replaces one named in the form; swapAxes from the form stays unless answered again.
    const named = crsAnswer.srid !== undefined || crsAnswer.proj4 !== undefined;
    const answer = named ? { swapAxes: work.options.crs.swapAxes, ...crsAnswer } : { ...work.options.crs, ...crsAnswer };
    const missing: string[] = [];
    const items = work.items.map((i) => {
      const crs =
        i.crs.status === 'needs_confirmation' ||
        crsAnswer.srid !== undefined ||
        crsAnswer.proj4 !== undefined ||
        crsAnswer.swapAxes !== undefined
          ? decideCrs(i.dataset.crs, i.dataset.format, i.inspection.samples, answer)
          : i.crs;
      if (crs.status !== 'resolved')
        missing.push(
          `srid or proj4 for ${i.dataset.name} (proposed: ${crs.proposals[0] ? `EPSG:${crs.proposals[0].srid}` : 'none'})`,
        );
      const enc = confirmEncoding(i.encoding, i.dataset, i.inspection.rawText, encoding);
      if (i.encoding.status === 'needs_confirmation' && !encoding)
        missing.push(`encoding for ${i.dataset.name} (proposed: ${i.encoding.encoding})`);
      return { ...i, crs, encoding: enc, columns: planColumns(i.inspection.columns, nameDecoder(i.dataset, enc)) };
    });
    if (missing.length) throw badInput(`confirm needs ${missing.join('; ')}`);
    for (const i of items) checkInsideVietnam(i.crs.chosen!, i.crs.swapAxes, i.inspection.samples, i.dataset.name);
    work.items = items;
    this.describe(job, work);
    job.report.fixes.push(
      `confirmed by ${principal.name}: ${items.map((i) => `${i.dataset.name} ${i.crs.chosen!.label}${i.dataset.rawText ? `, ${i.encoding.encoding}` : ''}`).join('; ')}`,
    );
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
      job.abort.abort(new ConflictError('cancelled by the uploader'));
    }
    return job.report;
  }

  private ownJob(id: string, principal: Principal): Job {
    const job = this.jobs.live(id);
    if (!job) throw new NotFoundError(`no job ${id} waiting or running on this server`);
    if (!mayHandleJob(job.report, principal))
      throw new ForbiddenError(`job ${id} was started by another token; only it or an admin may handle it`);
    return job;
  }

  private async enqueue(job: Job): Promise<void> {
    await this.jobs.update(job, { status: 'queued', phase: 'queued', progress: 10 });
    const run = this.queue.then(() => this.run(job));
    this.queue = run.catch(() => undefined);
  }

  /** Writes every dataset into staging tables in one transaction (rolled back whole on any error). */
  private async stageAll(
    job: Job,
    work: Work,
  ): Promise<Array<{ item: WorkItem; table: StagedTable; commune: CommuneLink | null }>> {
    const signal = job.abort.signal;
    const total = Math.max(1, job.report.counts.read);
    let done = 0;
    const staged: Array<{ item: WorkItem; table: StagedTable; commune: CommuneLink | null }> = [];
    await this.ctx.db.knex.transaction(async (trx) => {
      for (const item of work.items) {
        const targets = new Map<Family, StageTarget>();
        for (const [family, layerId] of item.layers) {
          const table = stagingTable(job.report.id, work.stagingTables.length);
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
        const communeColumn = recogniseCommuneColumn(item.columns);
        for (const table of tables) {
          const commune = communeColumn ? await linkCommuneCodes(trx, table.table, communeColumn) : null;
          if (commune) this.reportCommuneLink(job, item.dataset.name, table.layerId, commune);
          staged.push({ item, table, commune });
        }
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
        staged.map(({ item, table, commune }) => ({
          staged: table,
          columns: [
            ...item.columns.map((c) => ({
              name: c.name,
              type: c.type,
              label: { en: c.label, vi: c.label },
              ...(c.description ? { description: c.description } : {}),
            })),
            ...(commune ? communeColumns(commune) : []),
          ],
          sourceCrs: item.crs.chosen!.label,
          metadata: {
            ...work.options.metadata,
            title:
              work.options.metadata.title && staged.length > 1
                ? `${work.options.metadata.title} – ${table.layerId}`
                : work.options.metadata.title,
          },
          defaultTitle: staged.length > 1 ? `${item.dataset.name} (${table.layerId})` : item.dataset.name,
        })),
        work.options.replace,
        job.principal,
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

  /** The link of old commune codes in the job report: the counts on the dataset, a warning for values no mapping knows. */
  private reportCommuneLink(job: Job, dataset: string, layerId: string, link: CommuneLink): void {
    const report = job.report.datasets.find((d) => d.name === dataset);
    if (report) report.communeColumn = link;
    if (link.unmapped > 0) {
      job.report.warnings.push(
        `${layerId}: ${link.unmapped} features have a commune ${link.kind} in column "${link.label}" that no mapping to the units of 1 July 2025 knows (${link.unmappedValues
          .map((v) => JSON.stringify(v))
          .join(
            ', ',
          )}${link.unmapped > link.unmappedValues.length ? ', …' : ''}); they are published with an empty commune_code_2025`,
      );
    }
  }

  private async fail(job: Job, err: unknown): Promise<void> {
    const aborted = job.abort.signal.aborted;
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof DomainError) && !aborted) this.ctx.log.error({ err, job: job.report.id }, 'upload failed');
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
      .update(job, {
        status,
        phase: status,
        progress: status === 'published' ? 100 : job.report.progress,
        errors: error ? [...job.report.errors, error] : job.report.errors,
      })
      .catch((e: unknown) => this.ctx.log.warn({ err: e }, 'job state not saved'));
    this.jobs.release(job);
  }

  /** Server close: cancels waiting jobs, aborts running ones and waits for the queue to drain. */
  async close(): Promise<void> {
    for (const job of this.jobs.liveJobs()) {
      if (job.report.status === 'needs_confirmation')
        await this.finish(job, 'cancelled', 'the server stopped before the job was confirmed');
      else job.abort.abort(new DomainError('the server stopped'));
    }
    await this.queue;
  }
}

/** True when `principal` may see, confirm or cancel a job: the token that started it, or an admin. */
export function mayHandleJob(report: JobReport, principal: Principal): boolean {
  return report.owner === principal.tokenId || hasRole(principal.role, 'admin');
}

/** Builds the upload service of an app: closed with the app, and staging tables a crashed instance left are dropped now. */
export function createUploadService(ctx: AppContext): UploadService {
  const service = new UploadService(ctx);
  ctx.onClose.push(() => service.close());
  service.cleanOrphans().catch((err: unknown) => ctx.log.warn({ err }, 'could not drop orphan staging tables'));
  return service;
}

/** The two columns a layer linked to the units of 1 July 2025 gets (server/units/old-codes.ts). */
function communeColumns(link: CommuneLink): LayerColumn[] {
  const from = `from column "${link.label}" (old commune ${link.kind}) through the crosswalk of 1 July 2025`;
  return [
    {
      name: 'commune_code_2025',
      type: 'string',
      label: { en: 'Commune code (2025)', vi: 'Mã xã/phường (2025)' },
      description: `code of the commune or ward of 1 July 2025, ${from}`,
    },
    {
      name: 'commune_name_2025',
      type: 'string',
      label: { en: 'Commune (2025)', vi: 'Xã/phường (2025)' },
      description: `name of the commune or ward of 1 July 2025, ${from}`,
    },
  ];
}
