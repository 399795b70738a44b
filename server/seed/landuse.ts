/**
 * Land-use parcels that follow the landscape and tile the province without overlaps.
 *
 * 1. Blocks: the commune boundaries and the corridors of the roads and rivers (each line buffered to
 *    its width, clipped to the outline) are noded together and polygonized, so a block is bounded by
 *    roads, rivers and commune boundaries, and neighbouring blocks share their edges vertex for vertex.
 * 2. Parcels: a lon/lat grid of cells, each split by a seeded plan that depends on where it is: 16 small
 *    plots in wards and town centres, 4 at village seats and in half the countryside, 4 long thin strips
 *    across the national and provincial roads, 1 large field elsewhere (always on the north-east hills).
 *    Every cell is cut by the blocks it crosses, so a parcel lies in one block: DGT on a road corridor,
 *    SON on a river, and a land-use code drawn from the mix of its zone elsewhere.
 *
 * No snapping: rounding the noded blocks or the cut pieces to a grid moves vertices of hair-thin slivers
 * (the thinned commune outlines leave many) across their neighbours' edges. Unrounded, neighbours agree
 * bit for bit: blocks come from one polygonize, grid lines are exact doubles, and GEOS computes the
 * crossing of a grid line with a block edge in double-double arithmetic, the same on either side.
 */
import { landUseCodes, weightTable } from './landuse-codes.ts';
import { sqlHashUnit } from './random.ts';
import { outlinePartsTable, outlineTable, type Sql } from './sql.ts';

/** Parcels per unit of scale. */
export const parcelsPerScale = 20_000;
/** Metres per degree (spherical), for converting the cell side to degrees. */
const metresPerDegree = 111_320;
/** Grid units per degree: corners are whole multiples of 1e-7 degree. */
const unitsPerDegree = 10_000_000;
/** Pieces smaller than this share of a full cell (corner cuts at the border) are dropped. */
const minPieceShare = 0.004;
/** Average parcels per cell before the cut by the blocks adds some. */
const parcelsPerCell = 4.6;
/**
 * Parcels per planned piece once the road, river and commune cuts are made: 1 + this times the cell side
 * in km (larger cells cross more boundaries; measured at scales 0.25 and 1).
 */
const cutsPerKm = 0.6;

/**
 * Corridor width in metres by road or river class (wider than the paved road, so a road reads as a
 * DGT strip at z15), and the least scale at which a class bounds blocks: minor roads would cut the few
 * large cells of a small test seed into slivers.
 */
const corridors: Array<{ table: 'roads' | 'rivers'; cls: string; widthM: number; fromScale: number }> = [
  { table: 'rivers', cls: 'major', widthM: 150, fromScale: 0 },
  { table: 'rivers', cls: 'minor', widthM: 40, fromScale: 0 },
  { table: 'roads', cls: 'national', widthM: 40, fromScale: 0 },
  { table: 'roads', cls: 'provincial', widthM: 26, fromScale: 0 },
  { table: 'roads', cls: 'district', widthM: 14, fromScale: 2 },
  { table: 'roads', cls: 'local', widthM: 9, fromScale: 2 },
];

/**
 * How a cell is split, in quarter-cell grid steps (dx, dy: offset of the piece, w, h: its size):
 * `whole` one field, `quad` 2 x 2, `strips_x` four strips narrow in x (across a road running north-south
 * would be `strips_y`), `fine` 4 x 4.
 */
const splitModes: Record<string, Array<[number, number, number, number]>> = {
  whole: [[0, 0, 4, 4]],
  quad: [
    [0, 0, 2, 2],
    [2, 0, 2, 2],
    [0, 2, 2, 2],
    [2, 2, 2, 2],
  ],
  strips_x: [0, 1, 2, 3].map((k) => [k, 0, 1, 4]),
  strips_y: [0, 1, 2, 3].map((k) => [0, k, 4, 1]),
  fine: Array.from({ length: 16 }, (_, k) => [k % 4, Math.floor(k / 4), 1, 1]),
};

