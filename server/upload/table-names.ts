/**
 * Internal table names of uploaded layers, derived so that no layer id can reach another layer's tables.
 *
 * Layer ids are `[a-z][a-z0-9_]*` (layerIdPattern): they never contain `$`. The live table is `upl_<id>` (no `$`);
 * every other kind carries a fixed prefix with `$` separators, so it cannot equal any live name, nor one of another
 * kind: `upl$prev$<id>` (the kept previous version), `upl$swap$<id>` (a rollback's moment of exchange) and
 * `upl$stage$<job>$<n>` (staging, the only pattern the orphan cleanup drops). Collisions are impossible by
 * construction, not checked.
 */
import { layerIdPattern } from '../catalog/definition.ts';

function checked(layerId: string): string {
  if (!layerIdPattern.test(layerId)) throw new RangeError(`"${layerId}" is not a layer id`);
  return layerId;
}

/** The live table of an uploaded layer. */
export function liveTable(layerId: string): string {
  return `upl_${checked(layerId)}`;
}

/** The table that keeps the previous version of an uploaded layer (for rollback). */
export function previousTable(layerId: string): string {
  return `upl$prev$${checked(layerId)}`;
}

/** The name a rollback gives the current table while it exchanges it with the previous one. */
export function swapTable(layerId: string): string {
  return `upl$swap$${checked(layerId)}`;
}

/** The n-th staging table of a job (`jobId` is a UUID; its first 8 hex digits name the job in the table). */
export function stagingTable(jobId: string, n: number): string {
  const job = jobId.slice(0, 8);
  if (!/^[0-9a-f]{8}$/.test(job) || !Number.isInteger(n) || n < 0)
    throw new RangeError(`no staging table for job ${jobId} #${n}`);
  return `${stagingPrefix}${job}$${n}`;
}

/** The prefix of every staging table (and of nothing else). */
export const stagingPrefix = 'upl$stage$';

/** The job-id prefix of a staging table name, or null when the name is not one of a staging table. */
export function jobOfStagingTable(table: string): string | null {
  const m = /^upl\$stage\$([0-9a-f]{8})\$\d+$/.exec(table);
  return m ? m[1] : null;
}
