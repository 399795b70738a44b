/**
 * Industrial parks (KCN) and clusters (CCN). The names and host communes of the parks are real (as far
 * as public reporting goes); their outlines, areas and occupancy are generated: a seeded, slightly
 * irregular rotated rectangle of about the reported area around a point of the host communes (moved
 * beside the nearest national road within about 4 km), clipped to the province and to the zones placed
 * before it (zones never overlap).
 */
import type { Polygon } from 'geojson';
import { Random } from './random.ts';
import { outlineTable, type Sql } from './sql.ts';
import type { LonLat } from './lines.ts';

type Status = 'operating' | 'under_construction' | 'planned';

/** An industrial park or cluster to place. */
export interface Zone {
  name: string;
  kind: 'park' | 'cluster';
  status: Status;
  /** Target area in hectares (before clipping). */
  ha: number;
  occupancy: number;
  /** Host communes, "district_code:full_name" (2009 units). The first names the zone's commune. */
  communes: string[];
}

const park = (name: string, ha: number, status: Status, occupancy: number, communes: string[]): Zone => ({
  name: `KCN ${name}`,
  kind: 'park',
  status,
  ha,
  occupancy,
  communes,
});

/** Parks, largest first so the large ones keep their shape where neighbours would overlap. */
const parks: Zone[] = [
  park('VSIP Bắc Ninh', 700, 'operating', 85, ['261:Xã Phù Chẩn', '260:Xã Đại Đồng']),
  park('Yên Phong', 658, 'operating', 100, ['258:Xã Đông Phong', '258:Xã Long Châu', '258:Xã Yên Trung', '258:Xã Đông Tiến']),
  park('Quế Võ', 611, 'operating', 96, ['259:Xã Phương Liễu', '259:Xã Phượng Mao', '256:Xã Nam Sơn']),
  park('Đại Đồng – Hoàn Sơn', 470, 'operating', 80, ['260:Xã Hoàn Sơn', '260:Xã Tân Chi']),
  park('Quang Châu', 426, 'operating', 95, ['222:Xã Quang Châu']),
  park('Yên Lư', 380, 'under_construction', 20, ['221:Xã Yên Lư', '221:Xã Nham Sơn']),
  park('Tiên Sơn', 350, 'operating', 100, ['260:Xã Nội Duệ', '261:Phường Đồng Nguyên']),
  park('Vân Trung', 350, 'operating', 95, ['222:Xã Vân Trung']),
  park('Quế Võ III', 300, 'under_construction', 30, ['259:Xã Việt Hùng', '259:Xã Phù Lương']),
  park('Nam Sơn – Hạp Lĩnh', 300, 'under_construction', 25, ['256:Phường Hạp Lĩnh', '260:Xã Lạc Vệ']),
  park('Yên Sơn – Bắc Lũng', 300, 'planned', 0, ['218:Xã Yên Sơn', '218:Xã Bắc Lũng']),
  park('Thuận Thành III', 300, 'under_construction', 15, ['262:Xã Thanh Khương', '262:Xã Trạm Lộ']),
  park('Quế Võ II', 270, 'operating', 70, ['259:Xã Ngọc Xá', '259:Xã Châu Phong']),
  park('Thuận Thành II', 250, 'operating', 55, ['262:Xã Mão Điền', '262:Xã An Bình']),
  park('Yên Phong II-C', 250, 'operating', 60, ['258:Xã Tam Giang', '258:Xã Hòa Tiến']),
  park('Gia Bình', 250, 'planned', 0, ['263:Xã Đông Cứu', '263:Xã Nhân Thắng']),
  park('Tân Hưng', 212, 'under_construction', 25, ['217:Xã Tân Hưng']),
  park('Hòa Phú', 207, 'operating', 85, ['223:Xã Mai Đình']),
  park('Hợp Thịnh', 200, 'under_construction', 20, ['223:Xã Hợp Thịnh']),
  park('Hòa Yên', 200, 'planned', 0, ['223:Xã Thái Sơn', '223:Xã Hoàng Vân']),
  park('Song Khê – Nội Hoàng', 158, 'operating', 90, ['213:Xã Song Khê', '221:Xã Nội Hoàng', '221:Xã Tiền Phong']),
  park('Việt Hàn', 143, 'operating', 70, ['222:Xã Tăng Tiến', '222:Xã Nghĩa Trung']),
  park('Đình Trám', 127, 'operating', 100, ['222:Xã Hồng Thái', '222:Xã Hoàng Ninh']),
];