/** Grid geometry in grid units (1e-7 degree): origin, a quarter of a cell side, and cell counts. */
export interface ParcelGrid {
  x0: number;
  y0: number;
  stepX: number;
  stepY: number;
  nx: number;
  ny: number;
  /** Cell side in metres. */
  sideM: number;
}

/** The grid for a cell side in metres over the outline; corners are whole grid units. */
async function gridFor(sql: Sql, sideM: number): Promise<ParcelGrid> {
  const [o] = await sql<{ xmin: number; ymin: number; xmax: number; ymax: number }>(
    `SELECT ST_XMin(geom) AS xmin, ST_YMin(geom) AS ymin, ST_XMax(geom) AS xmax, ST_YMax(geom) AS ymax FROM ${outlineTable}`,
  );
  const dy = sideM / metresPerDegree;
  const dx = sideM / (metresPerDegree * Math.cos((((o.ymin + o.ymax) / 2) * Math.PI) / 180));
  const stepX = Math.max(1, Math.round((dx * unitsPerDegree) / 4));
  const stepY = Math.max(1, Math.round((dy * unitsPerDegree) / 4));
  // Origin on a round value (0.01 degree) so the grid does not depend on the last digits of the outline.
  const x0 = Math.floor(o.xmin * 100) * (unitsPerDegree / 100);
  const y0 = Math.floor(o.ymin * 100) * (unitsPerDegree / 100);
  const nx = Math.ceil((o.xmax * unitsPerDegree - x0) / (4 * stepX)) + 1;
  const ny = Math.ceil((o.ymax * unitsPerDegree - y0) / (4 * stepY)) + 1;
  return { x0, y0, stepX, stepY, nx, ny, sideM };
}

/**
 * Builds `seed_blocks` (bid, kind: land | road | river | stream, commune_id, geom) and their small pieces
 * `seed_block_parts` for clipping. Faces outside the outline are dropped; a face in a sliver between two
 * communes goes to the nearest one, the lower id on a tie.
 * Aggregates take their rows in id order, and nearest-neighbour lookups break ties by id: a reseed on a server deletes
 * the old rows, so scans return the new ones in another order, and a union in another order has other vertices (other
 * parcel shapes and numbers), a tie another winner (a sliver face 2.4e-9 degrees from two communes). Without them two
 * reseeds of one scale differed from each other and from the first seed (test/integration/seed.test.ts).
 */
