/**
 * Land-use parcels that tile the province without overlaps: a regular lon/lat grid over the outline
 * (some cells split in four by a hash), clipped to the outline, each piece given to the commune under
 * its point on surface and a land-use code drawn from the mix of the zone it lies in.
 *
 * Why a hand-made grid rather than ST_SquareGrid: cells are square in metres, not in degrees, and their
 * corners lie on grid lines whose coordinates were themselves passed through ST_ReducePrecision(…, 1e-7)
 * (about 1 cm). Those values are fixed points of that snapping, so cells inside the outline stay as
 * built, cells cut by the outline are snapped to the same 1e-7 grid, and neighbours share their edges
 * bit for bit: no slivers. (Computing k / 1e7 ourselves is not enough: GEOS versions round differently.)
 */
import { landUseCodes, weightTable } from './landuse-codes.ts';
import { sqlHashUnit } from './random.ts';
import { outlinePartsTable, outlineTable, type Sql } from './sql.ts';

/** Parcels per unit of scale. */
export const parcelsPerScale = 20_000;
/** Share of grid cells split into four quarter parcels. */
const splitShare = 0.3;
/** Metres per degree (spherical), for converting the cell side to degrees. */
const metresPerDegree = 111_320;
/** Grid units per degree: corners are whole multiples of 1e-7 degree, the snapping grid of the clipped cells. */
const unitsPerDegree = 10_000_000;
/** Pieces smaller than this share of a full cell (corner cuts at the border) are dropped. */
const minPieceShare = 0.02;

/**
 * Grid geometry for a target parcel count, in grid units (1e-7 degree): origin, half a cell side
 * (so quarter corners are whole units too), and cell counts.
 */
export interface ParcelGrid {
  x0: number;
  y0: number;
  halfDx: number;
  halfDy: number;
  nx: number;
  ny: number;
  /** Cell side in metres. */
  sideM: number;
}

/**
 * Cell size from the target count: each cell yields on average 1 - s + 4s parcels (s = split share),
 * so cells = target / (1 + 3s) and the side is sqrt(area / cells).
 */
export async function parcelGrid(sql: Sql, scale: number): Promise<ParcelGrid> {
  const [o] = await sql<{ area: number; xmin: number; ymin: number; xmax: number; ymax: number }>(
    `SELECT ST_Area(geom::geography) AS area, ST_XMin(geom) AS xmin, ST_YMin(geom) AS ymin, ST_XMax(geom) AS xmax, ST_YMax(geom) AS ymax
     FROM ${outlineTable}`,
  );
  const cells = Math.max(1, (parcelsPerScale * scale) / (1 + 3 * splitShare));
  const sideM = Math.sqrt(o.area / cells);
  const dy = sideM / metresPerDegree;
  const dx = sideM / (metresPerDegree * Math.cos((((o.ymin + o.ymax) / 2) * Math.PI) / 180));
  const halfDx = Math.max(1, Math.round((dx * unitsPerDegree) / 2));
  const halfDy = Math.max(1, Math.round((dy * unitsPerDegree) / 2));
  // Origin on a round value (0.01 degree) so the grid does not depend on the last digits of the outline.
  const x0 = Math.floor(o.xmin * 100) * (unitsPerDegree / 100);
  const y0 = Math.floor(o.ymin * 100) * (unitsPerDegree / 100);
  const nx = Math.ceil((o.xmax * unitsPerDegree - x0) / (2 * halfDx)) + 1;
  const ny = Math.ceil((o.ymax * unitsPerDegree - y0) / (2 * halfDy)) + 1;
  return { x0, y0, halfDx, halfDy, nx, ny, sideM };
}

