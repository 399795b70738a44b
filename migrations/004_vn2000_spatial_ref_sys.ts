/**
 * VN-2000 in PostGIS: adds the TM-3 zones PostGIS lacks (9205-9218 on PostGIS 3.3 and 3.6) and makes every VN-2000
 * row transform with the official 7-parameter shift of Decision 05/2007/QĐ-BTNMT (EPSG:6960), never PROJ's choice
 * of EPSG:5194 in the Mekong delta. See server/crs/spatial-ref-sys.ts for why the rows carry no authority.
 */
import type { Knex } from 'knex';
import { applyVn2000SpatialRefSys } from '../server/crs/spatial-ref-sys.ts';

/** Inserts or corrects the VN-2000 rows (idempotent). */
export async function up(knex: Knex): Promise<void> {
  await applyVn2000SpatialRefSys(knex);
}

/** Leaves the rows as they are (see the comment inside). */
export async function down(): Promise<void> {
  // Nothing is undone: restoring the EPSG authority would bring back the Mekong-delta shift (EPSG:5194), and
  // deleting 9205-9218 would strand any geometry stored in those SRIDs.
}