async function buildBlocks(sql: Sql, scale: number): Promise<void> {
  const used = corridors.filter((c) => scale >= c.fromScale);
  // Half width in degrees of latitude; the 4 % east-west shrink at 21° N does not show.
  const buffers = used.map(
    (c) =>
      `SELECT '${c.table === 'roads' ? 'road' : c.cls === 'major' ? 'river' : 'stream'}'::text AS kind, ${used.indexOf(c)} AS rank,
       ST_Buffer(ST_Collect(geom ORDER BY id), ${c.widthM / 2 / metresPerDegree}, 'endcap=flat join=round quad_segs=2') AS geom
     FROM ${c.table} WHERE class = '${c.cls}'`,
  );
  await sql(
    `CREATE TEMP TABLE seed_corridors ON COMMIT DROP AS
     SELECT kind, rank, ST_ReducePrecision(ST_Intersection(b.geom, o.geom), 1e-7) AS geom
     FROM (${buffers.join(' UNION ALL ')}) b CROSS JOIN ${outlineTable} o WHERE b.geom IS NOT NULL`,
  );
  await sql(
    `CREATE TEMP TABLE seed_faces ON COMMIT DROP AS
     SELECT row_number() OVER (ORDER BY ST_XMin(d.geom), ST_YMin(d.geom), ST_Area(d.geom))::int AS bid, d.geom,
       ST_PointOnSurface(d.geom) AS pt
     FROM (SELECT ST_Polygonize(n.geom) AS geom FROM (SELECT ST_Union(l.geom ORDER BY l.src, l.k) AS geom FROM (
             SELECT 0 AS src, id AS k, ST_Boundary(geom) AS geom FROM admin_communes
             UNION ALL SELECT 1, rank, ST_Boundary(geom) FROM seed_corridors) l) n) pz
     CROSS JOIN LATERAL ST_Dump(pz.geom) d`,
  );
  await sql(
    `CREATE TEMP TABLE seed_corridor_parts ON COMMIT DROP AS SELECT kind, rank, ST_Subdivide(geom, 64) AS geom FROM seed_corridors`,
  );
  await sql('CREATE INDEX ON seed_corridor_parts USING gist (geom)');
  // Faces in the slivers between the thinned commune outlines join the nearest commune.
  await sql(
    `CREATE TEMP TABLE seed_blocks ON COMMIT DROP AS
     SELECT f.bid, f.geom,
       coalesce((SELECT c.kind FROM seed_corridor_parts c WHERE c.geom && f.pt AND ST_Intersects(c.geom, f.pt)
                 ORDER BY c.rank LIMIT 1), 'land') AS kind,
       coalesce((SELECT c.id FROM admin_communes c WHERE c.geom && f.pt AND ST_Intersects(c.geom, f.pt) ORDER BY c.id LIMIT 1),
                (SELECT c.id FROM admin_communes c ORDER BY c.geom <-> f.pt, c.id LIMIT 1)) AS commune_id
     FROM seed_faces f
     WHERE EXISTS (SELECT 1 FROM ${outlinePartsTable} o WHERE o.geom && f.pt AND ST_Intersects(o.geom, f.pt))`,
  );
  await sql('CREATE UNIQUE INDEX ON seed_blocks (bid)');
  await sql(
    `CREATE TEMP TABLE seed_block_parts ON COMMIT DROP AS SELECT bid, commune_id, ST_Subdivide(geom, 128) AS geom FROM seed_blocks`,
  );
  await sql('CREATE INDEX ON seed_block_parts USING gist (geom)');
  await sql('ANALYZE seed_block_parts');
}

/**
 * The split of every cell of the grid that touches the outline, into `seed_plan` (i, j, mode, commune_id,
 * cx, cy: the cell centre). Decided at the cell centre from the commune under it, its seat, the roads
 * and the hills.
 */