/** Clusters are named after their commune, as most are; status, area and occupancy are seeded. */
const clusterCommunes = [
  '256:Phường Phong Khê',
  '256:Phường Võ Cường',
  '256:Phường Khắc Niệm',
  '258:Xã Văn Môn',
  '258:Xã Đông Thọ',
  '259:Xã Nhân Hòa',
  '259:Xã Bằng An',
  '260:Xã Phú Lâm',
  '261:Phường Châu Khê',
  '261:Phường Đồng Kỵ',
  '262:Xã Xuân Lâm',
  '262:Xã Hà Mãn',
  '263:Xã Đại Bái',
  '264:Xã Lâm Thao',
  '264:Xã Quảng Phú',
  '213:Xã Song Mai',
  '213:Xã Đa Mai',
  '217:Xã Phi Mô',
  '217:Xã Quang Thịnh',
  '223:Xã Đoan Bái',
  '223:Xã Xuân Cẩm',
  '222:Xã Tiên Sơn',
  '221:Xã Đồng Phúc',
  '219:Xã Phượng Sơn',
  '219:Xã Nam Dương',
  '216:Xã Hợp Đức',
  '216:Xã Cao Xá',
  '215:Xã Phồn Xương',
  '220:Xã Yên Định',
  '215:Xã Tân Sỏi',
];

function clusters(): Zone[] {
  return clusterCommunes.map((key) => {
    const rng = new Random(`cluster:${key}`);
    const u = rng.next();
    const status: Status = u < 0.7 ? 'operating' : u < 0.9 ? 'under_construction' : 'planned';
    const occupancy = status === 'operating' ? rng.range(50, 100) : status === 'under_construction' ? rng.range(5, 40) : 0;
    return {
      name: `CCN ${key.split(':')[1].replace(/^(Xã|Phường|Thị trấn) /, '')}`,
      kind: 'cluster',
      status,
      ha: Math.round(rng.range(15, 75)),
      occupancy: Math.round(occupancy),
      communes: [key],
    };
  });
}

/** Every zone in placing order: parks, then clusters. */
export function zones(): Zone[] {
  return [...parks, ...clusters()];
}

