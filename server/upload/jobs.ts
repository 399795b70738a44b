/**
 * Upload jobs: held in memory while they run (with their files on disk and an abort controller), and mirrored into
 * `upload_jobs` on every change of status so GET /admin/jobs/{id} answers on any instance and after a restart.
 */
import type { Database } from '../db/database.ts';
import type { Principal } from '../catalog/catalog.ts';
import type { CrsDecision } from './crs-decision.ts';
import type { EncodingDecision } from './text.ts';
import type { ColumnPlan } from './columns.ts';
import type { CommuneColumn, CommuneLink } from '../units/old-codes.ts';

/** Where a job is. */
export type JobStatus = 'inspecting' | 'needs_confirmation' | 'queued' | 'running' | 'published' | 'failed' | 'cancelled';

/** One dataset of a job as reported. */
export interface DatasetReport {
  name: string;
  format: string;
  layerId: string;
  features: number;
  geometryTypes: Record<string, number>;
  crs: CrsDecision;
  encoding: EncodingDecision;
  columns: ColumnPlan[];
  /**
   * The column recognised as holding old (pre-July-2025) commune codes or names, or null; once published, with how
   * many features were linked to a unit of 2025-07-01 (`commune_code_2025`, `commune_name_2025`) and how many not.
   */
  communeColumn?: CommuneColumn | CommuneLink | null;
}

/** Counts of a job. */
export interface JobCounts {
  read: number;
  inserted: number;
  repaired: number;
  nullGeometries: number;
  emptyDropped: number;
  promotedToMulti: number;
  splitCollections: number;
  valuesNotFitting: number;
}

/** A job as GET /admin/jobs/{id} returns it. */
export interface JobReport {
  id: string;
  status: JobStatus;
  /** 0-100. */
  progress: number;
  phase: string;
  layerId: string;
  replace: boolean;
  /** The id of the token that started the job: only it (or an admin) may see, confirm or cancel the job. */
  owner: string;
  /** That token's name, for people. */
  ownerName: string;
  fileName: string;
  fileBytes: number;
  format: string | null;
  createdAt: string;
  updatedAt: string;
  datasets: DatasetReport[];
  /** What the uploader must confirm (status needs_confirmation): POST /admin/jobs/{id}/confirm. */
  confirmation: { crs: boolean; encoding: boolean; reasons: string[] } | null;
  counts: JobCounts;
  /** Every fix made to the data (repairs, renames, promotions, swaps, decodings). */
  fixes: string[];
  warnings: string[];
  errors: string[];
  /** Layers published by this job with their new data versions. */
  layers: Array<{ id: string; dataVersion: number; features: number; geometryType: string }>;
}

/** A job with what only the running instance holds. */
export interface Job {
  report: JobReport;
  /** The caller that started the job; the publish checks its rights again under the layer lock. */
  principal: Principal;
  /** Directory with the upload and extracted files; removed when the job ends. */
  dir: string;
  abort: AbortController;
  /** Work state kept between inspection and loading (datasets, options); opaque to the store. */
  work: unknown;
}

/** Fresh zero counts. */
export function zeroCounts(): JobCounts {
  return {
    read: 0,
    inserted: 0,
    repaired: 0,
    nullGeometries: 0,
    emptyDropped: 0,
    promotedToMulti: 0,
    splitCollections: 0,
    valuesNotFitting: 0,
  };
}

/** The jobs of one server instance. */
export class JobStore {
  private jobs = new Map<string, Job>();
  private lastSaved = new Map<string, number>();

  constructor(private readonly db: Database) {}

  /** Registers a job and saves it. */
  async add(job: Job): Promise<void> {
    this.jobs.set(job.report.id, job);
    await this.save(job, true);
  }

  /** The running job (this instance), if any. */
  live(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Every job held in memory (waiting or running). */
  liveJobs(): Job[] {
    return [...this.jobs.values()];
  }

  /** The report of a job from memory, else from the table. */
  async report(id: string): Promise<JobReport | null> {
    const live = this.jobs.get(id);
    if (live) return live.report;
    if (!/^[0-9a-f-]{36}$/.test(id)) return null;
    const [row] = await this.db.rows<{ report: JobReport }>('SELECT report FROM upload_jobs WHERE id = ?', [id]);
    return row?.report ?? null;
  }

  /** Recent jobs (newest first), of one owning token id, or all (null). */
  async list(owner: string | null, limit = 50): Promise<JobReport[]> {
    const rows = await this.db.rows<{ report: JobReport }>(
      'SELECT report FROM upload_jobs WHERE (?::text IS NULL OR owner = ?::text) ORDER BY created_at DESC LIMIT ?::int',
      [owner, owner, limit],
    );
    return rows.map((r) => this.jobs.get(r.report.id)?.report ?? r.report);
  }

  /** Applies a change to a job's report; saves at once on status changes, else at most once a second. */
  async update(job: Job, change: Partial<JobReport>): Promise<void> {
    const statusChanged = change.status !== undefined && change.status !== job.report.status;
    Object.assign(job.report, change, { updatedAt: new Date().toISOString() });
    await this.save(job, statusChanged);
  }

  /** Forgets a finished job's in-memory state (its row stays). */
  release(job: Job): void {
    this.jobs.delete(job.report.id);
    this.lastSaved.delete(job.report.id);
  }

  private async save(job: Job, force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - (this.lastSaved.get(job.report.id) ?? 0) < 1000) return;
    this.lastSaved.set(job.report.id, now);
    const r = job.report;
    await this.db.rows(
      `INSERT INTO upload_jobs (id, status, layer_id, owner, token_id, report, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::timestamptz, now())
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, report = EXCLUDED.report, updated_at = now()`,
      [r.id, r.status, r.layerId, r.owner, job.principal.tokenId, JSON.stringify(r), r.createdAt],
    );
  }
}