async function planCells(sql: Sql, g: ParcelGrid): Promise<void> {
  const side = (4 * g.stepX) / unitsPerDegree;
  await sql('DROP TABLE IF EXISTS seed_plan');
  await sql(
    `CREATE TEMP TABLE seed_plan ON COMMIT DROP AS
     WITH c AS (
       SELECT i, j, ST_SetSRID(ST_MakePoint((?::bigint + (4 * i + 2) * ?::bigint)::float8 / ${unitsPerDegree},
                                            (?::bigint + (4 * j + 2) * ?::bigint)::float8 / ${unitsPerDegree}), 4326) AS pt
       FROM generate_series(0, ?::int - 1) i, generate_series(0, ?::int - 1) j
     ), hit AS (
       SELECT c.* FROM c WHERE EXISTS (SELECT 1 FROM ${outlinePartsTable} p
         WHERE ST_DWithin(p.geom, c.pt, ?::float8 * 0.71) AND ST_Intersects(p.geom, ST_Expand(c.pt, ?::float8 * 0.5)))
     ), located AS MATERIALIZED (
       -- Each cell's commune is looked up once, before any join. Inlined, on a reseed (whose tables already have
       -- statistics) the cells were estimated at one row and the lookup became the join filter of cells x seats,
       -- run for every pair, 358 times per cell: this statement alone took 58-84 s of a scale-10 reseed, and the
       -- whole reseed 286-312 s, now 48 s.
       SELECT c.i, c.j, c.pt, coalesce(
         (SELECT b.commune_id FROM seed_block_parts p JOIN seed_blocks b ON b.bid = p.bid
          WHERE p.geom && c.pt AND ST_Intersects(p.geom, c.pt) ORDER BY b.bid LIMIT 1),
         (SELECT p.commune_id FROM seed_block_parts p ORDER BY p.geom <-> c.pt, p.bid LIMIT 1)) AS commune_id
       FROM hit c
     ), k AS (
       SELECT c.i, c.j, c.pt, cm.id AS commune_id, cm.type, cm.district_code, ST_Distance(c.pt, seat.pt) AS seat_d,
         (SELECT r.geom FROM roads r WHERE r.class IN ('national', 'provincial') AND ST_DWithin(r.geom, c.pt, ?::float8 * 0.6)
          ORDER BY r.geom <-> c.pt, r.id LIMIT 1) AS road,
         EXISTS (SELECT 1 FROM industrial_zones z WHERE z.geom && c.pt AND ST_Intersects(z.geom, c.pt)) AS in_zone,
         EXISTS (SELECT 1 FROM rivers r WHERE r.class = 'major' AND ST_DWithin(r.geom, c.pt, 0.025)) AS near_river
       FROM located c
       JOIN admin_communes cm ON cm.id = c.commune_id
       JOIN seed_seats seat ON seat.id = cm.id
     )
     SELECT i, j, commune_id, ST_X(pt) AS cx, ST_Y(pt) AS cy,
       CASE
         WHEN in_zone THEN 'quad'
         WHEN type = 'Phường' AND seat_d < greatest(0.013, ?::float8 * 0.8) THEN 'fine'
         WHEN type = 'Thị trấn' AND seat_d < greatest(0.008, ?::float8 * 0.6) THEN 'fine'
         WHEN road IS NOT NULL AND district_code NOT IN ('220') THEN
           -- strips narrow along the road: across an east-west road they are narrow in x
           CASE WHEN abs(sin(ST_Azimuth(ST_LineInterpolatePoint(road, greatest(0, ST_LineLocatePoint(road, pt) - 0.02)),
                                        ST_LineInterpolatePoint(road, least(1, ST_LineLocatePoint(road, pt) + 0.02))))) > 0.7
                THEN 'strips_x' ELSE 'strips_y' END
         WHEN type IS NOT NULL AND seat_d < ?::float8 * 0.75 THEN 'village'
         WHEN district_code IN ('218', '219', '220') AND NOT near_river THEN 'whole'
         WHEN ${sqlHashUnit("'split:' || i || ':' || j")} < 0.55 THEN 'quad'
         ELSE 'whole' END AS mode
     FROM k`,
    [g.x0, g.stepX, g.y0, g.stepY, g.nx, g.ny, side, side, side, side, side, side],
  );
}

/** Pieces per cell of each mode, for the count of a plan. */
const piecesOf = (mode: string) => (mode === 'village' ? 4 : splitModes[mode].length);

