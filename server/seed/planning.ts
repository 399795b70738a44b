/**
 * The planning maps the province says it has digitised (generated demo data, not the real plans):
 * - the land-use plan 2021-2030 of Bắc Giang city, Việt Yên and Hiệp Hòa: every parcel of the three with
 *   its planned code: farmland in the parks and clusters not yet operating becomes SKK (SKN), part of the
 *   farmland beside a park SKK, and part of the farmland around city and town centres ODT or TMD (the
 *   planned roads are the transport plan's own layer: a whole parcel under a road is not DGT);
 * - the transport plan: planned roads through real commune seats, and upgrades of existing roads, each
 *   with its status and horizon year;
 * - post offices beside the BTS stations: one per commune, next to the station nearest its seat.
 * Deterministic: the draws are md5 hashes of ids.
 */
import { clippedLinesFrom, lineString, meander, type LonLat } from './lines.ts';
import { landUseCodes } from './landuse-codes.ts';
import { Random } from './random.ts';
import { sqlHashUnit } from './random.ts';
import type { Seat } from './places.ts';
import type { Sql } from './sql.ts';

/** The districts whose land-use plan the province has digitised (2009 district codes). */
export const plannedDistricts = ['213', '222', '223'];
/** The period of the land-use plan. */
export const planPeriod = '2021-2030';

type PlanClass = 'expressway' | 'national' | 'provincial' | 'urban';

/** New roads of the plan, through commune seats ("district_code:full_name") in order. */
const plannedRoads: Array<{ name: string; ref: string | null; class: PlanClass; horizon: number; via: string[] }> = [
  {
    name: 'Vành đai 4 – Vùng Thủ đô (đoạn Bắc Giang – Bắc Ninh)',
    ref: 'VĐ4',
    class: 'expressway',
    horizon: 2030,
    via: ['223:Xã Mai Đình', '258:Xã Yên Trung', '260:Thị trấn Lim', '262:Thị trấn Hồ'],
  },
  {
    name: 'Đường kết nối Hiệp Hòa – Việt Yên – TP Bắc Giang',
    ref: null,
    class: 'provincial',
    horizon: 2025,
    via: ['223:Thị trấn Thắng', '223:Xã Hợp Thịnh', '222:Xã Vân Trung', '213:Phường Trần Phú'],
  },
  {
    name: 'Đường vành đai TP Bắc Giang',
    ref: null,
    class: 'urban',
    horizon: 2030,
    via: ['222:Xã Hồng Thái', '213:Xã Song Khê', '221:Xã Nội Hoàng'],
  },
  {
    name: 'Đường kết nối KCN Quang Châu – QL1',
    ref: null,
    class: 'provincial',
    horizon: 2025,
    via: ['222:Xã Quang Châu', '222:Thị trấn Nếnh'],
  },
];

/** Existing roads the plan upgrades: ref, horizon year. */
const upgradedRoads: Array<{ ref: string; horizon: number }> = [
  { ref: 'ĐT295', horizon: 2025 },
  { ref: 'ĐT296', horizon: 2025 },
  { ref: 'ĐT398', horizon: 2030 },
  { ref: 'QL17', horizon: 2030 },
  { ref: 'QL37', horizon: 2030 },
];

/** Fills `transport_plan`: the new roads (meandered through their seats, clipped), then the upgrades. */
export async function seedTransportPlan(sql: Sql, seats: Map<string, Seat>): Promise<void> {
  const rows = plannedRoads.map((r, ord) => {
    const points: LonLat[] = r.via.map((key) => {
      const s = seats.get(key);
      if (!s) throw new Error(`planned road "${r.name}": no commune "${key}" in admin_communes`);
      return [s.lon, s.lat];
    });
    const geom = lineString(meander(points, new Random(`plan:${r.name}`), 0.04, 300));
    return { ord, name: r.name, ref: r.ref, class: r.class, horizon: r.horizon, geom };
  });
  await sql(
    `INSERT INTO transport_plan (id, name, ref, class, status, horizon_year, length_m, geom)
     SELECT row_number() OVER (ORDER BY ord, piece)::int, name, ref, class, 'planned', horizon,
       ST_Length(clipped::geography), clipped
     FROM ${clippedLinesFrom('ord int, name text, ref text, class text, horizon int')}`,
    [JSON.stringify(rows)],
  );
  await sql(
    `INSERT INTO transport_plan (id, name, ref, class, status, horizon_year, length_m, geom)
     SELECT (SELECT coalesce(max(id), 0) FROM transport_plan) + row_number() OVER (ORDER BY u.ord, r.id)::int,
       'Nâng cấp ' || r.name, r.ref, CASE WHEN r.class = 'national' THEN 'national' ELSE 'provincial' END, 'upgrade',
       u.horizon, r.length_m, r.geom
     FROM jsonb_to_recordset(?::jsonb) AS u(ord int, ref text, horizon int) JOIN roads r ON r.ref = u.ref`,
    [JSON.stringify(upgradedRoads.map((u, ord) => ({ ord, ...u })))],
  );
}