/** Builds the parcel shapes into the temporary table `seed_parcels` (i, j, q, part, geom, pt: point on surface). */
async function buildShapes(sql: Sql, g: ParcelGrid): Promise<void> {
  // Grid line h (in half cells) lies at origin + h * half side units; its coordinate is snapped once here
  // by GEOS itself, and every corner is taken from these arrays (1-based: line h is element h + 1).
  const corner = (hx: string, hy: string) => `l.xs[${hx} + 1], l.ys[${hy} + 1]`;
  const snapped = (axis: string) =>
    `(SELECT array_agg(ST_X(ST_ReducePrecision(ST_Point((?::bigint + h * ?::bigint)::float8 / ${unitsPerDegree}, 0), 1e-7)) ORDER BY h)
      FROM generate_series(0, 2 * ?::int) h) AS ${axis}`;
  await sql(
    `CREATE TEMP TABLE seed_cells ON COMMIT DROP AS
     WITH l AS (SELECT ${snapped('xs')}, ${snapped('ys')}),
     grid AS (
       SELECT i, j, ST_MakeEnvelope(${corner('2 * i', '2 * j')}, ${corner('2 * i + 2', '2 * j + 2')}, 4326) AS cell
       FROM l, generate_series(0, ?::int - 1) i, generate_series(0, ?::int - 1) j
     ), hit AS (
       SELECT grid.* FROM grid
       WHERE EXISTS (SELECT 1 FROM ${outlinePartsTable} p WHERE p.geom && grid.cell AND ST_Intersects(p.geom, grid.cell))
     )
     SELECT i, j, 0 AS q, cell FROM hit WHERE ${sqlHashUnit("'split:' || i || ':' || j")} >= ?::float8
     UNION ALL
     SELECT i, j, q, ST_MakeEnvelope(${corner('2 * i + (q - 1) % 2', '2 * j + (q - 1) / 2')},
                                     ${corner('2 * i + (q - 1) % 2 + 1', '2 * j + (q - 1) / 2 + 1')}, 4326)
     FROM l, hit CROSS JOIN generate_series(1, 4) q WHERE ${sqlHashUnit("'split:' || i || ':' || j")} < ?::float8`,
    [g.x0, g.halfDx, g.nx, g.y0, g.halfDy, g.ny, g.nx, g.ny, splitShare, splitShare],
  );
  // Cells inside one outline piece are kept as built; the others are cut by the pieces they touch,
  // re-joined (pieces do not overlap, so the union is the cell clipped to the outline) and snapped.
  await sql(
    `CREATE TEMP TABLE seed_parcels ON COMMIT DROP AS
     SELECT c.i, c.j, c.q, coalesce(d.path[1], 0) AS part, d.geom, ST_PointOnSurface(d.geom) AS pt
     FROM seed_cells c
     CROSS JOIN LATERAL (
       SELECT CASE WHEN EXISTS (SELECT 1 FROM ${outlinePartsTable} p WHERE p.geom && c.cell AND ST_Covers(p.geom, c.cell))
                   THEN c.cell
                   ELSE (SELECT ST_ReducePrecision(ST_Union(ST_Intersection(c.cell, p.geom)), 1e-7) FROM ${outlinePartsTable} p
                         WHERE p.geom && c.cell AND ST_Intersects(p.geom, c.cell)) END AS g
     ) k
     CROSS JOIN LATERAL (SELECT CASE WHEN ST_Area(k.g) >= ST_Area(c.cell) * (1 - 1e-9) THEN c.cell ELSE k.g END AS g) w
     CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(w.g, 3)) d
     WHERE ST_Area(d.geom) >= ?::float8`,
    [((4 * g.halfDx * g.halfDy) / unitsPerDegree ** 2) * minPieceShare],
  );
  await sql('CREATE INDEX ON seed_parcels USING gist (geom)');
  await sql('ANALYZE seed_parcels');
}

/**
 * The zone of a parcel (see zoneWeights), from what is around its point on surface. Distances are in
 * degrees times 108,000 m: a rough metre figure at 21° N, good enough to draw village and town radii.
 */
const zoneSql = `CASE
    WHEN iz.kind = 'park' THEN 'park'
    WHEN iz.kind = 'cluster' THEN 'cluster'
    WHEN cm.type IS NULL THEN 'defence'
    WHEN EXISTS (SELECT 1 FROM rivers r WHERE r.class = 'major' AND r.geom && s.geom AND ST_Intersects(r.geom, s.geom)) THEN 'riverside'
    WHEN cm.type = 'Phường' AND ST_Distance(s.pt, seat.pt) * 108000 < 1300 * (0.6 + 0.8 * s.h2) THEN 'urban'
    WHEN cm.type = 'Thị trấn' AND ST_Distance(s.pt, seat.pt) * 108000 < 900 * (0.6 + 0.8 * s.h2) THEN 'urban'
    WHEN ST_Distance(s.pt, seat.pt) * 108000 < 450 * (0.5 + s.h2) THEN 'village'
    WHEN s.h2 < 0.35 AND EXISTS (SELECT 1 FROM roads r WHERE r.class IN ('national', 'provincial') AND r.geom && s.geom AND ST_Intersects(r.geom, s.geom)) THEN 'roadside'
    WHEN EXISTS (SELECT 1 FROM industrial_zones z WHERE ST_DWithin(z.geom, s.pt, 0.006)) THEN 'periurban'
    WHEN cm.district_code = '220' THEN 'mountain'
    WHEN cm.district_code = '219' THEN 'orchard'
    WHEN cm.district_code IN ('215', '218') THEN 'upland'
    ELSE 'lowland' END`;