/** Builds the parcel shapes into `seed_parcels` (i, j, q, bid, part, mode, commune_id, geom, pt). */
async function buildShapes(sql: Sql, g: ParcelGrid): Promise<void> {
  // Grid line h (in quarter cells) lies at origin + h * step units; its coordinate is snapped once here
  // by GEOS itself, and every corner is taken from these arrays (1-based: line h is element h + 1).
  const snapped = (axis: string) =>
    `(SELECT array_agg(ST_X(ST_ReducePrecision(ST_Point((?::bigint + h * ?::bigint)::float8 / ${unitsPerDegree}, 0), 1e-7)) ORDER BY h)
      FROM generate_series(0, 4 * ?::int) h) AS ${axis}`;
  const pieces = Object.entries(splitModes)
    .flatMap(([mode, list]) =>
      list.map(([dx, dy, w, h], q) => ({ mode: mode === 'quad' ? ['quad', 'village'] : [mode], q, dx, dy, w, h })),
    )
    .flatMap((p) => p.mode.map((mode) => ({ ...p, mode })));
  await sql(
    `CREATE TEMP TABLE seed_cells ON COMMIT DROP AS
     WITH l AS (SELECT ${snapped('xs')}, ${snapped('ys')})
     SELECT p.i, p.j, s.q, p.mode, p.commune_id,
       ST_MakeEnvelope(l.xs[4 * p.i + s.dx + 1], l.ys[4 * p.j + s.dy + 1],
                       l.xs[4 * p.i + s.dx + s.w + 1], l.ys[4 * p.j + s.dy + s.h + 1], 4326) AS cell
     FROM l, seed_plan p JOIN jsonb_to_recordset(?::jsonb) AS s(mode text, q int, dx int, dy int, w int, h int) ON s.mode = p.mode`,
    [g.x0, g.stepX, g.nx, g.y0, g.stepY, g.ny, JSON.stringify(pieces)],
  );
  // A cell inside one block is kept as built; the others are cut by every block they touch.
  await sql(
    `CREATE TEMP TABLE seed_parcels ON COMMIT DROP AS
     WITH c AS MATERIALIZED (
       SELECT c.*, (SELECT b.bid FROM seed_block_parts p JOIN seed_blocks b ON b.bid = p.bid
                    WHERE p.geom && c.cell AND ST_Covers(b.geom, c.cell) LIMIT 1) AS inside
       FROM seed_cells c
     ), cut AS (
       SELECT c.i, c.j, c.q, c.mode, k.bid, c.cell, k.g
       FROM c CROSS JOIN LATERAL (
         SELECT b.bid, ST_Intersection(c.cell, b.geom) AS g
         FROM seed_blocks b
         WHERE b.bid IN (SELECT p.bid FROM seed_block_parts p WHERE p.geom && c.cell AND ST_Intersects(p.geom, c.cell))
       ) k
       WHERE c.inside IS NULL
     ), pieces AS (
       SELECT i, j, q, mode, inside AS bid, cell AS g FROM c WHERE inside IS NOT NULL
       UNION ALL
       SELECT i, j, q, mode, bid, CASE WHEN ST_Area(g) >= ST_Area(cell) * (1 - 1e-9) THEN cell ELSE g END FROM cut
     )
     SELECT p.i, p.j, p.q, p.mode, p.bid, coalesce(d.path[1], 0) AS part, d.geom, ST_PointOnSurface(d.geom) AS pt
     FROM pieces p CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(p.g, 3)) d
     WHERE ST_Area(d.geom) >= ?::float8`,
    [((16 * g.stepX * g.stepY) / unitsPerDegree ** 2) * minPieceShare],
  );
  await sql('CREATE INDEX ON seed_parcels USING gist (geom)');
  await sql('ANALYZE seed_parcels');
}

/**
 * The zone of a parcel (see zoneWeights), from its block and its cell's split: a road or river block
 * gives its own zone; a fine split means a ward or town centre, strips the ribbon along a main road, a
 * village split the commune seat. Distances are in degrees (0.01 is about 1.1 km).
 */
const zoneSql = `CASE
    WHEN b.kind <> 'land' THEN b.kind
    WHEN iz.kind = 'park' THEN 'park'
    WHEN iz.kind = 'cluster' THEN 'cluster'
    WHEN cm.type IS NULL THEN 'defence'
    WHEN s.mode = 'fine' THEN 'urban'
    WHEN s.mode IN ('strips_x', 'strips_y') THEN CASE WHEN cm.type = 'Phường' THEN 'urban' ELSE 'roadside' END
    WHEN s.mode = 'village' AND ST_DWithin(s.pt, seat.pt, 0.007) THEN 'village'
    WHEN cm.district_code = '220' THEN 'mountain'
    WHEN cm.district_code IN ('218', '219') AND NOT EXISTS (
      SELECT 1 FROM rivers r WHERE r.class = 'major' AND ST_DWithin(r.geom, s.pt, 0.02)) THEN
      CASE cm.district_code WHEN '219' THEN 'orchard' ELSE 'hill' END
    WHEN cm.district_code = '219' THEN 'orchard'
    WHEN EXISTS (SELECT 1 FROM rivers r WHERE r.class = 'major' AND ST_DWithin(r.geom, s.pt, 0.012)) THEN 'riverside'
    WHEN EXISTS (SELECT 1 FROM industrial_zones z WHERE ST_DWithin(z.geom, s.pt, 0.006)) THEN 'periurban'
    WHEN cm.district_code IN ('215', '218') THEN 'upland'
    ELSE 'lowland' END`;