/** An irregular rotated rectangle of about `ha` hectares centred on `c` (lon/lat): 8 seeded vertices. */
function footprint(c: LonLat, ha: number, rng: Random): Polygon {
  const area = ha * 10_000 * 1.1; // m²; a little extra for what clipping takes away
  const aspect = rng.range(1, 2.2);
  const w = Math.sqrt(area * aspect);
  const h = area / w;
  const angle = rng.range(0, Math.PI);
  const mx = 111_320 * Math.cos((c[1] * Math.PI) / 180); // metres per degree of longitude here
  const corners: Array<[number, number]> = [
    [-1, -1],
    [0, -1],
    [1, -1],
    [1, 0],
    [1, 1],
    [0, 1],
    [-1, 1],
    [-1, 0],
  ];
  const ring = corners.map(([sx, sy]) => {
    const x = ((sx * w) / 2) * rng.range(0.85, 1.1);
    const y = ((sy * h) / 2) * rng.range(0.85, 1.1);
    const rx = x * Math.cos(angle) - y * Math.sin(angle);
    const ry = x * Math.sin(angle) + y * Math.cos(angle);
    return [Math.round((c[0] + rx / mx) * 1e6) / 1e6, Math.round((c[1] + ry / 111_320) * 1e6) / 1e6];
  });
  return { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
}

/** The gap kept between neighbouring zones (about 5 m): a plain difference can leave a hair of overlap. */
const zoneGapDegrees = 0.00005;
/** How far (degrees, about 4 km) a zone's host point may be from a national road for the zone to move beside it. */
const nearRoadDegrees = 0.04;

/**
 * Where a zone is centred: zones are built along the national roads they ship by, so a host point
 * within reach of one moves towards the road until the zone's edge is about 150 m from it.
 */
function besideRoad(host: { lon: number; lat: number; rlon: number | null; rlat: number | null }, ha: number): LonLat {
  if (host.rlon === null || host.rlat === null) return [host.lon, host.lat];
  const k = Math.cos((host.lat * Math.PI) / 180);
  const dx = (host.lon - host.rlon) * k * 111_320;
  const dy = (host.lat - host.rlat) * 111_320;
  const d = Math.hypot(dx, dy);
  const keep = Math.sqrt(ha * 10_000) / 2 + 150; // metres from the road to the zone's centre
  if (d <= keep) return [host.lon, host.lat];
  const t = keep / d;
  return [host.rlon + (dx * t) / (k * 111_320), host.rlat + (dy * t) / 111_320];
}

/** Fills `industrial_zones`; returns how many zones were placed. */
export async function seedIndustrialZones(sql: Sql): Promise<number> {
  let id = 0;
  for (const z of zones()) {
    const [host] = await sql<
      { lon: number; lat: number; rlon: number | null; rlat: number | null; commune: string; district: string } | undefined
    >(
      `SELECT ST_X(p) AS lon, ST_Y(p) AS lat, ST_X(r.q) AS rlon, ST_Y(r.q) AS rlat,
         (SELECT name FROM admin_communes WHERE district_code || ':' || full_name = ?::text) AS commune,
         (SELECT district_name FROM admin_communes WHERE district_code || ':' || full_name = ?::text) AS district
       FROM (SELECT ST_PointOnSurface(ST_Union(geom)) AS p FROM admin_communes
             WHERE district_code || ':' || full_name IN (SELECT jsonb_array_elements_text(?::jsonb))) h
       LEFT JOIN LATERAL (SELECT ST_ClosestPoint(r.geom, h.p) AS q FROM roads r
                          WHERE r.class = 'national' AND ST_DWithin(r.geom, h.p, ?::float8)
                          ORDER BY r.geom <-> h.p, r.id LIMIT 1) r ON true
       WHERE p IS NOT NULL`,
      [z.communes[0], z.communes[0], JSON.stringify(z.communes), nearRoadDegrees],
    );
    if (!host?.commune) throw new Error(`industrial zone "${z.name}": host commune ${z.communes[0]} is not in admin_communes`);
    const shape = footprint(besideRoad(host, z.ha), z.ha, new Random(`zone:${z.name}`));
    const inserted = await sql(
      `INSERT INTO industrial_zones (id, name, kind, status, area_ha, occupancy_pct, district_name, commune_name, geom)
       SELECT ?::int, ?::text, ?::text, ?::text, round((ST_Area(g::geography) / 10000)::numeric, 1)::float8, ?::float8, ?::text, ?::text, g
       FROM (
         SELECT (SELECT d.geom FROM ST_Dump(ST_CollectionExtract(ST_Intersection(
                   ST_Difference(s.geom, coalesce((SELECT ST_Buffer(ST_Union(z.geom), ?::float8) FROM industrial_zones z
                                                   WHERE z.geom && s.geom),
                                                  ST_GeomFromText('POLYGON EMPTY', 4326))),
                   o.geom), 3)) d
                 ORDER BY ST_Area(d.geom) DESC LIMIT 1) AS g
         FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(?::text), 4326) AS geom) s CROSS JOIN ${outlineTable} o
       ) c
       WHERE g IS NOT NULL AND ST_Area(g::geography) > 20000
       RETURNING id`,
      [id + 1, z.name, z.kind, z.status, z.occupancy, host.district, host.commune, zoneGapDegrees, JSON.stringify(shape)],
    );
    id += inserted.length;
  }
  return id;
}