/**
 * Fills `landuse_plan_2030` from the parcels of the planned districts. Only farmland (and aquaculture)
 * changes; a parcel keeps its code unless a rule below takes it, in this order.
 */
export async function seedLandUsePlan(sql: Sql): Promise<void> {
  const u = (salt: string) => sqlHashUnit(`'${salt}:' || p.id`);
  await sql(
    `INSERT INTO landuse_plan_2030 (id, parcel_id, parcel_no, sheet_no, code, name_vi, name_en, current_code, changed,
       area_m2, commune_code, commune_name, district_name, plan_period, geom)
     WITH p AS (
       SELECT p.*, ST_PointOnSurface(p.geom) AS pt, p.code IN ('LUC', 'LUK', 'HNK', 'CLN', 'NTS') AS farm
       FROM landuse_parcels p
       WHERE p.district_name IN (SELECT name FROM admin_districts WHERE code IN (SELECT jsonb_array_elements_text(?::jsonb)))
     ), planned AS (
       SELECT p.*, CASE
         WHEN NOT farm THEN p.code
         WHEN EXISTS (SELECT 1 FROM industrial_zones z WHERE z.kind = 'park' AND z.status <> 'operating'
                      AND z.geom && p.pt AND ST_Intersects(z.geom, p.pt)) THEN 'SKK'
         WHEN EXISTS (SELECT 1 FROM industrial_zones z WHERE z.kind = 'cluster' AND z.status <> 'operating'
                      AND z.geom && p.pt AND ST_Intersects(z.geom, p.pt)) THEN 'SKN'
         WHEN EXISTS (SELECT 1 FROM industrial_zones z WHERE z.kind = 'park' AND ST_DWithin(z.geom, p.pt, 0.008))
              AND ${u('park')} < 0.45 THEN 'SKK'
         WHEN EXISTS (SELECT 1 FROM places s WHERE s.kind IN ('city', 'town') AND ST_DWithin(s.geom, p.pt, 0.02))
              THEN CASE WHEN ${u('urban')} < 0.4 THEN 'ODT' WHEN ${u('urban')} < 0.55 THEN 'TMD' ELSE p.code END
         ELSE p.code END AS planned_code
       FROM p
     )
     SELECT row_number() OVER (ORDER BY pl.id)::int, pl.id, pl.parcel_no, pl.sheet_no, pl.planned_code, d.vi, d.en, pl.code,
       pl.planned_code <> pl.code, pl.area_m2, pl.commune_code, pl.commune_name, pl.district_name, ?::text, pl.geom
     FROM planned pl JOIN jsonb_to_recordset(?::jsonb) AS d(code text, vi text, en text) ON d.code = pl.planned_code`,
    [JSON.stringify(plannedDistricts), planPeriod, JSON.stringify(landUseCodes)],
  );
}

/**
 * Fills `post_offices`: one per commune (wards and towns get a post office, communes a cultural post
 * point, "điểm bưu điện văn hóa xã"), about 40 m from the BTS station nearest the commune seat, towards
 * the seat; at the seat where the commune has no station.
 */
export async function seedPostOffices(sql: Sql): Promise<void> {
  await sql(
    `INSERT INTO post_offices (id, name, kind, bts_station_code, commune_name, district_name, geom)
     WITH c AS (
       SELECT c.id, c.name, c.type, c.district_name, ST_PointOnSurface(c.geom) AS seat, c.geom FROM admin_communes c
       WHERE c.type IS NOT NULL
     ), s AS (
       SELECT c.*, b.station_code, b.geom AS bts
       FROM c LEFT JOIN LATERAL (SELECT b.station_code, b.geom FROM bts_stations b
                                 WHERE b.geom && c.geom AND ST_Intersects(c.geom, b.geom)
                                 ORDER BY b.geom <-> c.seat, b.id LIMIT 1) b ON true
     )
     SELECT row_number() OVER (ORDER BY id)::int,
       CASE WHEN type = 'Xã' THEN 'Điểm bưu điện văn hóa xã ' || name ELSE 'Bưu cục ' || name END,
       CASE WHEN type = 'Xã' THEN 'cultural_post' ELSE 'post_office' END,
       station_code, name, district_name,
       CASE WHEN bts IS NULL OR ST_Distance(bts, seat) < 0.0004 THEN coalesce(bts, seat)
            ELSE ST_LineInterpolatePoint(ST_MakeLine(bts, seat), 0.0004 / ST_Distance(bts, seat)) END
     FROM s`,
  );
}