/**
 * Fills `landuse_parcels` at `scale` (1 is about 20,000 parcels); returns the grid used. The cell side
 * is first guessed from an average split, then corrected once from the count the plan gives.
 */
export async function seedLandUse(sql: Sql, scale: number): Promise<ParcelGrid> {
  const target = parcelsPerScale * scale;
  const planned = (sideM: number) => target / (1 + (cutsPerKm * sideM) / 1000);
  await sql(`CREATE TEMP TABLE seed_seats ON COMMIT DROP AS SELECT id, ST_PointOnSurface(geom) AS pt FROM admin_communes`);
  await sql('CREATE UNIQUE INDEX ON seed_seats (id)');
  await buildBlocks(sql, scale);
  const [o] = await sql<{ area: number }>(`SELECT ST_Area(geom::geography) AS area FROM ${outlineTable}`);
  let grid = await gridFor(sql, Math.sqrt(o.area / (planned(2000) / parcelsPerCell)));
  for (let round = 0; round < 2; round++) {
    await planCells(sql, grid);
    if (round === 1) break;
    const modes = await sql<{ mode: string; n: number }>('SELECT mode, count(*)::int AS n FROM seed_plan GROUP BY mode');
    const pieces = modes.reduce((s, m) => s + m.n * piecesOf(m.mode), 0);
    grid = await gridFor(sql, grid.sideM * Math.sqrt(pieces / planned(grid.sideM)));
  }
  await buildShapes(sql, grid);
  // u: the draw of the code. Six parcels in ten take the draw of their cell, so codes come in patches
  // rather than salt and pepper; the marginal distribution stays the zone's mix.
  await sql(
    `INSERT INTO landuse_parcels (id, parcel_no, sheet_no, code, name_vi, name_en, area_m2, commune_code, commune_name, district_name, geom)
     WITH s AS (
       SELECT p.*,
         CASE WHEN ${sqlHashUnit("'patch:' || p.i || ':' || p.j || ':' || p.q || ':' || p.bid || ':' || p.part")} < 0.6
              THEN ${sqlHashUnit("'block:' || p.i || ':' || p.j")}
              ELSE ${sqlHashUnit("'code:' || p.i || ':' || p.j || ':' || p.q || ':' || p.bid || ':' || p.part")} END AS u
       FROM seed_parcels p
     ), z AS MATERIALIZED (
       SELECT s.i, s.j, s.q, s.bid, s.part, s.geom, s.u, cm.id AS commune_id, cm.code AS commune_code, cm.name AS commune_name,
         cm.district_name, ${zoneSql} AS zone
       FROM s
       JOIN seed_blocks b ON b.bid = s.bid
       JOIN admin_communes cm ON cm.id = b.commune_id
       JOIN seed_seats seat ON seat.id = cm.id
       LEFT JOIN LATERAL (SELECT kind FROM industrial_zones z WHERE z.geom && s.pt AND ST_Intersects(z.geom, s.pt)
                          ORDER BY id LIMIT 1) iz ON true
     ), numbered AS (
       SELECT z.*, w.code,
         dense_rank() OVER (PARTITION BY commune_id ORDER BY j / 4 DESC, i / 4) AS sheet_no
       FROM z JOIN jsonb_to_recordset(?::jsonb) AS w(zone text, code text, lo float8, hi float8)
         ON w.zone = z.zone AND z.u >= w.lo AND z.u < w.hi
     )
     SELECT row_number() OVER (ORDER BY n.commune_id, n.sheet_no, n.j DESC, n.i, n.q, n.bid, n.part)::int,
       row_number() OVER (PARTITION BY n.commune_id, n.sheet_no ORDER BY n.j DESC, n.i, n.q, n.bid, n.part)::int,
       n.sheet_no::int, n.code, d.vi, d.en, ST_Area(n.geom::geography), n.commune_code, n.commune_name, n.district_name, n.geom
     FROM numbered n JOIN jsonb_to_recordset(?::jsonb) AS d(code text, vi text, en text) ON d.code = n.code`,
    [JSON.stringify(weightTable()), JSON.stringify(landUseCodes)],
  );
  return grid;
}
