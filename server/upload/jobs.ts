/**
 * Upload jobs: held in memory while they run (with their files on disk and an abort controller), and mirrored into
 * `upload_jobs` on every change of status so GET /admin/jobs/{id} answers on any instance and after a restart.
 */
import type { Database } from '../db/database.ts';
import type { Principal } from '../catalog/catalog.ts';
import type { JobCounts, JobReport } from '../wire/upload.ts';

// The report's shape is the admin API's (server/wire/upload.ts), which the upload page reads too.
export type { DatasetReport, JobCounts, JobReport, JobStatus } from '../wire/upload.ts';

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