/**
 * Fills `landuse_parcels` at `scale` (1 is about 20,000 parcels); returns the grid used. A parcel
 * belongs to the commune that contains its point on surface, or to the nearest one where the point
 * falls in a sliver between the (independently thinned) commune outlines.
 */
export async function seedLandUse(sql: Sql, scale: number): Promise<ParcelGrid> {
  const grid = await parcelGrid(sql, scale);
  await buildShapes(sql, grid);
  await sql(
    `CREATE TEMP TABLE seed_seats ON COMMIT DROP AS SELECT id, ST_PointOnSurface(geom) AS pt FROM admin_communes`,
  );
  await sql('CREATE UNIQUE INDEX ON seed_seats (id)');
  await sql(
    `CREATE TEMP TABLE seed_owned ON COMMIT DROP AS
     SELECT p.*, coalesce(
       (SELECT c.id FROM admin_communes c WHERE c.geom && p.pt AND ST_Intersects(c.geom, p.pt) ORDER BY c.id LIMIT 1),
       (SELECT c.id FROM admin_communes c ORDER BY c.geom <-> p.pt, c.id LIMIT 1)) AS commune_id
     FROM seed_parcels p`,
  );
  // u: the draw of the code. Six parcels in ten take the draw of their 4 x 4 cell block, so codes come in
  // patches rather than salt and pepper; the marginal distribution stays the zone's mix.
  await sql(
    `INSERT INTO landuse_parcels (id, parcel_no, sheet_no, code, name_vi, name_en, area_m2, commune_code, commune_name, district_name, geom)
     WITH s AS (
       SELECT p.*,
         ${sqlHashUnit("'radius:' || p.i || ':' || p.j")} AS h2,
         CASE WHEN ${sqlHashUnit("'patch:' || p.i || ':' || p.j || ':' || p.q || ':' || p.part")} < 0.6
              THEN ${sqlHashUnit("'block:' || (p.i / 4) || ':' || (p.j / 4)")}
              ELSE ${sqlHashUnit("'code:' || p.i || ':' || p.j || ':' || p.q || ':' || p.part")} END AS u
       FROM seed_owned p
     ), z AS MATERIALIZED (
       SELECT s.i, s.j, s.q, s.part, s.geom, s.u, cm.id AS commune_id, cm.code AS commune_code, cm.name AS commune_name,
         cm.district_name, ${zoneSql} AS zone
       FROM s
       JOIN admin_communes cm ON cm.id = s.commune_id
       JOIN seed_seats seat ON seat.id = cm.id
       LEFT JOIN LATERAL (SELECT kind FROM industrial_zones z WHERE z.geom && s.pt AND ST_Intersects(z.geom, s.pt)
                          ORDER BY id LIMIT 1) iz ON true
     ), numbered AS (
       SELECT z.*, w.code,
         dense_rank() OVER (PARTITION BY commune_id ORDER BY j / 16 DESC, i / 16) AS sheet_no
       FROM z JOIN jsonb_to_recordset(?::jsonb) AS w(zone text, code text, lo float8, hi float8)
         ON w.zone = z.zone AND z.u >= w.lo AND z.u < w.hi
     )
     SELECT row_number() OVER (ORDER BY n.commune_id, n.sheet_no, n.j DESC, n.i, n.q, n.part)::int,
       row_number() OVER (PARTITION BY n.commune_id, n.sheet_no ORDER BY n.j DESC, n.i, n.q, n.part)::int,
       n.sheet_no::int, n.code, d.vi, d.en, ST_Area(n.geom::geography), n.commune_code, n.commune_name, n.district_name, n.geom
     FROM numbered n JOIN jsonb_to_recordset(?::jsonb) AS d(code text, vi text, en text) ON d.code = n.code`,
    [JSON.stringify(weightTable()), JSON.stringify(landUseCodes)],
  );
  return grid;
}
